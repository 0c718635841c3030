import { SERIES_BY_KIND, seriesTagNames, type SeriesKind, type SeriesPage, type SeriesQuery } from '@nocai/contract';
import type { InfluxClient } from './client';
import { anyOfCondition, quoteIdentifier, timeLiteralUs } from './influxql';

/** Without a range, the last day: result series are dense (a point per host and minute). */
const DEFAULT_SPAN_MS = 86_400_000;

/**
 * Reads one of the result series (silences, anomalies, forecasts, maintenance, model metrics,
 * drift) back for the API, under the tag and field names the contract gives them, so a new
 * field written by a stage is served without a change here.
 */
export class SeriesRepository {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string
  ) {}

  async find(kind: SeriesKind, query: SeriesQuery, nowMs: number): Promise<SeriesPage> {
    const series = SERIES_BY_KIND[kind];
    const tagNames = seriesTagNames(kind);
    const fieldNames: string[] = Object.values(series.fields);
    const toMs = query.to ?? nowMs;
    const fromMs = query.from ?? toMs - DEFAULT_SPAN_MS;
    const where = [`time >= ${timeLiteralUs(fromMs * 1000)}`, `time <= ${timeLiteralUs(toMs * 1000)}`];
    for (const [tag, values] of Object.entries(query.filters)) {
      // The schema only lets tag names through; checked again because this builds a query.
      if (!tagNames.includes(tag)) throw new Error(`${tag} is not a tag of ${series.measurement}`);
      where.push(anyOfCondition(tag, values));
    }
    const columns = [...fieldNames, ...tagNames].map(quoteIdentifier).join(', ');
    const q =
      `SELECT ${columns} FROM ${quoteIdentifier(series.measurement)} WHERE ${where.join(' AND ')} ` +
      `ORDER BY time DESC LIMIT ${query.limit}`;
    const rows = (await this.client.query(this.database, q))[0]?.rows ?? [];
    return {
      kind,
      measurement: series.measurement,
      rows: rows.map((row) => ({
        timeMs: Math.floor(Number(row.time) / 1000),
        tags: Object.fromEntries(tagNames.map((tag) => [tag, row[tag] == null ? '' : String(row[tag])])),
        fields: Object.fromEntries(fieldNames.map((field) => [field, fieldValue(row[field])])),
      })),
    };
  }
}

function fieldValue(value: unknown): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  return String(value);
}
