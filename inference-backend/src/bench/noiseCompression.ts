import { OUTPUT, TICKET_SERIES, type GroundTruthIncident, type Inventory } from '@nocai/contract';
import type { InfluxClient } from '../adapters/influx/client';
import { eventTagsAt } from '../adapters/influx/eventsRepository';
import { HeartbeatSource, parseHeartbeatSeries } from '../adapters/influx/heartbeatSource';
import { quoteIdentifier, quoteString } from '../adapters/influx/influxql';
import { SyslogSource } from '../adapters/influx/syslogSource';
import { TicketsRepository } from '../adapters/influx/ticketsRepository';
import { InfluxWriter } from '../adapters/influx/writer';
import { FileStateStore } from '../adapters/state/fileStateStore';
import { TemplateMiner, type TemplateMinerState } from '../domain/logs/templateMiner';
import { LogStage } from '../pipeline/logStage';
import { TriageStep } from '../pipeline/triageStep';
import { MedianMttrBaseline } from '../services/baselineModels';
import type { Clock } from '../domain/series';
import type { LineClassifier } from '../pipeline/logStage';
import { incidentCoverage, type IncidentCoverage, type OpenedTicket } from './coverage';
import { withCpu, type CpuSeconds } from './cpuMeter';

export interface NoiseCompressionInput {
  client: InfluxClient;
  /** Holds the simulated Telegraf data. */
  inputDb: string;
  /** Fresh database for events, tickets and silences. */
  outputDb: string;
  stateDir: string;
  inventory: Inventory;
  /** End of the simulated period: the stage's clock stands still there. */
  endUs: number;
  days: number;
  incidents: readonly GroundTruthIncident[];
  /** The rules, or the ONNX champions of the serving path. */
  classifier: LineClassifier;
  /** The local influxd, whose CPU seconds are counted beside this process's. */
  influxdPid?: number;
}

export interface NoiseCompressionResult {
  lines: number;
  seconds: number;
  /** CPU spent while the stage ran (not while its output was read back). */
  cpu: CpuSeconds;
  /** Events whose final decision is alert (after the engine's re-labelling). */
  alertEvents: number;
  falseAlarmEvents: number;
  tickets: OpenedTicket[];
  coverage: IncidentCoverage;
}

export interface TriageLogStageInput {
  client: InfluxClient;
  inputDb: string;
  outputDb: string;
  stateDir: string;
  inventory: Inventory;
  classifier: LineClassifier;
  writer: InfluxWriter;
  clock: Clock;
  settleMs: number;
  /** How far back the first read starts (days before the clock's now). */
  days: number;
}

/** The log stage with triage, composed as in main.ts (no ticket history: median MTTR baseline, no similar tickets). */
export function createTriageLogStage(input: TriageLogStageInput): LogStage<TemplateMinerState> {
  const { client, inputDb, outputDb, inventory, writer, clock } = input;
  const triage = new TriageStep({
    inventory,
    heartbeats: new HeartbeatSource(client, inputDb, parseHeartbeatSeries('system.load1,sensors.temperature_c')),
    tickets: new TicketsRepository(client, outputDb, writer, clock),
    mttr: new MedianMttrBaseline([]),
    similar: () => undefined,
    eventTags: (hostname, timeUs) => eventTagsAt(client, outputDb, hostname, timeUs),
  });
  return new LogStage<TemplateMinerState>({
    triage,
    inventory,
    source: new SyslogSource(client, inputDb),
    sink: writer,
    store: new FileStateStore(input.stateDir),
    clock,
    classifier: input.classifier,
    createMiner: (state) => (state ? TemplateMiner.fromJSON(state) : new TemplateMiner()),
    options: {
      batchSize: 5000,
      settleMs: input.settleMs,
      startLookbackMs: (input.days + 1) * 86_400_000,
      idleAdvanceMs: 60_000,
    },
  });
}

/**
 * Runs the log stage with triage, composed as in main.ts (no ticket history: median MTTR
 * baseline, no similar tickets), over the whole backlog, then reads back what it decided.
 */
export async function measureNoiseCompression(input: NoiseCompressionInput): Promise<NoiseCompressionResult> {
  const { client, outputDb } = input;
  const writer = new InfluxWriter(client, { database: outputDb, batchSize: 5000 });
  const stage = createTriageLogStage({ ...input, writer, clock: { nowMs: () => input.endUs / 1000 }, settleMs: 0 });
  const started = performance.now();
  const { result: lines, cpu } = await withCpu(input.influxdPid, async () => {
    let processed = 0;
    for (let n = await stage.tick(); n > 0; n = await stage.tick()) processed += n;
    await writer.flush();
    return processed;
  });
  const seconds = (performance.now() - started) / 1000;

  const tickets = await readTickets(client, outputDb);
  return {
    lines,
    seconds,
    cpu,
    alertEvents: await countEvents(client, outputDb, 'alert'),
    falseAlarmEvents: await countEvents(client, outputDb, 'false_alarm'),
    tickets,
    coverage: incidentCoverage(input.incidents, tickets),
  };
}

async function countEvents(client: InfluxClient, database: string, decision: string): Promise<number> {
  const E = OUTPUT.events;
  const q =
    `SELECT count(${quoteIdentifier(E.fields.message)}) FROM ${quoteIdentifier(E.measurement)} ` +
    `WHERE ${quoteIdentifier(E.fields.decision)} = ${quoteString(decision)}`;
  return Number((await client.query(database, q))[0]?.rows[0]?.count ?? 0);
}

/** Every ticket id with its site, first opening time and latest status. */
async function readTickets(client: InfluxClient, database: string): Promise<OpenedTicket[]> {
  const T = TICKET_SERIES;
  const columns = [T.fields.ticketId, T.fields.openedAtMs, T.tags.site, T.tags.eventClass, T.tags.status]
    .map(quoteIdentifier)
    .join(', ');
  const q = `SELECT ${columns} FROM ${quoteIdentifier(T.measurement)} ORDER BY time ASC`;
  const rows = (await client.query(database, q))[0]?.rows ?? [];
  const byId = new Map<string, OpenedTicket>();
  for (const row of rows) {
    const id = String(row[T.fields.ticketId]);
    const seen = byId.get(id);
    byId.set(id, {
      id,
      site: String(row[T.tags.site] ?? ''),
      openedAtMs: seen?.openedAtMs ?? Number(row[T.fields.openedAtMs] ?? Number(row.time) / 1000),
      eventClass: String(row[T.tags.eventClass] ?? ''),
      status: String(row[T.tags.status] ?? ''),
    });
  }
  return [...byId.values()];
}
