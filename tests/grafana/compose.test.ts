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
  it('When it is read, then it runs InfluxDB 1.8, Telegraf 1.30, Grafana 12.4 with our plugins, a setup job, the backend and a demo simulator', () => {
    expect(Object.keys(services).sort()).toEqual(['backend', 'grafana', 'influxdb', 'setup', 'simulator', 'telegraf']);
    expect(services.influxdb.image).toBe('influxdb:1.8');
    expect(services.telegraf.image).toBe('telegraf:1.30');
    expect(services.grafana.build).toEqual({ context: '.', dockerfile: 'deploy/grafana/Dockerfile' });
    expect(readText('deploy', 'grafana', 'Dockerfile')).toMatch(/^FROM grafana\/grafana:12\.4\.\d+$/m);
    expect(services.backend.build).toEqual({ context: '.', dockerfile: 'deploy/backend/Dockerfile' });
    expect(services.simulator.build).toEqual(services.backend.build);
    expect(services.setup.build).toEqual(services.backend.build);
    expect(services.simulator.profiles).toEqual(['demo']);
    expect(services.simulator.command).toEqual(
      expect.arrayContaining(['simulate', '--live', '--influx-url', 'http://influxdb:8086'])
    );
  });

  it('When Grafana starts, then both plugins are built inside its image under their plugin ids, and nothing is mounted from a build folder', () => {
    const dockerfile = readText('deploy', 'grafana', 'Dockerfile');
    expect(dockerfile).toMatch(/npm run build -w panel-plugin -w datasource-plugin/);
    expect(dockerfile).toContain(`COPY --from=plugins /app/panel-plugin/dist /usr/share/grafana/nocai-plugins/${panelId}`);
    expect(dockerfile).toContain(`COPY --from=plugins /app/datasource-plugin/dist /usr/share/grafana/nocai-plugins/${datasourceId}`);
    expect(dockerfile).toContain('GF_PATHS_PLUGINS=/usr/share/grafana/nocai-plugins');
    expect(dockerfile).toMatch(/^COPY provisioning \/etc\/grafana\/provisioning$/m);
    for (const volume of services.grafana.volumes ?? []) expect(volume).not.toMatch(/dist/);
  });

  it('When the stack first starts, then the setup job trains the default models into the volume the backend serves them from', () => {
    expect(services.setup.command).toEqual(['setup', '--dir', '/var/lib/nocai']);
    expect(services.setup.volumes).toContain('backend-state:/var/lib/nocai');
    const backend = services.backend as Service & { depends_on?: Record<string, { condition: string }> };
    expect(backend.depends_on?.setup).toEqual({ condition: 'service_completed_successfully' });
    const config = loadConfig(environmentOf('backend'));
    expect(config.modelsDir).toBe('/var/lib/nocai/models');
    expect(config.ticketHistoryPath).toBe('/var/lib/nocai/training/history/tickets.jsonl');
    expect(config.heartbeatSeries).toContainEqual({ measurement: 'ping', field: 'average_response_ms', hostTag: 'url' });
  });

  it("When an operator has their own inventory and ticket history, then the config folder is mounted for them", () => {
    expect(services.backend.volumes).toContain('${NOCAI_CONFIG_DIR:-./deploy/config}:/etc/nocai:ro');
    expect(existsSync(repoPath('deploy/config/README.md'))).toBe(true);
    expect(loadConfig(environmentOf('backend', { ...SECRETS, NOCAI_INVENTORY: '/etc/nocai/inventory.yaml' })).inventoryPath).toBe(
      '/etc/nocai/inventory.yaml'
    );
  });

  it('When the images are built, then every build context, Dockerfile, path they copy and path compose mounts exists', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) {
        expect([name, existsSync(repoPath(service.build.context))]).toEqual([name, true]);
        const dockerfile = readText(service.build.dockerfile);
        const sources = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)\s+\S+$/gm)].flatMap((m) => m[1].trim().split(/\s+/));
        expect(sources.length).toBeGreaterThan(0);
        for (const source of sources) expect([service.build.dockerfile, source, existsSync(repoPath(source))]).toEqual([service.build.dockerfile, source, true]);
      }
      for (const volume of service.volumes ?? []) {
        const source = expandComposeVariables(volume.split(':')[0]);
        if (source.startsWith('./')) expect([name, source, existsSync(repoPath(source))]).toEqual([name, source, true]);
      }
    }
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
    // BSD syslog (RFC 3164), which most appliances send, on its own UDP listener published as 514.
    expect(conf).toMatch(/server = "udp:\/\/:1514"\s+syslog_standard = "RFC3164"/);
    expect(services.telegraf.ports).toEqual(expect.arrayContaining([expect.stringMatching(/[:-]514\}?:1514\/udp$/)]));
    // Device liveness for silent-device detection: ping replies are the heartbeat the backend reads.
    const ping = telegrafSection(conf, 'inputs.ping');
    expect(ping).toContain('urls = [${NOCAI_PING_TARGETS}]');
    expect(services.telegraf.environment?.NOCAI_PING_TARGETS).toBe('${NOCAI_PING_TARGETS:-}');
    const output = telegrafSection(conf, 'outputs.influxdb');
    expect(output).toContain('urls = ["http://influxdb:8086"]');
    expect(output).toContain(`database = "${DEFAULT_INPUT_DATABASE}"`);
    for (const input of ['syslog', 'cpu', 'mem', 'disk', 'net', 'system', 'ping'])
      expect(conf).toContain(`[[inputs.${input}]]`);
    expect(services.telegraf.ports).toEqual(
      expect.arrayContaining([expect.stringMatching(/6514\/tcp$/), expect.stringMatching(/6514\/udp$/)])
    );
  });

  it('When the backend image is built, then it installs the backend and runs the nocai CLI', () => {
    const dockerfile = readText('deploy', 'backend', 'Dockerfile');
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
