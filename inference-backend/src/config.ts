import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { z } from 'zod';
import { ordinalOfHostname, type ShardSpec } from './domain/sharding/shards';
import {
  checkInput,
  DEFAULT_INPUT_DATABASE,
  DEFAULT_OUTPUT_DATABASE,
  DEPARTMENTS,
  isDepartment,
  SITE_KINDS,
  type Department,
} from '@nocai/contract';
import { DEFAULT_HEAP_GROWTH_PERCENT } from './adapters/heapPolicy';
import { redactUrl } from './adapters/influx/errors';
import { peerTemplateProblem } from './adapters/http/shardForwarding';
import { parseHeartbeatSeries, type HeartbeatSeries } from './adapters/influx/heartbeatSource';
import { parseMetricSpecs, DEFAULT_METRIC_SPECS, type MetricSpec } from './domain/timeseries/metricSpec';
import { DEFAULT_METRIC_STAGE_OPTIONS, type MetricStageOptions } from './pipeline/metricStage';
import { DEFAULT_MAINTENANCE_STAGE_OPTIONS, type MaintenanceStageOptions } from './pipeline/maintenanceStage';
import { MAINTENANCE_HORIZON_H, REMAINING_LIFE_CAP_H } from './simulator/maintenanceHistory';
import { holidayCalendar, type HolidayCalendar } from './domain/timeseries/holidays';
import { DEFAULT_THRESHOLD_RULES, parseThresholdRules, type ThresholdRule } from './domain/timeseries/timeToThreshold';
import { DEFAULT_FORECAST_STAGE_OPTIONS, type ForecastStageOptions } from './pipeline/forecastStage';
import { DEFAULT_RETRAIN_INTERVAL_MS } from './pipeline/retrainStage';
import { DEFAULT_RETRAINING_OPTIONS, type RetrainingOptions } from './domain/mlops/promotionGate';
import {
  DEFAULT_GRAFANA_ROLE_MAPPING,
  isRole,
  parseGrafanaRoleMapping,
  ROLES,
  type GrafanaRoleMapping,
  type Role,
} from './domain/security/roles';

/** A configuration problem, told in one sentence; the CLI prints it and exits non-zero. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const httpUrl = (name: string) =>
  z.string().superRefine((value, ctx) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be an http(s) URL such as http://localhost:8086, got "${redactUrl(value)}"`,
      });
    }
  });

const intFrom = (name: string, min: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer ≥ ${min}, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

/** NOCAI_MAINTENANCE_HORIZON_H: hours ahead the failure model warns; `plc-failure-<h>h` is trained and served. */
const maintenanceHorizonH = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value === '') return MAINTENANCE_HORIZON_H;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > REMAINING_LIFE_CAP_H) {
      ctx.addIssue({
        code: 'custom',
        message: `NOCAI_MAINTENANCE_HORIZON_H must be a whole number of hours from 1 to ${REMAINING_LIFE_CAP_H}, got "${value}"`,
      });
      return z.NEVER;
    }
    return n;
  });

const fractionFrom = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a number between 0 and 1, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

/** How much better a new version must do to replace the champion: the retraining's and `nocai train`'s. */
const retrainMargin = fractionFrom('NOCAI_RETRAIN_MARGIN', DEFAULT_RETRAINING_OPTIONS.margin);

const nonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const envObject = z.object({
  INFLUX_URL: httpUrl('INFLUX_URL').default('http://127.0.0.1:8086'),
  INFLUX_TOKEN: nonEmpty,
  INFLUX_USERNAME: nonEmpty,
  INFLUX_PASSWORD: nonEmpty,
  INFLUX_INPUT_DB: z.string().min(1).default(DEFAULT_INPUT_DATABASE),
  INFLUX_OUTPUT_DB: z.string().min(1).default(DEFAULT_OUTPUT_DATABASE),
  INFLUX_TIMEOUT_MS: intFrom('INFLUX_TIMEOUT_MS', 100, 10_000),
  INFLUX_CA: nonEmpty,
  NOCAI_HOST: z.string().min(1).default('0.0.0.0'),
  NOCAI_PORT: intFrom('NOCAI_PORT', 0, 8080),
  NOCAI_TLS_CERT: nonEmpty,
  NOCAI_TLS_KEY: nonEmpty,
  NOCAI_RATE_LIMIT: intFrom('NOCAI_RATE_LIMIT', 0, 600),
  NOCAI_REQUEST_TIMEOUT_MS: intFrom('NOCAI_REQUEST_TIMEOUT_MS', 0, 30_000),
  NOCAI_MAX_HEADER_BYTES: intFrom('NOCAI_MAX_HEADER_BYTES', 1024, 16_384),
  NOCAI_API_TOKEN: nonEmpty,
  NOCAI_WEBHOOK_TOKEN: nonEmpty,
  NOCAI_ALLOW_ANONYMOUS: z.enum(['true', 'false']).default('false'),
  NOCAI_API_TOKEN_GRAFANA: z.enum(['true', 'false']).default('true'),
  NOCAI_GRAFANA_URL: httpUrl('NOCAI_GRAFANA_URL').optional(),
  NOCAI_GRAFANA_ISSUER: nonEmpty,
  NOCAI_GRAFANA_AUDIENCE: nonEmpty,
  NOCAI_GRAFANA_ROLES: z.string().default('Viewer=viewer,Editor=operator,Admin=admin'),
  NOCAI_GRAFANA_USER_ROLE: z
    .string()
    .default('operator')
    .refine(isRole, { message: `NOCAI_GRAFANA_USER_ROLE must be one of ${ROLES.join(', ')}` }),
  NOCAI_STATE_DIR: z.string().min(1).default('.state'),
  NOCAI_INVENTORY: nonEmpty,
  NOCAI_TICKET_HISTORY: nonEmpty,
  NOCAI_LINE_HISTORY: nonEmpty,
  NOCAI_MODELS_DIR: nonEmpty,
  NOCAI_PROBLEMS_DIR: nonEmpty,
  NOCAI_HEARTBEAT_SERIES: z.string().default('system.load1,sensors.temperature_c'),
  NOCAI_REVIEW_THRESHOLD: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return 0.6;
      const n = Number(value);
      if (!(n >= 0 && n <= 1)) {
        ctx.addIssue({
          code: 'custom',
          message: `NOCAI_REVIEW_THRESHOLD must be a number between 0 and 1, got "${value}"`,
        });
        return z.NEVER;
      }
      return n;
    }),
  NOCAI_POWER_DEPARTMENT_BY_SITE_KIND: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const parsed = parsePowerDepartments(value ?? '');
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  NOCAI_TICKET_RETENTION_DAYS: intFrom('NOCAI_TICKET_RETENTION_DAYS', 1, 365),
  NOCAI_HEAP_GROWTH_PERCENT: intFrom('NOCAI_HEAP_GROWTH_PERCENT', 0, DEFAULT_HEAP_GROWTH_PERCENT),
  NOCAI_POLL_INTERVAL_MS: intFrom('NOCAI_POLL_INTERVAL_MS', 10, 2000),
  NOCAI_BATCH_SIZE: intFrom('NOCAI_BATCH_SIZE', 1, 5000),
  NOCAI_WRITE_BATCH_SIZE: intFrom('NOCAI_WRITE_BATCH_SIZE', 1, 5000),
  NOCAI_SETTLE_MS: intFrom('NOCAI_SETTLE_MS', 0, 15_000),
  NOCAI_START_LOOKBACK_MS: intFrom('NOCAI_START_LOOKBACK_MS', 0, 3_600_000),
  NOCAI_IDLE_ADVANCE_MS: intFrom('NOCAI_IDLE_ADVANCE_MS', 0, 60_000),
  NOCAI_MAX_BACKOFF_MS: intFrom('NOCAI_MAX_BACKOFF_MS', 10, 30_000),
  NOCAI_METRICS: z.string().default(DEFAULT_METRIC_SPECS),
  NOCAI_METRIC_WINDOW_MS: intFrom('NOCAI_METRIC_WINDOW_MS', 1000, DEFAULT_METRIC_STAGE_OPTIONS.windowMs),
  NOCAI_METRIC_LOOKBACK_MS: intFrom('NOCAI_METRIC_LOOKBACK_MS', 0, DEFAULT_METRIC_STAGE_OPTIONS.startLookbackMs),
  NOCAI_MAINTENANCE_LOOKBACK_MS: intFrom('NOCAI_MAINTENANCE_LOOKBACK_MS', 0, 3_600_000),
  NOCAI_MAINTENANCE_KINDS: z.string().default(DEFAULT_MAINTENANCE_STAGE_OPTIONS.deviceKinds.join(',')),
  NOCAI_MAINTENANCE_HORIZON_H: maintenanceHorizonH,
  NOCAI_FORECAST_INTERVAL_MS: intFrom('NOCAI_FORECAST_INTERVAL_MS', 0, DEFAULT_FORECAST_STAGE_OPTIONS.intervalMs),
  NOCAI_HOLIDAYS_COUNTRY: nonEmpty,
  NOCAI_FORECAST_THRESHOLDS: z.string().default(DEFAULT_THRESHOLD_RULES),
  NOCAI_RETRAIN_INTERVAL_MS: intFrom('NOCAI_RETRAIN_INTERVAL_MS', 0, DEFAULT_RETRAIN_INTERVAL_MS),
  NOCAI_RETRAIN_MARGIN: retrainMargin,
  NOCAI_RETRAIN_MAX_SEGMENT_LOSS: fractionFrom(
    'NOCAI_RETRAIN_MAX_SEGMENT_LOSS',
    DEFAULT_RETRAINING_OPTIONS.maxSegmentLoss
  ),
  NOCAI_RETRAIN_MIN_HOLDOUT: intFrom('NOCAI_RETRAIN_MIN_HOLDOUT', 1, DEFAULT_RETRAINING_OPTIONS.minHoldoutRows),
  NOCAI_RETRAIN_LABEL_DAYS: intFrom('NOCAI_RETRAIN_LABEL_DAYS', 1, 90),
  NOCAI_ACCURACY_INTERVAL_MS: intFrom('NOCAI_ACCURACY_INTERVAL_MS', 0, 3_600_000),
  NOCAI_ACCURACY_WINDOW_MS: intFrom('NOCAI_ACCURACY_WINDOW_MS', 60_000, 7 * 86_400_000),
  NOCAI_ACCURACY_MIN_VERDICTS: intFrom('NOCAI_ACCURACY_MIN_VERDICTS', 1, 20),
  NOCAI_ACCURACY_MIN_GROUP_VERDICTS: intFrom('NOCAI_ACCURACY_MIN_GROUP_VERDICTS', 1, 10),
  NOCAI_DRIFT_INTERVAL_MS: intFrom('NOCAI_DRIFT_INTERVAL_MS', 0, 3_600_000),
  NOCAI_DRIFT_WINDOW_MS: intFrom('NOCAI_DRIFT_WINDOW_MS', 60_000, 86_400_000),
  NOCAI_DRIFT_MIN_ROWS: intFrom('NOCAI_DRIFT_MIN_ROWS', 1, 30),
  NOCAI_DRIFT_RETRAIN: z.enum(['true', 'false']).default('false'),
  NOCAI_REPORT_PERIOD_MS: intFrom('NOCAI_REPORT_PERIOD_MS', 0, 7 * 86_400_000),
  NOCAI_DEAD_LETTER_MAX_BYTES: intFrom('NOCAI_DEAD_LETTER_MAX_BYTES', 1024, 10 * 1024 * 1024),
  NOCAI_SHARD_COUNT: intFrom('NOCAI_SHARD_COUNT', 1, 1),
  NOCAI_SHARD_INDEX: z.string().optional(),
  NOCAI_SHARD_PEER_URL: nonEmpty,
  NOCAI_TOKENS_DIR: nonEmpty,
  /** Set by Kubernetes to the pod's name: a StatefulSet's `nocai-backend-2` is shard 2. */
  HOSTNAME: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable the service reads (`nocai serve --help` documents each). */
