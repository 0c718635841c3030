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

/**
 * `${VAR}` and `${VAR:-default}` as docker compose expands them, from the given environment only,
 * so the tests see the defaults a fresh `docker compose up` uses.
 */
export function expandComposeVariables(value: string, env: Record<string, string> = {}): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_all, name: string, fallback: string | undefined) =>
    env[name] !== undefined && env[name] !== '' ? env[name] : (fallback ?? '')
  );
}

/** Names of the `${VAR}` references in a text (Grafana provisioning or compose interpolation). */
export function bracedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+)[^}]*\}/g)].map((m) => m[1]))].sort();
}
