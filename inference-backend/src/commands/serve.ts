import type { Command } from 'commander';
import { loadConfig } from '../config';
import { startService } from '../main';
import { onShutdownSignal } from './signals';

export const ENVIRONMENT_HELP = `
Configuration comes from environment variables:
  INFLUX_URL              InfluxDB base URL (default http://127.0.0.1:8086); v1 API, so 1.x, 2.x and 3.x work
  INFLUX_TOKEN            API token for InfluxDB 2.x/3.x
  INFLUX_USERNAME, INFLUX_PASSWORD   credentials for InfluxDB 1.x with auth enabled
  INFLUX_INPUT_DB         database Telegraf writes to (default telegraf)
  INFLUX_OUTPUT_DB        database results are written to (default aiops)
  INFLUX_TIMEOUT_MS       longest wait for one InfluxDB request (default 10000)
  INFLUX_CA               PEM file of the CA that signed InfluxDB's HTTPS certificate
  NOCAI_API_TOKEN         bearer token required on /api/* (required unless NOCAI_ALLOW_ANONYMOUS=true)
  NOCAI_WEBHOOK_TOKEN     a second bearer token, accepted only on POST /api/alerts/grafana (Grafana's contact point)
  NOCAI_GRAFANA_URL       Grafana's URL: verify its signed ID tokens (X-Grafana-Id) against its signing keys
  NOCAI_GRAFANA_ISSUER, NOCAI_GRAFANA_AUDIENCE  the ID token's iss (default <NOCAI_GRAFANA_URL>/) and aud (org:1)
  NOCAI_GRAFANA_ROLES     Grafana org role → role (default Viewer=viewer,Editor=operator,Admin=admin)
  NOCAI_GRAFANA_USER_ROLE role of a Grafana user named by X-Grafana-User only (default operator)
  NOCAI_API_TOKEN_GRAFANA NOCAI_API_TOKEN is the Grafana data source's token (default true); tokens: nocai tokens
  NOCAI_PORT, NOCAI_HOST  HTTP listen address (default 0.0.0.0:8080)
  NOCAI_TLS_CERT, NOCAI_TLS_KEY  PEM certificate and key: the API is served over HTTPS (both or neither)
  NOCAI_RATE_LIMIT        requests per minute per caller under /api, then 429 with Retry-After (default 600; 0: off)
  NOCAI_REQUEST_TIMEOUT_MS  longest wait for an answer before 503 (default 30000; 0: none)
  NOCAI_MAX_HEADER_BYTES  largest request header, else 431 (default 16384)
  NOCAI_STATE_DIR         watermarks and miner state (default .state)
  NOCAI_INVENTORY         inventory.yaml: sites, devices and their dependencies (enables incidents and tickets)
  NOCAI_TICKET_HISTORY    resolved tickets (JSON lines) for similar-ticket suggestions and the MTTR baseline
  NOCAI_LINE_HISTORY      labelled log lines (the line models' corpus) the retraining adds judged tickets' lines to
  NOCAI_MODELS_DIR        model registry; champions of event-class, event-decision, ticket-class, department,
                          priority and mttr are served (rules and baselines stand in for missing ones)
  NOCAI_PROBLEMS_DIR      predictive alert problem definitions, one YAML file each (default <NOCAI_STATE_DIR>/problems)
  NOCAI_REVIEW_THRESHOLD  below this confidence a ticket goes to needs_review (default 0.6)
  NOCAI_POWER_DEPARTMENT_BY_SITE_KIND  power tickets of sites of these kinds go to these departments, e.g. hospital=facilities (default none: field_technicians)
  NOCAI_TICKET_RETENTION_DAYS  done tickets stay in the in-memory ticket index this long (default 365)
  NOCAI_HEAP_GROWTH_PERCENT  full collection once the heap is this much above its live data (default 0: V8's own policy)
  NOCAI_HEARTBEAT_SERIES  telemetry proving a device is alive (default system.load1,sensors.temperature_c)
  NOCAI_POLL_INTERVAL_MS, NOCAI_BATCH_SIZE, NOCAI_WRITE_BATCH_SIZE, NOCAI_SETTLE_MS, NOCAI_START_LOOKBACK_MS,
  NOCAI_IDLE_ADVANCE_MS
  NOCAI_MAX_BACKOFF_MS    longest wait between retries of a failing pipeline stage (default 30000)
  NOCAI_DEAD_LETTER_MAX_BYTES  points InfluxDB refuses go to <state>/dead-letter.jsonl, rotated at this size (default 10 MiB)
  NOCAI_METRICS           measurement.field{tag=value} series scored for anomalies (default: cpu, mem, disk, net,
                          system and the sensors of the simulated estate)
  NOCAI_METRIC_WINDOW_MS, NOCAI_METRIC_LOOKBACK_MS  metric stage step (default 2 h) and first look back (default 6 h)
  NOCAI_MAINTENANCE_KINDS device kinds given failure and remaining-life predictions (default plc)
  NOCAI_MAINTENANCE_HORIZON_H  hours ahead the failure model warns (default 24); plc-failure-<h>h is served
  NOCAI_MAINTENANCE_LOOKBACK_MS  first look back of the maintenance stage (default 1 h)
  NOCAI_FORECAST_INTERVAL_MS  time between forecast runs (default 3600000; 0 turns forecasts off)
  NOCAI_HOLIDAYS_COUNTRY  ISO country code (DE, US, …) whose public holidays the ticket-volume forecast knows (default none)
  NOCAI_FORECAST_THRESHOLDS  metrics forecast until they reach a threshold (default disk.used_percent>=100,
                          sensors.temperature_c>=70; none turns it off)
  NOCAI_ACCURACY_INTERVAL_MS, NOCAI_ACCURACY_WINDOW_MS  production accuracy from verdicts: every 1 h over 7 days
  NOCAI_ACCURACY_MIN_VERDICTS, NOCAI_ACCURACY_MIN_GROUP_VERDICTS  fewest verdicts for a figure (20) and per segment (10)
  NOCAI_DRIFT_INTERVAL_MS, NOCAI_DRIFT_WINDOW_MS, NOCAI_DRIFT_MIN_ROWS  drift check: every 1 h over 1 day, 30 rows at least
  NOCAI_DRIFT_RETRAIN     true: a detected drift asks for a retraining run (default false)
  NOCAI_RETRAIN_INTERVAL_MS  scheduled retraining (default weekly; 0: off)
  NOCAI_RETRAIN_MARGIN    a challenger replaces the champion only when it beats it by this much on fresh data (0.01)
  NOCAI_RETRAIN_MAX_SEGMENT_LOSS  … and loses no more than this in any segment (0.05)
  NOCAI_RETRAIN_MIN_HOLDOUT  fewest fresh rows to judge a challenger on (30)
  NOCAI_RETRAIN_LABEL_DAYS  days of verdicts and history turned into labels (90)
  NOCAI_REPORT_PERIOD_MS  the performance report's period (default weekly; 0: off)
  NOCAI_SHARD_COUNT, NOCAI_SHARD_INDEX  replicas sharing the estate by site and this one's share; without the index,
                          the ordinal at the end of HOSTNAME (a StatefulSet's nocai-backend-2 is shard 2)
  NOCAI_SHARD_PEER_URL    where shard {i}'s replica answers (http://nocai-backend-{i}.nocai-backend:8080): a change to
                          a ticket another replica owns is made there
  NOCAI_TOKENS_DIR        where the per-client tokens (tokens.json) are kept (default NOCAI_STATE_DIR); replicas share one
  LOG_LEVEL               fatal|error|warn|info|debug|trace|silent (default info)`;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async () => {
      const service = await startService(loadConfig());
      onShutdownSignal(() => service.stop());
    });
}
