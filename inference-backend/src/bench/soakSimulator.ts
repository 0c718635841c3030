import { InfluxClient } from '../adapters/influx/client';
import { InfluxWriter } from '../adapters/influx/writer';
import { generateInventory, simulationFor } from '../simulator';

/**
 * The soak's simulator, a process of its own so that the bench's RSS is the pipeline's alone:
 * it plays simulated time from `startUs` at `speed` simulated seconds per real second (as fast
 * as the machine allows when it cannot keep up), in slices of at most `sliceUs`, and after each
 * flushed slice prints `{"flushedUntilUs":…,"syslogLines":…}` on stdout. It stops on SIGTERM
 * after its current slice.
 *
 * Arguments (JSON, argv[2]): url, token?, database, seed, sites, startUs, speed, sliceUs.
 */
interface SoakSimulatorSetup {
  url: string;
  token?: string;
  database: string;
  seed: number;
  sites: number;
  startUs: number;
  speed: number;
  sliceUs: number;
}

async function main(setup: SoakSimulatorSetup): Promise<void> {
  const client = new InfluxClient({ url: setup.url, token: setup.token, timeoutMs: 60_000 });
  const writer = new InfluxWriter(client, { database: setup.database, batchSize: 5000 });
  const inventory = generateInventory({ seed: setup.seed, sites: setup.sites });
  const simulation = simulationFor({ seed: setup.seed, inventory });
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  const startedMs = Date.now();
  let cursorUs = setup.startUs;
  let syslogLines = 0;
  while (!stopping) {
    const dueUs = Math.min(Date.now() * 1000, setup.startUs + (Date.now() - startedMs) * 1000 * setup.speed);
    if (dueUs <= cursorUs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    const untilUs = Math.min(dueUs, cursorUs + setup.sliceUs);
    const slice = simulation.generate(cursorUs, untilUs);
    await writer.write(slice.points);
    await writer.flush();
    syslogLines += slice.syslogLines;
    cursorUs = untilUs;
    process.stdout.write(`${JSON.stringify({ flushedUntilUs: cursorUs, syslogLines })}\n`);
  }
  await writer.close();
}

main(JSON.parse(process.argv[2] ?? '{}') as SoakSimulatorSetup).catch((error: unknown) => {
  process.stderr.write(`soak simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
