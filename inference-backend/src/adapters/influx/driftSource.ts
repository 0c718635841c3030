import { OUTPUT, TICKET_SERIES } from '@nocai/contract';
import type { DriftInputKind, DriftWindow, DriftWindowSource } from '../../pipeline/driftStage';
import type { InfluxClient } from './client';
import { equalsCondition, quoteIdentifier, timeLiteralUs } from './influxql';

const E = OUTPUT.events;
const T = TICKET_SERIES;

/**
 * Columns read per input kind: InfluxDB names, which are also the training rows' column names
 * (the trainers read the simulator's history in the same snake_case), so no renaming is needed.
 * Lines: the message (matched to the training templates), the tags the line models take as
 * context, and the predictions (`class` tag, `decision` field). Tickets: the opening's routing
 * tags and the device kind (a field there, ids and free text are never tags).
 */
const COLUMNS: Record<DriftInputKind, { measurement: string; columns: string[]; where?: string }> = {
  lines: {
    measurement: E.measurement,
    columns: [
      E.fields.message,
      E.fields.decision,
      E.tags.appname,
      E.tags.severity,
      E.tags.siteKind,
      E.tags.deviceKind,
      E.tags.eventClass,
    ],
  },
  tickets: {
    measurement: T.measurement,
    columns: [T.tags.eventClass, T.tags.department, T.tags.priority, T.tags.site, T.tags.siteKind, T.fields.deviceKind],
    where: equalsCondition(T.tags.change, 'opened'),
  },
};

/** Reads the drift stage's current windows from the output database. */
export class InfluxDriftSource implements DriftWindowSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string
  ) {}

  async read(kind: DriftInputKind, fromMs: number, toMs: number, maxRows: number): Promise<DriftWindow> {
    const spec = COLUMNS[kind];
    const conditions = [
      ...(spec.where ? [spec.where] : []),
      `time >= ${timeLiteralUs(fromMs * 1000)}`,
      `time < ${timeLiteralUs(toMs * 1000)}`,
    ];
    const q =
      `SELECT ${spec.columns.map(quoteIdentifier).join(', ')} FROM ${quoteIdentifier(spec.measurement)} ` +
      `WHERE ${conditions.join(' AND ')} ORDER BY time DESC LIMIT ${Math.max(1, Math.trunc(maxRows))}`;
    const rows: Array<Record<string, string>> = [];
    for (const series of await this.client.query(this.database, q)) {
      for (const row of series.rows) {
        rows.push(
          Object.fromEntries(
            spec.columns.map((c) => [c, row[c] === null || row[c] === undefined ? '' : String(row[c])])
          )
        );
      }
    }
    return { columns: spec.columns, rows };
  }
}
