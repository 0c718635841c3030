import type { Ticket } from '@nocai/contract';
import { sampleTicket } from '../tickets/ticketFixture';
import { modelsOfTicket, productionAccuracy, type ProductionAccuracy, type Verdict } from './productionAccuracy';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 4, 20, 12);
const WINDOW = { fromMs: NOW - 7 * DAY, toMs: NOW, minVerdicts: 20, minGroupVerdicts: 3 };
const LINES_V1 = 'event-class@v1+event-decision@v1';
const ROUTER_V4 = 'ticket-class@v4+department@v4+priority@v4|mttr@v2';

let serial = 0;
function ticket(patch: Partial<Ticket> = {}): Ticket {
  serial++;
  return sampleTicket({ id: `T-${serial}`, openedAtMs: NOW - DAY, updatedAtMs: NOW - DAY, modelVersion: ROUTER_V4, ...patch });
}

const verdict = (t: Ticket, v: Verdict['verdict'], atMs = NOW - DAY / 2): Verdict => ({
  ticketId: t.id,
  verdict: v,
  atMs,
});
const find = (models: ProductionAccuracy[], model: string, version: string) =>
  models.find((m) => m.model === model && m.version === version);
const repeat = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

describe('modelsOfTicket', () => {
  it('When a ticket names its models, then each registry model and version is read and the fallbacks are left out', () => {
    expect(modelsOfTicket(ROUTER_V4)).toEqual([
      { model: 'ticket-class', version: 'v4' },
      { model: 'department', version: 'v4' },
      { model: 'priority', version: 'v4' },
      { model: 'mttr', version: 'v2' },
    ]);
    expect(modelsOfTicket('rules-1+mask-3')).toEqual([]);
    expect(modelsOfTicket('ticket-class@v1+department@v1+priority@v1|mttr-median-baseline')).toHaveLength(3);
  });
});

describe('productionAccuracy: alert precision', () => {
  it('When operators judge line tickets, then precision counts avoided as a true positive and invalid as a false one', () => {
    const tickets = repeat(10, () => ticket({ source: 'logs', modelVersion: LINES_V1 }));
    const verdicts = [
      ...tickets.slice(0, 6).map((t) => verdict(t, 'valid')),
      ...tickets.slice(6, 9).map((t) => verdict(t, 'avoided')),
      verdict(tickets[9], 'invalid'),
    ];
    const { models } = productionAccuracy(tickets, verdicts, WINDOW);
    const decision = find(models, 'event-decision', 'v1');
    // With avoided counted as a miss this would be 6/10.
    expect(decision).toMatchObject({
      primaryMetric: 'precision',
      primaryValue: 0.9,
      overall: { rows: 10, precision: 0.9, accuracy: 0.9 },
      counts: { valid: 6, avoided: 3, invalid: 1, corrected: 0 },
      enough: false,
    });
    expect(find(models, 'event-class', 'v1')?.overall.precision).toBe(0.9);
  });

  it('When a class of a line ticket is corrected, then event-class loses accuracy and event-decision does not', () => {
    const tickets = repeat(4, () => ticket({ source: 'logs', modelVersion: LINES_V1, eventClass: 'network' }));
    tickets[0] = {
      ...tickets[0],
      eventClass: 'power',
      predicted: { eventClass: 'network', department: 'facilities', priority: 'P2' },
    };
    const verdicts = tickets.slice(1).map((t) => verdict(t, 'valid'));
    const { models } = productionAccuracy(tickets, verdicts, WINDOW);
    expect(find(models, 'event-class', 'v1')).toMatchObject({
      primaryMetric: 'accuracy',
      overall: { rows: 4, accuracy: 0.75, precision: 1 },
      counts: { corrected: 1 },
    });
    expect(find(models, 'event-decision', 'v1')?.overall).toMatchObject({ rows: 3, precision: 1 });
  });
});

describe('productionAccuracy: routing accuracy', () => {
  const corrected = (t: Ticket, department: Ticket['department']): Ticket => ({
    ...t,
    department,
    predicted: { eventClass: t.eventClass, department: t.department, priority: t.priority },
    updatedAtMs: NOW - DAY / 4,
  });

  it('When a department is corrected, then it is wrong for the department model only', () => {
    const tickets = repeat(10, () => ticket());
    tickets[0] = corrected(tickets[0], 'network_ops');
    tickets[1] = corrected(tickets[1], 'security');
    const verdicts = tickets.slice(2).map((t) => verdict(t, t.id.endsWith('3') ? 'avoided' : 'valid'));
    const { models } = productionAccuracy(tickets, verdicts, WINDOW);
    expect(find(models, 'department', 'v4')).toMatchObject({
      primaryMetric: 'accuracy',
      overall: { rows: 10, accuracy: 0.8 },
      counts: { corrected: 2 },
    });
    expect(find(models, 'ticket-class', 'v4')?.overall).toMatchObject({ rows: 10, accuracy: 1 });
    expect(find(models, 'priority', 'v4')).toMatchObject({ overall: { accuracy: 1 }, counts: { corrected: 0 } });
  });

  it('When nobody judged or corrected a ticket, or judged it invalid, then it says nothing about its routing', () => {
    const judged = ticket();
    const untouched = ticket({ status: 'resolved', resolvedAtMs: NOW - DAY / 2 });
    const falsePositive = corrected(ticket(), 'network_ops');
    const { models } = productionAccuracy(
      [judged, untouched, falsePositive],
      [verdict(judged, 'valid'), verdict(falsePositive, 'invalid')],
      WINDOW
    );
    expect(find(models, 'department', 'v4')).toMatchObject({
      overall: { rows: 1, accuracy: 1 },
      counts: { invalid: 1, corrected: 0 },
    });
  });

  it('When a verdict or a correction is older than the window, then it is not counted', () => {
    const old = ticket();
    const oldCorrection = { ...corrected(ticket(), 'network_ops'), updatedAtMs: NOW - 30 * DAY };
    const { models } = productionAccuracy([old, oldCorrection], [verdict(old, 'valid', NOW - 8 * DAY)], WINDOW);
    expect(find(models, 'department', 'v4')).toBeUndefined();
  });

  it('When two versions served in the window, then each is scored on its own tickets', () => {
    const v4 = repeat(3, () => ticket());
    const v5 = repeat(2, () => ticket({ modelVersion: ROUTER_V4.replace(/@v4/g, '@v5') }));
    v5[0] = corrected(v5[0], 'network_ops');
    const { models } = productionAccuracy(
      [...v4, ...v5],
      [...v4, v5[1]].map((t) => verdict(t, 'valid')),
      WINDOW
    );
    expect(find(models, 'department', 'v4')?.overall).toMatchObject({ rows: 3, accuracy: 1 });
    expect(find(models, 'department', 'v5')?.overall).toMatchObject({ rows: 2, accuracy: 0.5 });
  });
});

