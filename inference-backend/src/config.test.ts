import { ConfigError, loadConfig, loadMaintenanceHorizonH, secretsOf } from './config';

const base = { NOCAI_API_TOKEN: 'secret' };

describe('loadConfig', () => {
  it('When only the API token is set, then every other setting has its documented default', () => {
    const config = loadConfig(base);
    expect(config.influx).toMatchObject({
      url: 'http://127.0.0.1:8086',
      inputDatabase: 'telegraf',
      outputDatabase: 'aiops',
    });
    expect(config.http).toMatchObject({ port: 8080, apiToken: 'secret', allowAnonymous: false });
    expect(config.pipeline.settleMs).toBe(15_000);
  });

  it('When INFLUX_URL is malformed, then one sentence names the variable and the value', () => {
    expect(() => loadConfig({ ...base, INFLUX_URL: 'localhost:8086' })).toThrow(
      new ConfigError('INFLUX_URL must be an http(s) URL such as http://localhost:8086, got "localhost:8086"')
    );
  });

  it('When the API token is missing, then the error says how to set it', () => {
    expect(() => loadConfig({})).toThrow(/NOCAI_API_TOKEN is required/);
    expect(loadConfig({ NOCAI_ALLOW_ANONYMOUS: 'true' }).http.allowAnonymous).toBe(true);
  });

  it('When a number is not a number, then the error names the variable', () => {
    expect(() => loadConfig({ ...base, NOCAI_PORT: 'eighty' })).toThrow(
      'NOCAI_PORT must be an integer ≥ 0, got "eighty"'
    );
  });

  it('When a variable takes a few words and gets another, then the error lists them and what it got', () => {
    expect(() => loadConfig({ ...base, LOG_LEVEL: 'verbose' })).toThrow(
      new ConfigError('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")')
    );
    expect(() => loadConfig({ ...base, NOCAI_TLS_CERT: 'cert.pem' })).toThrow(
      new ConfigError('NOCAI_TLS_CERT and NOCAI_TLS_KEY go together: set both files for HTTPS, or neither for HTTP')
    );
  });

  it('When NOCAI_TICKET_RETENTION_DAYS is set, then done tickets stay in memory that long (a year by default); 0 is refused', () => {
    expect(loadConfig(base).ticketRetentionMs).toBe(365 * 86_400_000);
    expect(loadConfig({ ...base, NOCAI_TICKET_RETENTION_DAYS: '90' }).ticketRetentionMs).toBe(90 * 86_400_000);
    expect(() => loadConfig({ ...base, NOCAI_TICKET_RETENTION_DAYS: '0' })).toThrow(
      'NOCAI_TICKET_RETENTION_DAYS must be an integer ≥ 1, got "0"'
    );
  });

  it("When NOCAI_HEAP_GROWTH_PERCENT is set, then it bounds the heap growth (0 by default: V8's own policy)", () => {
    expect(loadConfig(base).heapGrowthPercent).toBe(0);
    expect(loadConfig({ ...base, NOCAI_HEAP_GROWTH_PERCENT: '50' }).heapGrowthPercent).toBe(50);
    expect(() => loadConfig({ ...base, NOCAI_HEAP_GROWTH_PERCENT: '-5' })).toThrow(
      'NOCAI_HEAP_GROWTH_PERCENT must be an integer ≥ 0, got "-5"'
    );
  });

  it('When a password comes without a user name, then it is refused', () => {
    expect(() => loadConfig({ ...base, INFLUX_PASSWORD: 'x' })).toThrow(/INFLUX_USERNAME/);
  });

  it('When the forecast settings are left out, then forecasts run hourly, without holidays, for full disks and hot devices', () => {
    const { forecasts } = loadConfig(base);
    expect(forecasts.stage.intervalMs).toBe(3_600_000);
    expect(forecasts.holidays).toBeUndefined();
    expect(forecasts.thresholds.map((r) => `${r.spec.measurement}.${r.spec.field} ${r.direction} ${r.value}`)).toEqual([
      'disk.used_percent above 100',
      'sensors.temperature_c above 70',
    ]);
  });

  it('When a holiday country or thresholds are given, then they are used, and a wrong one is named', () => {
    const config = loadConfig({ ...base, NOCAI_HOLIDAYS_COUNTRY: 'de', NOCAI_FORECAST_THRESHOLDS: 'none' });
    expect(config.forecasts.holidays?.country).toBe('DE');
    expect(config.forecasts.thresholds).toEqual([]);
    expect(() => loadConfig({ ...base, NOCAI_HOLIDAYS_COUNTRY: 'Germany' })).toThrow(
      /^NOCAI_HOLIDAYS_COUNTRY: "Germany" is not a country/
    );
    expect(() => loadConfig({ ...base, NOCAI_FORECAST_THRESHOLDS: 'disk.used_percent=100' })).toThrow(
      /^NOCAI_FORECAST_THRESHOLDS: threshold "disk.used_percent=100"/
    );
  });
  it('When NOCAI_MAINTENANCE_HORIZON_H is set, then the maintenance stage serves that horizon, and a horizon out of 1–48 h is refused in one sentence', () => {
    expect(loadConfig(base).maintenance.stage.horizonHours).toBe(24);
    expect(loadConfig({ ...base, NOCAI_MAINTENANCE_HORIZON_H: '12' }).maintenance.stage.horizonHours).toBe(12);
    for (const bad of ['0', '49', '12.5', 'soon']) {
      expect(() => loadConfig({ ...base, NOCAI_MAINTENANCE_HORIZON_H: bad })).toThrow(
        `NOCAI_MAINTENANCE_HORIZON_H must be a whole number of hours from 1 to 48, got "${bad}"`
      );
    }
    expect(loadMaintenanceHorizonH({ NOCAI_MAINTENANCE_HORIZON_H: '6' })).toBe(6);
    expect(() => loadMaintenanceHorizonH({ NOCAI_MAINTENANCE_HORIZON_H: '0' })).toThrow(ConfigError);
  });

  it('When no transport or limit is set, then the API is plain HTTP with 600 requests a minute per caller, a 30 s deadline and 16 KB of headers', () => {
    const { http, influx } = loadConfig(base);
    expect(http.transport).toEqual({ tls: undefined, maxHeaderBytes: 16_384 });
    expect(http.limits).toEqual({ rateLimitPerMinute: 600, requestTimeoutMs: 30_000 });
    expect(influx.ca).toBeUndefined();
    expect(loadConfig({ ...base, NOCAI_RATE_LIMIT: '0' }).http.limits.rateLimitPerMinute).toBe(0);
    expect(() => loadConfig({ ...base, NOCAI_RATE_LIMIT: 'lots' })).toThrow(
      new ConfigError('NOCAI_RATE_LIMIT must be an integer ≥ 0, got "lots"')
    );
    expect(() => loadConfig({ ...base, NOCAI_MAX_HEADER_BYTES: '100' })).toThrow(
      new ConfigError('NOCAI_MAX_HEADER_BYTES must be an integer ≥ 1024, got "100"')
    );
  });

  it('When tokens and passwords are configured, then secretsOf lists each of them for the logger, the one in INFLUX_URL included', () => {
    const config = loadConfig({
      ...base,
      INFLUX_URL: 'http://reader:url%40secret@influx:8086',
      INFLUX_TOKEN: 'influx-token',
      NOCAI_WEBHOOK_TOKEN: 'webhook-token',
    });
    expect(secretsOf(config).sort()).toEqual(['influx-token', 'secret', 'url@secret', 'webhook-token']);
  });
});

