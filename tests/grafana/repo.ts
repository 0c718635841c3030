import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** Everything here reads the repository's own files, the way Grafana and docker compose will. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

export function readText(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** `merge: true` applies `<<:` merge keys, which docker compose uses and YAML 1.2 leaves out by default. */
export function readYaml<T>(...parts: string[]): T {
  return parse(readText(...parts), { merge: true }) as T;
}

/** Files of one folder with one of the given extensions, sorted so failures read the same every run. */
export function listFiles(folder: string, extensions: string[]): string[] {
  return readdirSync(repoPath(folder))
    .filter((name) => extensions.some((ext) => name.endsWith(ext)))
    .sort();
}

export interface PluginJson {
  id: string;
  type: string;
}

export function pluginJson(pluginFolder: 'panel-plugin' | 'datasource-plugin'): PluginJson {
  return JSON.parse(readText(pluginFolder, 'src', 'plugin.json')) as PluginJson;
}

export interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, unknown>;
}

/** Every data source under provisioning/datasources, from all its files. */
export function provisionedDatasources(): ProvisionedDatasource[] {
  return listFiles('provisioning/datasources', ['.yaml', '.yml']).flatMap(
    (file) => readYaml<{ datasources?: ProvisionedDatasource[] }>('provisioning', 'datasources', file).datasources ?? []
  );
}

/** A `${VAR:?message}` whose variable is not set: docker compose refuses to start with the message. */
export class MissingComposeVariable extends Error {}

/**
 * `${VAR}`, `${VAR:-default}` and `${VAR:?message}` as docker compose expands them, from the given
 * environment only, so the tests see what a fresh `docker compose up` with that environment uses.
 */
export function expandComposeVariables(value: string, env: Record<string, string> = {}): string {
  return value.replace(
    /\$\{(\w+)(?::?([-?])([^}]*))?\}/g,
    (_all, name: string, operator: string | undefined, operand: string | undefined) => {
      const given = env[name];
      if (given !== undefined && given !== '') return given;
      if (operator === '?') throw new MissingComposeVariable(operand || `${name} is not set`);
      return operand ?? '';
    }
  );
}

/** Names of the `${VAR}` references in a text (Grafana provisioning or compose interpolation). */
export function bracedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+)[^}]*\}/g)].map((m) => m[1]))].sort();
}
