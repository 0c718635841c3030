import { createDataFrame, FieldType } from '@grafana/data';

import { framesToRows, sortRows, type TriageRow } from './rows';

const HOUR_MS = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

function row(key: string, fields: Partial<TriageRow>): TriageRow {
  return { key, needsReview: false, explanation: [], similar: [], ...fields };
}

describe('framesToRows', () => {
  it('reads snake_case ticket columns as InfluxDB returns them', () => {
    const frame = createDataFrame({
      refId: 'A',
      fields: [
        { name: 'time', type: FieldType.time, values: [T0] },
        { name: 'ticket_id', type: FieldType.string, values: ['T-101'] },
        { name: 'priority', type: FieldType.string, values: ['P2'] },
        { name: 'class', type: FieldType.string, values: ['power'] },
        { name: 'department', type: FieldType.string, values: ['facilities'] },
        { name: 'site', type: FieldType.string, values: ['hospital-north'] },
        { name: 'hostname', type: FieldType.string, values: ['ups-03'] },
        { name: 'status', type: FieldType.string, values: ['open'] },
        { name: 'confidence', type: FieldType.number, values: [0.72] },
        { name: 'mttr_p50_s', type: FieldType.number, values: [1800] },
        { name: 'mttr_p90_s', type: FieldType.number, values: [7200] },
        { name: 'root_cause', type: FieldType.string, values: ['pdu-1 lost mains'] },
        { name: 'needs_review', type: FieldType.boolean, values: [true] },
        { name: 'title', type: FieldType.string, values: ['UPS on battery'] },
      ],
    });

    expect(framesToRows([frame])).toMatchObject([
      {
        key: 'T-101',
        timeMs: T0,
        ticketId: 'T-101',
        priority: 'P2',
        eventClass: 'power',
        department: 'facilities',
        site: 'hospital-north',
        host: 'ups-03',
        status: 'open',
        confidence: 0.72,
        mttrP50Seconds: 1800,
        mttrP90Seconds: 7200,
        rootCause: 'pdu-1 lost mains',
        needsReview: true,
        message: 'UPS on battery',
      },
    ]);
  });

  it('reads camelCase columns as the NOC AI datasource returns them', () => {
    const frame = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [T0] },
        { name: 'ticketId', type: FieldType.string, values: ['T-7'] },
        { name: 'eventClass', type: FieldType.string, values: ['network'] },
        { name: 'host', type: FieldType.string, values: ['sw-core-1'] },
        { name: 'rootCause', type: FieldType.string, values: ['uplink flap'] },
        { name: 'needsReview', type: FieldType.string, values: ['false'] },
        { name: 'mttrP50S', type: FieldType.number, values: [60] },
      ],
    });

    expect(framesToRows([frame])[0]).toMatchObject({
      ticketId: 'T-7',
      eventClass: 'network',
      host: 'sw-core-1',
      rootCause: 'uplink flap',
      needsReview: false,
      mttrP50Seconds: 60,
    });
  });

  it('reads an events frame: decision as status, message as summary, needs_review decisions flagged', () => {
    const frame = createDataFrame({
      refId: 'E',
      fields: [
        { name: 'time', type: FieldType.time, values: [T0, T0 + 1000] },
        { name: 'hostname', type: FieldType.string, values: ['ups-03', 'plc-9'] },
        { name: 'decision', type: FieldType.string, values: ['alert', 'needs_review'] },
        { name: 'message', type: FieldType.string, values: ['UPS on battery', 'PLC watchdog reset'] },
      ],
    });

    const rows = framesToRows([frame]);

    expect(rows.map((r) => [r.key, r.status, r.needsReview, r.message])).toEqual([
      ['0:0', 'alert', false, 'UPS on battery'],
      ['0:1', 'needs_review', true, 'PLC watchdog reset'],
    ]);
  });

  it('prefers ticket_id over a generic id column', () => {
    const frame = createDataFrame({
      fields: [
        { name: 'id', type: FieldType.string, values: ['row-1'] },
        { name: 'ticket_id', type: FieldType.string, values: ['T-1'] },
      ],
    });

    expect(framesToRows([frame])[0].ticketId).toBe('T-1');
  });

  it('leaves missing and empty values undefined instead of inventing them', () => {
    const frame = createDataFrame({
      fields: [
        { name: 'Time', type: FieldType.time, values: [T0] },
        { name: 'priority', type: FieldType.string, values: [null] },
        { name: 'site', type: FieldType.string, values: ['  '] },
        { name: 'confidence', type: FieldType.number, values: [Number.NaN] },
      ],
    });

    const [only] = framesToRows([frame]);

    expect(only.timeMs).toBe(T0);
    expect(only.priority).toBeUndefined();
    expect(only.site).toBeUndefined();
    expect(only.confidence).toBeUndefined();
    expect(only.host).toBeUndefined();
    expect(only.needsReview).toBe(false);
  });

  it('reads numeric priorities and ISO time strings', () => {
    const frame = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.string, values: ['2026-01-01T00:00:00Z'] },
        { name: 'priority', type: FieldType.number, values: [1] },
      ],
    });

    expect(framesToRows([frame])[0]).toMatchObject({ timeMs: T0, priority: 'P1' });
  });

  it('When rows have ticket ids, then the ticket id is the key (stable across refreshes); otherwise the position', () => {
    const tickets = createDataFrame({
      fields: [{ name: 'ticket_id', type: FieldType.string, values: ['T-1', 'T-2'] }],
    });
    const events = createDataFrame({ fields: [{ name: 'message', type: FieldType.string, values: ['a', 'b'] }] });

    expect(framesToRows([tickets, events]).map((r) => r.key)).toEqual(['T-1', 'T-2', '1:0', '1:1']);
  });

  it('When aiops_tickets rows carry opened_at_ms, then the age counts from the opening, not from the state change', () => {
    const frame = createDataFrame({
      fields: [
        { name: 'Time', type: FieldType.time, values: [T0 + HOUR_MS] },
        { name: 'ticket_id', type: FieldType.string, values: ['T-1'] },
        { name: 'opened_at_ms', type: FieldType.number, values: [T0] },
      ],
    });

    expect(framesToRows([frame])[0]).toMatchObject({ timeMs: T0, changedAtMs: T0 + HOUR_MS });
  });

  it('When explanation and similar hold JSON text, then the details read them; broken JSON reads as none', () => {
    const frame = createDataFrame({
      fields: [
        { name: 'ticket_id', type: FieldType.string, values: ['T-1', 'T-2'] },
        {
          name: 'explanation',
          type: FieldType.string,
          values: ['[{"feature":"battery","weight":1.5},{"oops":1}]', '{not json'],
        },
        {
          name: 'similar',
          type: FieldType.string,
          values: [
            '[{"id":"T-0","title":"UPS alarm","resolution":"replaced battery","mttrSeconds":900,"similarity":0.8}]',
            null,
          ],
        },
        { name: 'related_alerts', type: FieldType.number, values: [4, 0] },
        { name: 'feedback_verdict', type: FieldType.string, values: ['valid', null] },
      ],
    });

    const [first, second] = framesToRows([frame]);

    expect(first.explanation).toEqual([{ feature: 'battery', weight: 1.5 }]);
    expect(first.similar).toEqual([expect.objectContaining({ id: 'T-0', resolution: 'replaced battery' })]);
    expect(first).toMatchObject({ relatedAlerts: 4, feedbackVerdict: 'valid' });
    expect(second).toMatchObject({ explanation: [], similar: [], relatedAlerts: 0, feedbackVerdict: undefined });
  });

  it('When a frame comes from the NOC AI data source, then its ticket rows name that data source for feedback', () => {
    const meta = { custom: { source: 'nocai-inference-datasource', datasourceUid: 'nocai-uid' } };
    const fromNocai = createDataFrame({
      meta,
      fields: [{ name: 'ticket_id', type: FieldType.string, values: ['T-1'] }],
    });
    const fromInflux = createDataFrame({ fields: [{ name: 'ticket_id', type: FieldType.string, values: ['T-2'] }] });

    expect(framesToRows([fromNocai, fromInflux]).map((r) => r.feedbackDatasourceUid)).toEqual(['nocai-uid', undefined]);
  });

  it('When a ticket lists the routing fields a person corrected, then the row has them; an empty list or other names are none', () => {
    const frame = createDataFrame({
      refId: 'A',
      fields: [
        { name: 'ticket_id', type: FieldType.string, values: ['T-1', 'T-2', 'T-3'] },
        { name: 'corrected', type: FieldType.string, values: ['["department"]', '[]', '["site","priority"]'] },
      ],
    });

    expect(framesToRows([frame]).map((row) => row.corrected)).toEqual([['department'], undefined, ['priority']]);
  });

  it('returns no rows for no frames', () => {
    expect(framesToRows([])).toEqual([]);
  });
});