export const ENVIRONMENT_KEYS: readonly string[] = Object.keys(envObject.shape);

/** A refusal names its variable (`LOG_LEVEL must be one of …`); the checks below across variables name theirs. */
const ENVIRONMENT_WORDING = { subject: 'the environment' };

const envSchema = envObject.superRefine((env, ctx) => {
  if (env.NOCAI_ALLOW_ANONYMOUS === 'false' && !env.NOCAI_API_TOKEN) {
    ctx.addIssue({
      code: 'custom',
      message:
        'NOCAI_API_TOKEN is required: set it to the bearer token Grafana will send (or NOCAI_ALLOW_ANONYMOUS=true for a closed test network)',
    });
  }
  if ((env.NOCAI_TLS_CERT === undefined) !== (env.NOCAI_TLS_KEY === undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: 'NOCAI_TLS_CERT and NOCAI_TLS_KEY go together: set both files for HTTPS, or neither for HTTP',
    });
  }
  const shard = shardSpecOf(env.NOCAI_SHARD_COUNT, env.NOCAI_SHARD_INDEX, env.HOSTNAME);
  if (typeof shard === 'string') ctx.addIssue({ code: 'custom', message: shard });
  const peerProblem =
    env.NOCAI_SHARD_PEER_URL === undefined ? undefined : peerTemplateProblem(env.NOCAI_SHARD_PEER_URL);
  if (peerProblem) ctx.addIssue({ code: 'custom', message: peerProblem });
  if (env.INFLUX_PASSWORD && !env.INFLUX_USERNAME) {
    ctx.addIssue({
      code: 'custom',
      message: 'INFLUX_PASSWORD is set but INFLUX_USERNAME is not',
    });
  }
});

