import { decode } from '@msgpack/msgpack';
import { seriesTimesOf, type SeriesTimesAnswer } from './seriesTimes';

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
export function parseSeriesTimesMsgpack(bytes: Uint8Array): SeriesTimesAnswer {
  return seriesTimesOf(decodeAnswer(bytes), () => undefined);
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

function decodeAnswer(bytes: Uint8Array): unknown {
  try {
    return decode(bytes);
  } catch (error) {
    throw new SyntaxError(`InfluxDB's MessagePack answer cannot be read: ${(error as Error).message}`);
  }
}
