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
  NOCAI_PORT, NOCAI_HOST  HTTP listen address (default 0.0.0.0:8080)
  NOCAI_STATE_DIR         watermarks and miner state (default .state)
  NOCAI_INVENTORY         inventory.yaml: sites, devices and their dependencies
  NOCAI_POLL_INTERVAL_MS, NOCAI_BATCH_SIZE, NOCAI_WRITE_BATCH_SIZE, NOCAI_SETTLE_MS, NOCAI_START_LOOKBACK_MS
  LOG_LEVEL               fatal|error|warn|info|debug|trace|silent (default info)`;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the inference backend: the pipeline over Telegraf data and the HTTP API')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async () => {
      const service = await startService(loadConfig());
      onShutdownSignal(() => service.stop());
    });
}