export interface Config {
  influx: {
    url: string;
    token?: string;
    username?: string;
    password?: string;
    inputDatabase: string;
    outputDatabase: string;
    timeoutMs: number;
    /** INFLUX_CA, read at start: the PEM certificates InfluxDB's HTTPS certificate is checked against. */
    ca?: string;
  };
  http: {
    host: string;
    port: number;
    /**
     * How the API is served: HTTPS with the PEM certificate and key read at start (NOCAI_TLS_CERT,
     * NOCAI_TLS_KEY), and the largest request header (NOCAI_MAX_HEADER_BYTES, else 431).
     */
    transport: { tls?: { cert: string; key: string }; maxHeaderBytes: number };
    /**
     * Requests per minute per caller under /api, the alert webhook excepted (NOCAI_RATE_LIMIT, 0: none);
     * the longest wait for an answer before 503 (NOCAI_REQUEST_TIMEOUT_MS, 0: none).
     */
    limits: { rateLimitPerMinute: number; requestTimeoutMs: number };
    apiToken?: string;
    /** Accepted on the Grafana alert webhook only, so a contact point never holds the API token. */
    webhookToken?: string;
    allowAnonymous: boolean;
    /** NOCAI_API_TOKEN is the token the Grafana data source sends: only its requests may name a Grafana user. */
    apiTokenIsGrafana: boolean;
    /**
     * Grafana's signed ID tokens (X-Grafana-Id): verified against `jwksUrl` when set, and then
     * X-Grafana-User is never read. `roleMapping`: Grafana org role → product role; `userRole`: the
     * role of a Grafana user whose Grafana role is not known.
     */
    grafana: { jwksUrl?: string; issuer?: string; audience?: string; roleMapping: GrafanaRoleMapping; userRole: Role };
  };
  stateDir: string;
  inventoryPath?: string;
  /** Resolved tickets (JSON lines) for similar-ticket suggestions and the MTTR baseline. */
  ticketHistoryPath?: string;
  /**
   * Labelled syslog lines the line models (event-class, event-decision) were trained on (JSON lines or
   * CSV, as `nocai train` reads them): the scheduled retraining adds operators' verdicts to them.
   */
  lineHistoryPath?: string;
  /** Model registry folder; without it, rule-based routing and the median MTTR baseline are used. */
  modelsDir?: string;
  /**
   * Predictive alert problem definitions (`<name>.yaml`, versioned; `/api/problems`): NOCAI_PROBLEMS_DIR,
   * by default `<stateDir>/problems`. Served when a models folder is set (the problems' models live there).
   */
  problemsDir: string;
  /** Below this confidence a ticket goes to needs_review instead of being routed. */
  reviewThreshold: number;
  /**
   * Power tickets of sites of these kinds go to these departments, field technicians' elsewhere
   * (NOCAI_POWER_DEPARTMENT_BY_SITE_KIND=hospital=facilities): the routing, and the department filters that follow it.
   */
  powerDepartmentBySiteKind: Partial<Record<string, Department>>;
  /** Done tickets stay in the in-memory ticket index this long after their last change (and it is warmed from as far back). */
  ticketRetentionMs: number;
  /** V8 collects fully once the heap is this much above what survived the last full collection (0: V8's own policy). */
  heapGrowthPercent: number;
  /** Telemetry that proves a device is alive (measurement.field[.hostTag]), for silent-device detection. */
  heartbeatSeries: HeartbeatSeries[];
  pipeline: {
    pollIntervalMs: number;
    batchSize: number;
    writeBatchSize: number;
    /** Lines newer than now − settle are left for the next tick: Telegraf flushes every ~10 s. */
    settleMs: number;
    /** On first start (no watermark), how far back to begin reading. */
    startLookbackMs: number;
    /** With no new lines for this long, incidents and silences are still evaluated up to now. */
    idleAdvanceMs: number;
    /** Longest wait between retries of a failing stage (InfluxDB down). */
    maxBackoffMs: number;
  };
  /** Points InfluxDB refuses go to `<stateDir>/dead-letter.jsonl`, rotated at this size. */
  /** The metric stage: which Telegraf series are scored for anomalies (none: the stage is off). */
  /**
   * The metric stage; `catchUpLagMs`: while its watermark is further behind than this, the log
   * stage waits for its anomaly evidence (Infinity: never waits).
   */
  metrics: { specs: MetricSpec[]; stage: MetricStageOptions; catchUpLagMs: number };
  /**
   * The forecast stage (off when `stage.intervalMs` is 0): public holidays of NOCAI_HOLIDAYS_COUNTRY
   * (none: no holiday effect) and the metric thresholds watched for a time to threshold.
   */
  forecasts: { stage: ForecastStageOptions; holidays?: HolidayCalendar; thresholds: ThresholdRule[] };
  /**
   * The maintenance stage (on when the models folder holds the failure model for
   * `stage.horizonHours`, NOCAI_MAINTENANCE_HORIZON_H: `plc-failure-<h>h`).
   */
  maintenance: { stage: MaintenanceStageOptions };
  /**
   * The scheduled retraining (no schedule when `intervalMs` is 0; `POST /api/retraining` still
   * runs it): its promotion gate, and how many days of operators' labels it reads.
   */
  retraining: { intervalMs: number; labelDays: number; gate: Partial<RetrainingOptions> };
  /** Production accuracy from verdicts (off when `intervalMs` is 0). */
  accuracy: { intervalMs: number; windowMs: number; minVerdicts: number; minGroupVerdicts: number };
  /** Input drift of the champions against their training profiles (off when `intervalMs` is 0); `retrain`: drift asks for a retraining run. */
  drift: { intervalMs: number; windowMs: number; minRows: number; retrain: boolean };
  /** The periodic performance report (off when `periodMs` is 0). */
  report: { periodMs: number };
  deadLetterMaxBytes: number;
  /** The part of the estate this replica processes (NOCAI_SHARD_COUNT; NOCAI_SHARD_INDEX or the pod's ordinal). */
  shard: ShardSpec;
  /**
   * NOCAI_SHARD_PEER_URL: where shard `{i}`'s replica answers, for changes to the tickets it owns;
   * unset, each replica changes any ticket itself (two changes to one ticket through two replicas
   * within one poll interval: the later wins).
   */
  shardPeerUrl?: string;
  /** NOCAI_TOKENS_DIR: where tokens.json is kept (default the state folder); one folder all replicas share. */
  tokensDir: string;
  logLevel: string;
}

