import { FieldType } from '@grafana/data';
import type { SeriesPage } from '@nocai/contract';
import { MODEL_METRICS_SERIES, SERIES_KINDS } from '@nocai/contract/dist/outputSeries';

import { inferFieldType, seriesToFrame } from './seriesToFrame';
import { QUERY_TYPES } from './types';

/** As the backend sends it: newest first. */
const SILENCES: SeriesPage = {
  kind: 'silences',
  measurement: 'aiops_silences',
  rows: [
    {
      timeMs: 1_767_225_900_000,
      tags: { site: 'hosp-01', host: 'hosp-01-pm-07', device_kind: 'patient_monitor', state: 'recovered' },
      fields: { silent_since_ms: 1_767_225_600_000, cadence_s: 10, root_cause_host: null },
    },
    {
      timeMs: 1_767_225_600_000,
      // A point written without its device_kind tag.
      tags: { site: 'hosp-01', host: 'hosp-01-ps-12', state: 'silent' },
      fields: { silent_since_ms: 1_767_225_600_000, cadence_s: 10, root_cause_host: 'hosp-01-ps-12' },
    },
  ],
};

const column = (frame: ReturnType<typeof seriesToFrame>, name: string) =>
  frame.fields.find((field) => field.name === name);

describe('seriesToFrame', () => {
  it('When a silences page is turned into a frame, then it has Time, the contract tags and fields, named like InfluxDB', () => {
    const frame = seriesToFrame(SILENCES, 'silences', 'S');

    expect(frame.refId).toBe('S');
    expect(frame.name).toBe('aiops_silences');
    expect(frame.fields.map((field) => [field.name, field.type])).toEqual([
      ['Time', FieldType.time],
      ['site', FieldType.string],
      ['host', FieldType.string],
      ['device_kind', FieldType.string],
      ['state', FieldType.string],
      ['silent_since_ms', FieldType.number],
      ['cadence_s', FieldType.number],
      ['root_cause_host', FieldType.string],
    ]);
  });

  it('When the backend sends newest first, then the frame is oldest first so time-series panels draw lines', () => {
    const frame = seriesToFrame(SILENCES, 'silences', 'S');

    expect(column(frame, 'Time')?.values).toEqual([1_767_225_600_000, 1_767_225_900_000]);
    expect(column(frame, 'host')?.values).toEqual(['hosp-01-ps-12', 'hosp-01-pm-07']);
  });

  it('When a point lacks a tag or a field, then its cell is an empty tag and a null value, not a shifted column', () => {
    const frame = seriesToFrame(SILENCES, 'silences', 'S');

    expect(column(frame, 'device_kind')?.values).toEqual(['', 'patient_monitor']);
    expect(column(frame, 'root_cause_host')?.values).toEqual(['hosp-01-ps-12', null]);
  });

  it('When the range holds no point, then the columns are still there, so panel overrides keep working', () => {
    const frame = seriesToFrame({ kind: 'models', measurement: 'aiops_models', rows: [] }, 'models', 'M');

    expect(frame.length).toBe(0);
    expect(frame.fields.map((field) => field.name)).toEqual([
      'Time',
      ...Object.values(MODEL_METRICS_SERIES.tags),
      ...Object.values(MODEL_METRICS_SERIES.fields),
    ]);
    expect(frame.fields.map((field) => field.name)).toEqual(expect.arrayContaining(['source', 'segment', 'accuracy', 'holdout_size']));
  });

  it('When drift points carry a boolean flag, then drift_detected is a boolean column and psi a number', () => {
    const page: SeriesPage = {
      kind: 'drift',
      measurement: 'aiops_drift',
      rows: [
        { timeMs: 2, tags: { model: 'priority', feature: 'site_kind' }, fields: { psi: 0.31, drift_detected: true } },
        { timeMs: 1, tags: { model: 'priority', feature: 'site_kind' }, fields: { psi: 0.05, drift_detected: null } },
      ],
    };

    const frame = seriesToFrame(page, 'drift', 'D');

    expect(column(frame, 'drift_detected')).toMatchObject({ type: FieldType.boolean, values: [null, true] });
    expect(column(frame, 'psi')).toMatchObject({ type: FieldType.number, values: [0.05, 0.31] });
  });

  it('When a mixed column becomes text, then numbers are written out and nulls stay null', () => {
    const page: SeriesPage = {
      kind: 'anomalies',
      measurement: 'aiops_anomalies',
      rows: [
        { timeMs: 3, tags: {}, fields: { model_version: 'mad-3' } },
        { timeMs: 2, tags: {}, fields: { model_version: 7 } },
        { timeMs: 1, tags: {}, fields: { model_version: null } },
      ],
    };

    expect(column(seriesToFrame(page, 'anomalies', 'A'), 'model_version')).toMatchObject({
      type: FieldType.string,
      values: [null, '7', 'mad-3'],
    });
  });
});

describe('inferFieldType', () => {
  it('When values are numbers, booleans or a mix, then the column is number, boolean or string (nulls ignored)', () => {
    expect(inferFieldType([1, null, 2.5])).toBe(FieldType.number);
    expect(inferFieldType([false, null])).toBe(FieldType.boolean);
    expect(inferFieldType(['mad-3', 4])).toBe(FieldType.string);
    expect(inferFieldType([true, 1])).toBe(FieldType.string);
  });
});

describe('series query types', () => {
  it('When the contract serves a series kind, then it is a query type of the data source', () => {
    expect(QUERY_TYPES).toEqual(expect.arrayContaining(SERIES_KINDS));
  });
});
