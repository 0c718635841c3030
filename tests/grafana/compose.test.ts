import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEFAULT_INPUT_DATABASE, DEFAULT_OUTPUT_DATABASE } from '@nocai/contract';
import { loadConfig } from '../../inference-backend/src/config';
import {
  REPO_ROOT,
  bracedVariables,
  expandComposeVariables,
  MissingComposeVariable,
  listFiles,
  pluginJson,
  provisionedDatasources,
  readText,
  readYaml,
  repoPath,
} from './repo';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
}

const compose = readYaml<{ services: Record<string, Service> }>('docker-compose.yml');
const services = compose.services;
const panelId = pluginJson('panel-plugin').id;
const datasourceId = pluginJson('datasource-plugin').id;

/** The lines of the first `[[name]]` table of a Telegraf TOML file, up to the next table. */
function telegrafSection(conf: string, name: string): string {
  const start = conf.indexOf(`[[${name}]]`);
  if (start < 0) return '';
  const rest = conf.slice(start + name.length + 4);
  const next = rest.search(/^\s*\[/m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The secrets an operator must give (in `.env`): Compose has no default for them. */
const SECRETS = {
  NOCAI_API_TOKEN: 'test-api-token',
  NOCAI_WEBHOOK_TOKEN: 'test-webhook-token',
  GF_ADMIN_PASSWORD: 'test-admin-password',
};

function environmentOf(service: string, env: Record<string, string> = SECRETS): Record<string, string> {
  return Object.fromEntries(
    Object.entries(services[service].environment ?? {}).map(([name, value]) => [
      name,
      expandComposeVariables(String(value), env),
    ])
  );
}

describe('docker-compose.yml', () => {
  it('When it is read, then it runs InfluxDB 1.8, Telegraf 1.30, Grafana 12.4, the backend and a demo simulator', () => {
    expect(Object.keys(services).sort()).toEqual(['backend', 'grafana', 'influxdb', 'simulator', 'telegraf']);
    expect(services.influxdb.image).toBe('influxdb:1.8');
    expect(services.telegraf.image).toBe('telegraf:1.30');
    expect(services.grafana.image).toMatch(/^grafana\/grafana:12\.4\.\d+$/);
    expect(services.backend.build).toEqual({ context: '.', dockerfile: 'deploy/backend/Dockerfile' });
    expect(services.simulator.build).toEqual(services.backend.build);
    expect(services.simulator.profiles).toEqual(['demo']);
    expect(services.simulator.command).toEqual(
      expect.arrayContaining(['simulate', '--live', '--influx-url', 'http://influxdb:8086'])
    );
  });

  it('When Grafana starts, then both plugin builds are mounted read-only under their plugin ids', () => {
    const volumes = services.grafana.volumes ?? [];
    expect(volumes).toContain(`./panel-plugin/dist:/var/lib/grafana/plugins/${panelId}:ro`);
    expect(volumes).toContain(`./datasource-plugin/dist:/var/lib/grafana/plugins/${datasourceId}:ro`);
    expect(volumes).toContain('./provisioning:/etc/grafana/provisioning:ro');
  });

  it('When Grafana checks signatures, then exactly our two plugins may load unsigned', () => {
    const allowed = (services.grafana.environment?.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS ?? '')
      .split(',')
      .map((id) => id.trim());
    expect(allowed.sort()).toEqual([datasourceId, panelId].sort());
  });

  it('When Grafana expands ${VAR} in provisioning/, then the compose file gives it every one of them', () => {
    // Values only: a ${VAR} in a YAML comment is never expanded.
    const provisioningFiles = ['datasources', 'dashboards', 'alerting'].flatMap((folder) =>
      listFiles(`provisioning/${folder}`, ['.yaml', '.yml']).map((file) =>
        JSON.stringify(readYaml<unknown>('provisioning', folder, file))
      )
    );
    const needed = [...new Set(provisioningFiles.flatMap(bracedVariables))].sort();
    const grafanaEnv = environmentOf('grafana');
    for (const name of needed) {
      expect([name, grafanaEnv[name] ?? '']).toEqual([name, expect.stringMatching(/\S/)]);
    }
  });

  it('When Grafana calls the backend, then it sends the token the backend expects, to the backend service', () => {
    const grafanaEnv = environmentOf('grafana');
    const backendEnv = environmentOf('backend');
    expect(grafanaEnv.NOCAI_API_TOKEN).toBe(backendEnv.NOCAI_API_TOKEN);
    // Both sides must follow the same variable, or setting it would only change one of them.
    expect(services.grafana.environment?.NOCAI_API_TOKEN).toBe(services.backend.environment?.NOCAI_API_TOKEN);
    expect(new URL(grafanaEnv.NOCAI_BACKEND_URL).host).toBe(`backend:${backendEnv.NOCAI_PORT}`);
    expect(grafanaEnv.INFLUX_URL).toBe('http://influxdb:8086');
  });

  it('When a secret is not set, then the stack refuses to start and says which one, instead of using a known default', () => {
    for (const secret of Object.keys(SECRETS)) {
      const { [secret]: _missing, ...others } = SECRETS as Record<string, string>;
      const start = () => ['backend', 'grafana'].map((service) => environmentOf(service, others));
      expect(start).toThrow(MissingComposeVariable);
      expect(start).toThrow(`${secret} must be set, see .env.example`);
    }
    // .env.example names every secret and gives none of them a value.
    const example = readText('.env.example');
    for (const secret of Object.keys(SECRETS)) expect(example).toMatch(new RegExp(`^${secret}=$`, 'm'));
  });

  it('When the backend container starts with its secrets set, then its configuration is valid', () => {
    const config = loadConfig(environmentOf('backend'));
    expect(config.influx.url).toBe('http://influxdb:8086');
    expect(config.influx.inputDatabase).toBe(DEFAULT_INPUT_DATABASE);
    expect(config.influx.outputDatabase).toBe(DEFAULT_OUTPUT_DATABASE);
    expect(config.stateDir).toBe('/var/lib/nocai');
    expect(config.http.apiToken).toBeTruthy();
    expect(services.backend.volumes?.some((v) => v.endsWith(':/var/lib/nocai'))).toBe(true);
  });

  it('When the stack comes up, then InfluxDB and the backend have health checks on /ping and /healthz', () => {
    expect(services.influxdb.healthcheck?.test.join(' ')).toContain('/ping');
    expect(services.backend.healthcheck?.test.join(' ')).toContain('/healthz');
  });

  it('When Telegraf starts, then it uses the repo config, listens for syslog and writes to the telegraf database', () => {
    expect(services.telegraf.volumes).toContain('./deploy/telegraf/telegraf.conf:/etc/telegraf/telegraf.conf:ro');
    const conf = readText('deploy', 'telegraf', 'telegraf.conf');
    expect(conf).toContain('server = "tcp://:6514"');
    expect(conf).toContain('server = "udp://:6514"');
    const output = telegrafSection(conf, 'outputs.influxdb');
    expect(output).toContain('urls = ["http://influxdb:8086"]');
    expect(output).toContain(`database = "${DEFAULT_INPUT_DATABASE}"`);
    for (const input of ['syslog', 'cpu', 'mem', 'disk', 'net', 'system'])
      expect(conf).toContain(`[[inputs.${input}]]`);
    expect(services.telegraf.ports).toEqual(
      expect.arrayContaining([expect.stringMatching(/6514\/tcp$/), expect.stringMatching(/6514\/udp$/)])
    );
  });

  it('When the backend image is built, then every path its Dockerfile copies from the repo exists', () => {
    const dockerfile = readText('deploy', 'backend', 'Dockerfile');
    const sources = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)\s+\S+$/gm)].flatMap((m) =>
      m[1].trim().split(/\s+/)
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect([source, existsSync(repoPath(source))]).toEqual([source, true]);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toContain('inference-backend/dist/cli.js');
  });

  it('When Grafana provisions data sources, then the uids dashboards rely on exist with the right settings', () => {
    const byUid = new Map(provisionedDatasources().map((ds) => [ds.uid, ds]));
    expect([...byUid.keys()].sort()).toEqual(['influx-aiops', 'influx-telegraf', 'nocai-inference']);
    expect(byUid.get('influx-telegraf')).toMatchObject({
      type: 'influxdb',
      url: '${INFLUX_URL}',
      jsonData: { version: 'InfluxQL', dbName: DEFAULT_INPUT_DATABASE },
    });
    expect(byUid.get('influx-aiops')).toMatchObject({
      type: 'influxdb',
      url: '${INFLUX_URL}',
      jsonData: { version: 'InfluxQL', dbName: DEFAULT_OUTPUT_DATABASE },
    });
    const nocai = byUid.get('nocai-inference');
    expect(nocai).toMatchObject({
      type: datasourceId,
      jsonData: { url: '${NOCAI_BACKEND_URL}' },
      secureJsonData: { apiToken: '${NOCAI_API_TOKEN}' },
    });
    // jsonData reaches every browser that can query the data source; the token must not be there.
    expect(JSON.stringify(nocai?.jsonData)).not.toContain('NOCAI_API_TOKEN');
  });
});

// `docker-compose config -q` validates keys, types and build folders offline. CI installs it; on a
// machine without it this one check is skipped (the structural checks above still run).
const composeBinary = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
const hasDockerCompose = composeBinary.status === 0;
const itWithCompose = hasDockerCompose ? it : it.skip;

describe('docker-compose validation', () => {
  itWithCompose(
    hasDockerCompose
      ? 'When docker-compose validates the file, then it exits 0'
      : 'When docker-compose validates the file, then it exits 0 (SKIPPED: docker-compose is not on PATH)',
    () => {
      const result = spawnSync(
        'docker-compose',
        ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config', '-q'],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          // Validate the file as committed, not with the developer's shell or .env: .env.example sets nothing.
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...SECRETS },
        }
      );
      expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({ status: 0, stderr: '' });
      const withoutToken = spawnSync(
        'docker-compose',
        ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config', '-q'],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            GF_ADMIN_PASSWORD: 'x',
            NOCAI_WEBHOOK_TOKEN: 'y',
          },
        }
      );
      expect(withoutToken.status).not.toBe(0);
      expect(withoutToken.stderr).toContain('NOCAI_API_TOKEN must be set');
    }
  );
});