/** The only place that reads the environment; fails fast with one sentence per problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checkInput(envSchema, env, ENVIRONMENT_WORDING);
  if (!parsed.success) throw new ConfigError(parsed.message);
  const e = parsed.data;
  return {
    influx: {
      url: e.INFLUX_URL,
      token: e.INFLUX_TOKEN,
      username: e.INFLUX_USERNAME,
      password: e.INFLUX_PASSWORD,
      inputDatabase: e.INFLUX_INPUT_DB,
      outputDatabase: e.INFLUX_OUTPUT_DB,
      timeoutMs: e.INFLUX_TIMEOUT_MS,
      ca: e.INFLUX_CA === undefined ? undefined : certificatesFile('INFLUX_CA', e.INFLUX_CA),
    },
    http: {
      host: e.NOCAI_HOST,
      port: e.NOCAI_PORT,
      transport: {
        tls: e.NOCAI_TLS_CERT && e.NOCAI_TLS_KEY ? tlsFiles(e.NOCAI_TLS_CERT, e.NOCAI_TLS_KEY) : undefined,
        maxHeaderBytes: e.NOCAI_MAX_HEADER_BYTES,
      },
      limits: { rateLimitPerMinute: e.NOCAI_RATE_LIMIT, requestTimeoutMs: e.NOCAI_REQUEST_TIMEOUT_MS },
      apiToken: e.NOCAI_API_TOKEN,
      webhookToken: e.NOCAI_WEBHOOK_TOKEN,
      allowAnonymous: e.NOCAI_ALLOW_ANONYMOUS === 'true',
      apiTokenIsGrafana: e.NOCAI_API_TOKEN_GRAFANA === 'true',
      grafana: {
        // Grafana publishes the keys it signs ID tokens with here; it signs with its root_url as issuer.
        jwksUrl: e.NOCAI_GRAFANA_URL && `${e.NOCAI_GRAFANA_URL.replace(/\/+$/, '')}/api/signing-keys/keys`,
        issuer: e.NOCAI_GRAFANA_URL && (e.NOCAI_GRAFANA_ISSUER ?? `${e.NOCAI_GRAFANA_URL.replace(/\/+$/, '')}/`),
        audience: e.NOCAI_GRAFANA_AUDIENCE,
        roleMapping: parseRoleMapping(e.NOCAI_GRAFANA_ROLES),
        userRole: e.NOCAI_GRAFANA_USER_ROLE as Role,
      },
    },
    stateDir: e.NOCAI_STATE_DIR,
    inventoryPath: e.NOCAI_INVENTORY,
    ticketHistoryPath: e.NOCAI_TICKET_HISTORY,
    lineHistoryPath: e.NOCAI_LINE_HISTORY,
    modelsDir: e.NOCAI_MODELS_DIR,
    problemsDir: e.NOCAI_PROBLEMS_DIR ?? join(e.NOCAI_STATE_DIR, 'problems'),
    reviewThreshold: e.NOCAI_REVIEW_THRESHOLD,
    powerDepartmentBySiteKind: e.NOCAI_POWER_DEPARTMENT_BY_SITE_KIND,
    ticketRetentionMs: e.NOCAI_TICKET_RETENTION_DAYS * 86_400_000,
    heapGrowthPercent: e.NOCAI_HEAP_GROWTH_PERCENT,
    heartbeatSeries: parseSeries(e.NOCAI_HEARTBEAT_SERIES),
    pipeline: {
      pollIntervalMs: e.NOCAI_POLL_INTERVAL_MS,
      batchSize: e.NOCAI_BATCH_SIZE,
      writeBatchSize: e.NOCAI_WRITE_BATCH_SIZE,
      settleMs: e.NOCAI_SETTLE_MS,
      startLookbackMs: e.NOCAI_START_LOOKBACK_MS,
      idleAdvanceMs: e.NOCAI_IDLE_ADVANCE_MS,
      maxBackoffMs: e.NOCAI_MAX_BACKOFF_MS,
    },
    metrics: {
      catchUpLagMs: 5 * 60_000,
      specs: parseMetrics(e.NOCAI_METRICS),
      stage: {
        ...DEFAULT_METRIC_STAGE_OPTIONS,
        settleMs: e.NOCAI_SETTLE_MS,
        windowMs: e.NOCAI_METRIC_WINDOW_MS,
        startLookbackMs: e.NOCAI_METRIC_LOOKBACK_MS,
      },
    },
    forecasts: {
      stage: { ...DEFAULT_FORECAST_STAGE_OPTIONS, intervalMs: e.NOCAI_FORECAST_INTERVAL_MS },
      holidays: e.NOCAI_HOLIDAYS_COUNTRY === undefined ? undefined : parseCountry(e.NOCAI_HOLIDAYS_COUNTRY),
      thresholds: parseThresholds(e.NOCAI_FORECAST_THRESHOLDS),
    },
    maintenance: {
      stage: {
        ...DEFAULT_MAINTENANCE_STAGE_OPTIONS,
        startLookbackMs: e.NOCAI_MAINTENANCE_LOOKBACK_MS,
        horizonHours: e.NOCAI_MAINTENANCE_HORIZON_H,
        deviceKinds: e.NOCAI_MAINTENANCE_KINDS.split(',')
          .map((k) => k.trim())
          .filter((k) => k !== ''),
      },
    },
    retraining: {
      intervalMs: e.NOCAI_RETRAIN_INTERVAL_MS,
      labelDays: e.NOCAI_RETRAIN_LABEL_DAYS,
      gate: {
        margin: e.NOCAI_RETRAIN_MARGIN,
        maxSegmentLoss: e.NOCAI_RETRAIN_MAX_SEGMENT_LOSS,
        minHoldoutRows: e.NOCAI_RETRAIN_MIN_HOLDOUT,
      },
    },
    accuracy: {
      intervalMs: e.NOCAI_ACCURACY_INTERVAL_MS,
      windowMs: e.NOCAI_ACCURACY_WINDOW_MS,
      minVerdicts: e.NOCAI_ACCURACY_MIN_VERDICTS,
      minGroupVerdicts: e.NOCAI_ACCURACY_MIN_GROUP_VERDICTS,
    },
    drift: {
      intervalMs: e.NOCAI_DRIFT_INTERVAL_MS,
      windowMs: e.NOCAI_DRIFT_WINDOW_MS,
      minRows: e.NOCAI_DRIFT_MIN_ROWS,
      retrain: e.NOCAI_DRIFT_RETRAIN === 'true',
    },
    report: { periodMs: e.NOCAI_REPORT_PERIOD_MS },
    deadLetterMaxBytes: e.NOCAI_DEAD_LETTER_MAX_BYTES,
    shard: shardSpecOf(e.NOCAI_SHARD_COUNT, e.NOCAI_SHARD_INDEX, e.HOSTNAME) as ShardSpec,
    ...(e.NOCAI_SHARD_PEER_URL !== undefined ? { shardPeerUrl: e.NOCAI_SHARD_PEER_URL } : {}),
    tokensDir: e.NOCAI_TOKENS_DIR ?? e.NOCAI_STATE_DIR,
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * This replica's shard: NOCAI_SHARD_INDEX, or else (with NOCAI_SHARD_COUNT > 1) the ordinal a
 * StatefulSet puts at the end of the pod's hostname. A string is the sentence that says what is wrong.
 */