describe('productionAccuracy: MTTR error', () => {
  it('When tickets are resolved, then the error is |actual − P50|, leaving out auto-resolved and invalid ones', () => {
    const resolved = (hours: number, patch: Partial<Ticket> = {}) =>
      ticket({ status: 'resolved', openedAtMs: NOW - DAY, resolvedAtMs: NOW - DAY + hours * 3_600_000, ...patch });
    const tickets = [
      resolved(2), // |7200 − 3600| = 3600
      resolved(1), // 0
      resolved(0.5, { status: 'closed' }), // 1800
      resolved(10, { autoResolved: true, status: 'auto_resolved' }),
      resolved(20),
      // An incident ticket names no MTTR version: not attributed.
      resolved(3, { source: 'logs', modelVersion: LINES_V1 }),
    ];
    const { models } = productionAccuracy(tickets, [verdict(tickets[4], 'invalid')], WINDOW);
    expect(find(models, 'mttr', 'v2')).toMatchObject({
      primaryMetric: 'mae_s',
      primaryValue: 1800,
      overall: { rows: 3, maeSeconds: 1800 },
    });
  });
});

describe('productionAccuracy: segments and the enough-verdicts rule', () => {
  it('When verdicts come from several site kinds, then each group has its figure and the worst gap to overall is given', () => {
    const hospital = repeat(20, () => ticket({ source: 'logs', modelVersion: LINES_V1 }));
    const school = repeat(10, () =>
      ticket({ source: 'logs', modelVersion: LINES_V1, siteKind: 'school', deviceKind: 'switch' })
    );
    const lab = repeat(2, () => ticket({ source: 'logs', modelVersion: LINES_V1, siteKind: 'lab' }));
    const verdicts = [
      ...hospital.map((t) => verdict(t, 'valid')),
      ...school.map((t, i) => verdict(t, i < 4 ? 'invalid' : 'valid')),
      ...lab.map((t) => verdict(t, 'invalid')),
    ];
    const { models } = productionAccuracy([...hospital, ...school, ...lab], verdicts, WINDOW);
    const decision = find(models, 'event-decision', 'v1');
    expect(decision?.overall).toMatchObject({ rows: 32, precision: 26 / 32 });
    expect(decision?.enough).toBe(true);
    const site = (group: string) => decision?.segments.find((s) => s.dimension === 'site_kind' && s.group === group);
    expect(site('hospital')).toMatchObject({ tooSmall: false, figures: { rows: 20, precision: 1 } });
    expect(site('school')).toMatchObject({ tooSmall: false, figures: { rows: 10, precision: 0.6 } });
    expect(site('lab')).toMatchObject({ tooSmall: true, figures: { rows: 2, precision: 0 } });
    expect(decision?.segments.filter((s) => s.dimension === 'department').map((s) => s.group)).toEqual(['facilities']);
    // School is the worst group large enough: 0.6 against 0.8125 overall (the lab's 0 is too small to count).
    expect(decision?.worstSegmentGap).toBeCloseTo(0.2125, 12);
    expect(decision?.worstSegmentRatio).toBeCloseTo(0.6 / 0.8125, 12);
  });

  it('When a figure rests on fewer verdicts than the minimum, then it is reported with its count and not enough', () => {
    const tickets = repeat(5, () => ticket({ source: 'logs', modelVersion: LINES_V1 }));
    const { models } = productionAccuracy(
      tickets,
      tickets.map((t) => verdict(t, 'invalid')),
      WINDOW
    );
    expect(find(models, 'event-decision', 'v1')).toMatchObject({
      primaryValue: 0,
      overall: { rows: 5 },
      enough: false,
    });
  });

  it('When a verdict names a ticket no longer stored, then it is counted as unmatched', () => {
    const { models, unmatchedVerdicts } = productionAccuracy(
      [],
      [{ ticketId: 'gone', verdict: 'valid', atMs: NOW - DAY }],
      WINDOW
    );
    expect(models).toEqual([]);
    expect(unmatchedVerdicts).toBe(1);
  });
});
