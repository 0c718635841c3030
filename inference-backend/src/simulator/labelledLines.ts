import { INPUT } from '@nocai/contract';
import type { Decision, EventClass, GroundTruthEvent } from '@nocai/contract';
import type { SeriesPoint } from '../domain/series';
import { isoUs } from './calendar';
import type { Topology } from './topology';

/**
 * Syslog lines with their true class and decision: the truth files key lines by host and time
 * but do not repeat the text, and a text classifier needs both. Written as
 * `history/events.{jsonl,csv}` (the training data of the `event-class`/`event-decision` models).
 */
export const LABELLED_LINE_COLUMNS = [
  'time',
  'hostname',
  'appname',
  'severity',
  'message',
  'device_kind',
  'site_kind',
  'criticality',
  'class',
  'decision',
] as const;

export interface LabelledLine {
  /** ISO 8601, UTC, millisecond precision. */
  time: string;
  hostname: string;
  appname: string;
  severity: string;
  message: string;
  device_kind: string;
  site_kind: string;
  /** Site criticality 1-5. */
  criticality: number;
  class: EventClass;
  decision: Decision;
}

const keyOf = (hostname: string, timeUs: number) => `${hostname}\u0000${timeUs}`;

/**
 * Pairs syslog points with ground-truth events by host and timestamp (the simulator never gives
 * one host two lines in the same microsecond). Points may arrive before their events, as in a
 * run that writes the series first and the truth after; unmatched points wait for their event.
 */
export class LabelledLineJoiner {
  private readonly pending = new Map<string, SeriesPoint>();

  constructor(private readonly topology: Topology) {}

  addPoints(points: readonly SeriesPoint[]): void {
    const tags = INPUT.syslog.tags;
    for (const p of points) {
      if (p.measurement === INPUT.syslog.measurement) this.pending.set(keyOf(p.tags[tags.hostname] ?? '', p.timeUs), p);
    }
  }

  /** Rows for the events whose line has been seen, in event order; the others are dropped. */
  join(events: readonly GroundTruthEvent[]): LabelledLine[] {
    const t = INPUT.syslog.tags;
    const rows: LabelledLine[] = [];
    for (const event of events) {
      const key = keyOf(event.hostname, event.timeUs);
      const point = this.pending.get(key);
      const device = this.topology.device(event.hostname);
      if (!point || !device) continue;
      this.pending.delete(key);
      rows.push({
        time: isoUs(event.timeUs),
        hostname: event.hostname,
        appname: point.tags[t.appname] ?? '',
        severity: point.tags[t.severity] ?? '',
        message: String(point.fields[INPUT.syslog.fields.message] ?? ''),
        device_kind: device.kind,
        site_kind: device.site.kind,
        criticality: device.site.criticality,
        class: event.eventClass,
        decision: event.decision,
      });
    }
    return rows;
  }
}

/** The labelled lines of one `Simulation.generate` slice. */
export function labelledLinesOf(
  topology: Topology,
  slice: { points: readonly SeriesPoint[]; events: readonly GroundTruthEvent[] }
): LabelledLine[] {
  const joiner = new LabelledLineJoiner(topology);
  joiner.addPoints(slice.points);
  return joiner.join(slice.events);
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function labelledLineCsvHeader(): string {
  return LABELLED_LINE_COLUMNS.join(',');
}

/** One RFC 4180 CSV line per row, columns LABELLED_LINE_COLUMNS. */
export function labelledLineToCsv(row: LabelledLine): string {
  return LABELLED_LINE_COLUMNS.map((c) => csvField(String(row[c]))).join(',');
}