function shardSpecOf(count: number, index: string | undefined, hostname: string | undefined): ShardSpec | string {
  if (index !== undefined && index !== '') {
    const n = Number(index);
    if (!Number.isInteger(n) || n < 0 || n >= count) {
      return `NOCAI_SHARD_INDEX must be an integer from 0 to ${count - 1} (NOCAI_SHARD_COUNT is ${count}), got "${index}"`;
    }
    return { count, index: n };
  }
  if (count === 1) return { count, index: 0 };
  const ordinal = hostname === undefined ? undefined : ordinalOfHostname(hostname);
  if (ordinal === undefined) {
    return (
      `NOCAI_SHARD_INDEX is not set and the hostname "${hostname ?? ''}" ends in no StatefulSet ordinal (-N): ` +
      'set NOCAI_SHARD_INDEX'
    );
  }
  if (ordinal >= count) {
    return (
      `the hostname "${hostname}" names shard ${ordinal}, but NOCAI_SHARD_COUNT is ${count}: ` +
      `raise NOCAI_SHARD_COUNT to the StatefulSet's replicas`
    );
  }
  return { count, index: ordinal };
}

/**
 * The secret values of a configuration (InfluxDB's token and password, also as given in INFLUX_URL;
 * the API and webhook tokens), for the logger to scrub from every line.
 */
