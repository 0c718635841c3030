import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';

import type { ClassifiedEvent } from '@nocai/contract';

type StringKey = {
  [K in keyof ClassifiedEvent]: ClassifiedEvent[K] extends string ? K : never;
}[keyof ClassifiedEvent];

/** Column order of the frame after `time`: what an operator reads first comes first. */
const STRING_FIELDS: readonly StringKey[] = [
  'hostname',
  'site',
  'eventClass',
  'decision',
  'severity',
  'message',
  'appname',
  'facility',
  'siteKind',
  'deviceKind',
  'templateId',
  'template',
  'modelVersion',
];

const MICROSECONDS_PER_MILLISECOND = 1000;

/** One row per event, field names as the API spells them (the triage panel reads them by name). */
export function eventsToFrame(events: readonly ClassifiedEvent[], refId: string): DataFrame {
  return createDataFrame({
    refId,
    name: 'events',
    meta: { preferredVisualisationType: 'table' },
    fields: [
      {
        name: 'time',
        type: FieldType.time,
        values: events.map((event) => event.timeUs / MICROSECONDS_PER_MILLISECOND),
      },
      ...STRING_FIELDS.map((name) => ({
        name,
        type: FieldType.string,
        values: events.map((event) => event[name]),
      })),
      {
        name: 'confidence',
        type: FieldType.number,
        // A probability: shown as a percentage, bounded so colour scales do not stretch to the data.
        config: { unit: 'percentunit', min: 0, max: 1 },
        values: events.map((event) => event.confidence),
      },
    ],
  });
}