describe('loadConfig: shards', () => {
  it('When no shard is configured, then the replica owns the whole estate', () => {
    expect(loadConfig({ ...base, HOSTNAME: 'nocai-backend-3' }).shard).toEqual({ count: 1, index: 0 });
  });

  it('When NOCAI_SHARD_INDEX is unset in a StatefulSet pod, then the ordinal of its hostname is the index', () => {
    expect(loadConfig({ ...base, NOCAI_SHARD_COUNT: '3', HOSTNAME: 'nocai-backend-2' }).shard).toEqual({
      count: 3,
      index: 2,
    });
    expect(
      loadConfig({ ...base, NOCAI_SHARD_COUNT: '3', NOCAI_SHARD_INDEX: '0', HOSTNAME: 'nocai-backend-2' }).shard
    ).toEqual({ count: 3, index: 0 });
  });

  it('When the index cannot be known or is out of range, then one sentence says what to set', () => {
    expect(() => loadConfig({ ...base, NOCAI_SHARD_COUNT: '2', HOSTNAME: 'laptop' })).toThrow(
      new ConfigError(
        'NOCAI_SHARD_INDEX is not set and the hostname "laptop" ends in no StatefulSet ordinal (-N): set NOCAI_SHARD_INDEX'
      )
    );
    expect(() => loadConfig({ ...base, NOCAI_SHARD_COUNT: '2', NOCAI_SHARD_INDEX: '2' })).toThrow(/from 0 to 1/);
    expect(() => loadConfig({ ...base, NOCAI_SHARD_COUNT: '2', HOSTNAME: 'nocai-backend-4' })).toThrow(
      /raise NOCAI_SHARD_COUNT/
    );
  });

  it('When the replicas are told where each other answers and where the tokens are, then those are kept; a URL without {i} is refused', () => {
    const config = loadConfig({
      ...base,
      NOCAI_SHARD_COUNT: '2',
      HOSTNAME: 'nocai-backend-1',
      NOCAI_SHARD_PEER_URL: 'http://nocai-backend-{i}.nocai-backend:8080',
      NOCAI_TOKENS_DIR: '/shared/tokens',
    });
    expect(config.shardPeerUrl).toBe('http://nocai-backend-{i}.nocai-backend:8080');
    expect(config.tokensDir).toBe('/shared/tokens');
    expect(loadConfig({ ...base, NOCAI_STATE_DIR: '/var/lib/nocai' }).tokensDir).toBe('/var/lib/nocai');
    expect(() => loadConfig({ ...base, NOCAI_SHARD_PEER_URL: 'http://nocai-backend-0:8080' })).toThrow(
      /NOCAI_SHARD_PEER_URL must contain \{i\}/
    );
  });
});