export function secretsOf(config: Config): string[] {
  let urlPassword = '';
  try {
    urlPassword = decodeURIComponent(new URL(config.influx.url).password);
  } catch {
    // INFLUX_URL was checked at load; a URL without a password has none to hide.
  }
  const { influx, http } = config;
  return [influx.token, influx.password, urlPassword, http.apiToken, http.webhookToken].filter(
    (secret): secret is string => secret !== undefined && secret !== ''
  );
}

/** A PEM file named by `variable`, read now so that a missing or unreadable one stops the start. */
function pemFile(variable: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`${variable}: cannot read ${path} (${code})`);
  }
  if (!text.includes('-----BEGIN ')) {
    throw new ConfigError(`${variable}: ${path} is not a PEM file (no -----BEGIN line)`);
  }
  return text;
}

/** INFLUX_CA: one or more PEM certificates. */
function certificatesFile(variable: string, path: string): string {
  const pem = pemFile(variable, path);
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw new ConfigError(`${variable}: ${path} holds no readable certificate (${(error as Error).message})`);
  }
  return pem;
}

/** NOCAI_TLS_CERT and NOCAI_TLS_KEY: read, and checked to be a certificate and its own key. */
function tlsFiles(certPath: string, keyPath: string): { cert: string; key: string } {
  const cert = certificatesFile('NOCAI_TLS_CERT', certPath);
  const key = pemFile('NOCAI_TLS_KEY', keyPath);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `NOCAI_TLS_CERT and NOCAI_TLS_KEY (${certPath}, ${keyPath}) cannot serve HTTPS: ${(error as Error).message}`
    );
  }
  return { cert, key };
}

/** NOCAI_GRAFANA_ROLES: `Viewer=viewer,Editor=operator,Admin=admin`. */
function parseRoleMapping(text: string): GrafanaRoleMapping {
  if (text.trim() === '') return DEFAULT_GRAFANA_ROLE_MAPPING;
  try {
    return parseGrafanaRoleMapping(text);
  } catch (error) {
    throw new ConfigError(`NOCAI_GRAFANA_ROLES: ${(error as Error).message}`);
  }
}

