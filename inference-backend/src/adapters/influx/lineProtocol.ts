import { Point } from '@influxdata/influxdb-client';
import type { SeriesPoint } from '../../domain/series';

/**
 * Line protocol for one point, escaped by the InfluxDB client's `Point` (spaces, commas,
 * equals signs, quotes, backslashes and newlines in tags and fields). Timestamps are
 * written with precision `u` (see SeriesPoint.timeUs).
 */
export function toLineProtocol(point: SeriesPoint): string {
  const p = new Point(point.measurement);
  for (const [k, v] of Object.entries(point.tags)) {
    // InfluxDB rejects empty tag values; an absent tag is the faithful encoding.
    if (v !== '') p.tag(k, v);
  }
  for (const [k, v] of Object.entries(point.fields)) {
    if (typeof v === 'number') p.floatField(k, v);
    else if (typeof v === 'boolean') p.booleanField(k, v);
    else p.stringField(k, v);
  }
  if (point.intFields) {
    for (const [k, v] of Object.entries(point.intFields)) p.intField(k, v);
  }
  p.timestamp(String(Math.trunc(point.timeUs)));
  const line = p.toLineProtocol();
  if (line === undefined) {
    throw new Error(`point of ${point.measurement} at ${point.timeUs} has no fields`);
  }
  return line;
}

export const LINE_PROTOCOL_PRECISION = 'u';
