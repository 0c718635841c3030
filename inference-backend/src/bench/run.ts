import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureLoghubThroughput } from '../adapters/files/loghub';
import { InfluxClient } from '../adapters/influx/client';
import { quoteIdentifier } from '../adapters/influx/influxql';
import { startLocalInfluxd, type LocalInfluxd } from '../adapters/influx/localServer';
import { SyslogSource } from '../adapters/influx/syslogSource';
import { InfluxWriter } from '../adapters/influx/writer';
import { FileStateStore } from '../adapters/state/fileStateStore';
import { TemplateMiner, type TemplateMinerState } from '../domain/logs/templateMiner';
import type { PointSink, SeriesPoint } from '../domain/series';
import { ruleLineClassifier } from '../services/baselineModels';
import { LogStage } from '../pipeline/logStage';
import { generateInventory, runBackfill } from '../simulator';

/**
 * `npm run bench`: throughput figures with their ratio to the targets of the issues.
 * Uses INFLUX_URL when set, otherwise a private influxd. `BENCH_DAYS` (default 30) sets the
 * simulated period.
 */
const TARGETS = {
  miningLinesPerSecond: 200_000,
  /** 1 million points in under 2 minutes. */
  backfillPointsPerSecond: 1_000_000 / 120,
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (value: number, target: number) => `${(value / target).toFixed(2)}× target (${fmt(target)})`;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const days = Number(process.env.BENCH_DAYS ?? 30);
  say(`NOC AI benchmark: ${new Date().toISOString()}, node ${process.version}`);

  const datasets = resolve(__dirname, '../../../../shared/datasets');
  if (existsSync(join(datasets, 'loghub'))) {
    measureLoghubThroughput(datasets, 2);
    const mining = measureLoghubThroughput(datasets, 10);
    say(`template mining (loghub, 8 systems, one core): ${fmt(mining.linesPerSecond)} lines/s, ${ratio(mining.linesPerSecond, TARGETS.miningLinesPerSecond)}`);
  } else {
    say(`template mining: skipped, no loghub data at ${datasets}`);
  }

  let influxd: LocalInfluxd | undefined;
  const url = process.env.INFLUX_URL ?? (influxd = await startLocalInfluxd()).url;
  const client = new InfluxClient({ url, token: process.env.INFLUX_TOKEN, timeoutMs: 60_000 });
  const stateDir = mkdtempSync(join(tmpdir(), 'nocai-bench-'));
  try {
    const inputDb = `bench_telegraf_${Date.now()}`;
    const outputDb = `bench_aiops_${Date.now()}`;
    await client.createDatabase(inputDb);
    await client.createDatabase(outputDb);

    const sink = new InfluxWriter(client, { database: inputDb, batchSize: 5000 });
    const endUs = Date.now() * 1000;
    let lastLine = 0;
    const backfill = await runBackfill(
      { seed: 42, days, endUs, inventory: generateInventory({ seed: 42, sites: 4 }) },
      sink,
      (p) => {
        const now = Date.now();
        if (now - lastLine < 5000) return;
        lastLine = now;
        process.stderr.write(`  backfill ${p.daysDone.toFixed(1)}/${p.daysTotal} days, ${fmt(p.points)} points\n`);
      }
    );
    const backfillRate = backfill.points / backfill.seconds;
    say(
      `simulator backfill into InfluxDB: ${days} days, ${fmt(backfill.points)} points (${fmt(backfill.syslogLines)} syslog lines) ` +
        `in ${backfill.seconds.toFixed(1)} s = ${fmt(backfillRate)} points/s, ${ratio(backfillRate, TARGETS.backfillPointsPerSecond)}; ` +
        `1 million points in ${(1e6 / backfillRate).toFixed(1)} s`
    );

    let events = 0;
    const counting: PointSink = {
      write: (points: readonly SeriesPoint[]) => {
        events += points.length;
        return writer.write(points);
      },
      flush: () => writer.flush(),
      close: () => writer.close(),
    };
    const writer = new InfluxWriter(client, { database: outputDb, batchSize: 5000 });
    const stage = new LogStage<TemplateMinerState>({
      source: new SyslogSource(client, inputDb),
      sink: counting,
      store: new FileStateStore(stateDir),
      clock: { nowMs: () => endUs / 1000 },
      classifier: ruleLineClassifier,
      createMiner: (state) => (state ? TemplateMiner.fromJSON(state) : new TemplateMiner()),
      options: { batchSize: 5000, settleMs: 0, startLookbackMs: (days + 1) * 86_400_000, idleAdvanceMs: 60_000 },
    });
    const started = performance.now();
    while ((await stage.tick()) > 0) {
      // back to back until the backlog is drained
    }
    const seconds = (performance.now() - started) / 1000;
    say(
      `pipeline (InfluxDB syslog → mine → classify → aiops_events written, watermark committed): ` +
        `${fmt(events)} lines in ${seconds.toFixed(1)} s = ${fmt(events / seconds)} lines/s`
    );
    if (events !== backfill.syslogLines) {
      throw new Error(`pipeline wrote ${events} events for ${backfill.syslogLines} syslog lines`);
    }
    await client.query(undefined, `DROP DATABASE ${quoteIdentifier(inputDb)}`);
    await client.query(undefined, `DROP DATABASE ${quoteIdentifier(outputDb)}`);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    await influxd?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