/** NOCAI_HOLIDAYS_COUNTRY: an ISO 3166-1 code the holiday library knows. */
function parseCountry(code: string): HolidayCalendar {
  try {
    return holidayCalendar(code);
  } catch (error) {
    throw new ConfigError(`NOCAI_HOLIDAYS_COUNTRY: ${(error as Error).message}`);
  }
}

/** NOCAI_FORECAST_THRESHOLDS: `measurement.field>=value` entries; `none` watches no metric. */
function parseThresholds(text: string): ThresholdRule[] {
  if (text.trim().toLowerCase() === 'none') return [];
  try {
    return parseThresholdRules(text);
  } catch (error) {
    throw new ConfigError(`NOCAI_FORECAST_THRESHOLDS: ${(error as Error).message}`);
  }
}

/** NOCAI_METRICS: the Telegraf series scored for anomalies; `none` turns the metric stage off. */
function parseMetrics(text: string): MetricSpec[] {
  if (text.trim().toLowerCase() === 'none') return [];
  try {
    return parseMetricSpecs(text);
  } catch (error) {
    throw new ConfigError(`NOCAI_METRICS: ${(error as Error).message}`);
  }
}

/** `hospital=facilities,hotel=maintenance`, or a sentence naming what is wrong. */
function parsePowerDepartments(spec: string): Partial<Record<string, Department>> | string {
  const routing: Partial<Record<string, Department>> = {};
  for (const pair of spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [siteKind, department, ...rest] = pair.split('=').map((p) => p.trim());
    if (rest.length > 0 || department === undefined || !(SITE_KINDS as readonly string[]).includes(siteKind)) {
      return `NOCAI_POWER_DEPARTMENT_BY_SITE_KIND takes site_kind=department pairs, the site kind one of ${SITE_KINDS.join(', ')} (got "${pair.slice(0, 64)}")`;
    }
    if (!isDepartment(department)) {
      return `NOCAI_POWER_DEPARTMENT_BY_SITE_KIND: ${siteKind}'s department must be one of ${DEPARTMENTS.join(', ')} (got "${department.slice(0, 64)}")`;
    }
    routing[siteKind] = department;
  }
  return routing;
}

function parseSeries(spec: string): HeartbeatSeries[] {
  try {
    return parseHeartbeatSeries(spec);
  } catch (error) {
    throw new ConfigError(`NOCAI_HEARTBEAT_SERIES: ${(error as Error).message}`);
  }
}

/** A service setting by its environment variable name (`NOCAI_PORT`): typos are type errors. */
export type ServiceEnv = Partial<Record<keyof z.input<typeof envSchema>, string>>;

/** What a command that runs the service itself (`nocai demo`) takes from the environment. */
export interface CommandEnvironment {
  /** INFLUX_URL when the user set one: the demo then writes there instead of starting its own influxd. */
  influxUrl?: string;
  /**
   * The service's config: the command's own choices (`own`) win over the environment, which
   * supplies the rest (credentials, LOG_LEVEL…); `defaults` fill what neither sets.
   */
  serviceConfig(own: ServiceEnv, defaults?: ServiceEnv): Config;
}

/**
 * The maintenance horizon alone (NOCAI_MAINTENANCE_HORIZON_H), for commands that train models
 * without the service's settings (`nocai setup`).
 */
export function loadMaintenanceHorizonH(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = checkInput(maintenanceHorizonH, env.NOCAI_MAINTENANCE_HORIZON_H, ENVIRONMENT_WORDING);
  if (!parsed.success) throw new ConfigError(parsed.message);
  return parsed.data;
}

/**
 * The margin a new version must beat the champion by (NOCAI_RETRAIN_MARGIN), for `nocai train`,
 * which decides as the scheduled retraining does without the service's other settings.
 */
export function loadRetrainMargin(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = checkInput(retrainMargin, env.NOCAI_RETRAIN_MARGIN, ENVIRONMENT_WORDING);
  if (!parsed.success) throw new ConfigError(parsed.message);
  return parsed.data;
}

export function loadCommandEnvironment(env: NodeJS.ProcessEnv = process.env): CommandEnvironment {
  const given = nonEmpty.parse(env.INFLUX_URL);
  if (given !== undefined) {
    const checked = checkInput(httpUrl('INFLUX_URL'), given, ENVIRONMENT_WORDING);
    if (!checked.success) throw new ConfigError(checked.message);
  }
  return {
    influxUrl: given,
    serviceConfig: (own, defaults = {}) => loadConfig({ ...defaults, ...env, ...own }),
  };
}
