import { decode } from '@msgpack/msgpack';
import type { TimeSeries } from './seriesTimes';

/**
 * parseSeriesTimes for InfluxDB's MessagePack answer to /query (`Accept: application/x-msgpack`,
 * which InfluxDB 1.x serves): the same answer, a map of `results` (or of `error`), each result a
 * map of `statement_id`, `series` and maybe `error`, each series a map of `name`, `tags`,
 * `columns` and `values`. InfluxDB spends about half the CPU on it that it spends writing the same
 * rows as JSON (the heartbeats, about ten rows per syslog line, were most of what InfluxDB did
 * for the pipeline, issue 13). Decoded by @msgpack/msgpack.
 *
 * The times are what Number() makes of the time column's value, as from JSON: an integer exactly
 * (as the nearest double beyond 2^53), a float as it is (InfluxDB writes times as integers when
 * asked for epoch times); an extension (a time not given as epoch) is NaN. Malformed or truncated
 * input, or bytes after the answer, throw a SyntaxError.
 */
export function parseSeriesTimesMsgpack(bytes: Uint8Array): {
  error?: string;
  results: Array<{ error?: string; series: TimeSeries[] }>;
} {
  const answer = decodeAnswer(bytes);
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new SyntaxError('not a map');
  const { error, results } = answer as { error?: unknown; results?: unknown };
  return {
    error: typeof error === 'string' ? error : undefined,
    results: (Array.isArray(results) ? (results as unknown[]) : []).map((result) => {
      const r = (result ?? {}) as { error?: unknown; series?: unknown };
      const series = Array.isArray(r.series) ? (r.series as RawSeries[]) : [];
      return {
        error: typeof r.error === 'string' ? r.error : undefined,
        series: series.map((s) => ({
          name: typeof s.name === 'string' ? s.name : '',
          tags: (s.tags ?? {}) as Record<string, string>,
          times: timesOf(s.columns, s.values),
        })),
      };
    }),
  };
}

/** The `error` of a MessagePack answer (a refused query), when it has one. */
export function msgpackError(bytes: Uint8Array): string | undefined {
  try {
    const answer = decodeAnswer(bytes) as { error?: unknown } | null;
    return typeof answer?.error === 'string' ? answer.error : undefined;
  } catch {
    return undefined;
  }
}

interface RawSeries {
  name?: unknown;
  tags?: unknown;
  columns?: unknown;
  values?: unknown;
}

function decodeAnswer(bytes: Uint8Array): unknown {
  try {
    return decode(bytes);
  } catch (error) {
    throw new SyntaxError(`InfluxDB's MessagePack answer cannot be read: ${(error as Error).message}`);
  }
}

function timesOf(columns: unknown, values: unknown): number[] {
  const at = Array.isArray(columns) ? columns.indexOf('time') : -1;
  if (at < 0 || !Array.isArray(values)) return [];
  return values.map((row) => asTime(Array.isArray(row) ? (row as unknown[])[at] : undefined));
}

function asTime(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