describe('sortRows', () => {
  const rows = [
    row('p3-old', { priority: 'P3', timeMs: T0 }),
    row('p1-new', { priority: 'P1', timeMs: T0 + 2 * HOUR_MS }),
    row('none', { timeMs: T0 - HOUR_MS }),
    row('p1-old', { priority: 'P1', timeMs: T0 + HOUR_MS }),
    row('p2-no-time', { priority: 'P2' }),
  ];

  it('puts P1 first and the oldest first within a priority by default', () => {
    expect(sortRows(rows).map((r) => r.key)).toEqual(['p1-old', 'p1-new', 'p2-no-time', 'p3-old', 'none']);
  });

  it('sorts by age alone, oldest or newest first, rows without time last', () => {
    expect(sortRows(rows, 'oldest').map((r) => r.key)).toEqual(['none', 'p3-old', 'p1-old', 'p1-new', 'p2-no-time']);
    expect(sortRows(rows, 'newest').map((r) => r.key)).toEqual(['p1-new', 'p1-old', 'p3-old', 'none', 'p2-no-time']);
  });

  it('puts the least confident decisions first', () => {
    const scored = [row('sure', { confidence: 0.99 }), row('unknown', {}), row('unsure', { confidence: 0.41 })];

    expect(sortRows(scored, 'confidence').map((r) => r.key)).toEqual(['unsure', 'sure', 'unknown']);
  });

  it('does not reorder the array it was given', () => {
    const copy = [...rows];

    sortRows(rows);

    expect(rows).toEqual(copy);
  });
});
