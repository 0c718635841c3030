import type { Command } from 'commander';
import { loadConfig } from '../config';
import { startService } from '../main';
import { onShutdownSignal } from './signals';

const ENVIRONMENT_HELP = `
Configuration comes from environment variables:
  INFLUX_URL              InfluxDB base URL (default http://127.0.0.1:8086); v1 API, so 1.x, 2.x and 3.x work
  INFLUX_TOKEN            API token for InfluxDB 2.x/3.x
  INFLUX_USERNAME, INFLUX_PASSWORD   credentials for InfluxDB 1.x with auth enabled
  INFLUX_INPUT_DB         database Telegraf writes to (default telegraf)
  INFLUX_OUTPUT_DB        database results are written to (default aiops)
  NOCAI_API_TOKEN         bearer token required on /api/* (required unless NOCAI_ALLOW_ANONYMOUS=true)
  NOCAI_WEBHOOK_TOKEN     a second bearer token, accepted only on POST /api/alerts/grafana (Grafana's contact point)
  NOCAI_GRAFANA_URL       Grafana's URL: verify its signed ID tokens (X-Grafana-Id) against its signing keys
  NOCAI_GRAFANA_ISSUER, NOCAI_GRAFANA_AUDIENCE  the ID token's iss (default <NOCAI_GRAFANA_URL>/) and aud (org:1)
  NOCAI_GRAFANA_ROLES     Grafana org role → role (default Viewer=viewer,Editor=operator,Admin=admin)
  NOCAI_GRAFANA_USER_ROLE role of a Grafana user named by X-Grafana-User only (default operator)
  NOCAI_API_TOKEN_GRAFANA NOCAI_API_TOKEN is the Grafana data source's token (default true); tokens: nocai tokens
  NOCAI_PORT, NOCAI_HOST  HTTP listen address (default 0.0.0.0:8080)
  NOCAI_STATE_DIR         watermarks and miner state (default .state)
  NOCAI_INVENTORY         inventory.yaml: sites, devices and their dependencies (enables incidents and tickets)
  NOCAI_TICKET_HISTORY    resolved tickets (JSON lines) for similar-ticket suggestions and the MTTR baseline
  NOCAI_MODELS_DIR        model registry; champions of event-class, event-decision, ticket-class, department,
                          priority and mttr are served (rules and baselines stand in for missing ones)
  NOCAI_REVIEW_THRESHOLD  below this confidence a ticket goes to needs_review (default 0.6)
  NOCAI_HEARTBEAT_SERIES  telemetry proving a device is alive (default system.load1,sensors.temperature_c)
  NOCAI_POLL_INTERVAL_MS, NOCAI_BATCH_SIZE, NOCAI_WRITE_BATCH_SIZE, NOCAI_SETTLE_MS, NOCAI_START_LOOKBACK_MS,
  NOCAI_IDLE_ADVANCE_MS
  NOCAI_MAX_BACKOFF_MS    longest wait between retries of a failing pipeline stage (default 30000)
  NOCAI_DEAD_LETTER_MAX_BYTES  points InfluxDB refuses go to <state>/dead-letter.jsonl, rotated at this size (default 10 MiB)
  NOCAI_FORECAST_INTERVAL_MS  time between forecast runs (default 3600000; 0 turns forecasts off)
  NOCAI_HOLIDAYS_COUNTRY  ISO country code (DE, US, …) whose public holidays the ticket-volume forecast knows (default none)
  NOCAI_FORECAST_THRESHOLDS  metrics forecast until they reach a threshold (default disk.used_percent>=100,
                          sensors.temperature_c>=70; none turns it off)
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
