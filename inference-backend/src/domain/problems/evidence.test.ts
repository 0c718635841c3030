import { inventorySchema } from '@nocai/contract';
import type { Ticket } from '@nocai/contract';
import { IncidentEngine } from '../incidents';
import { productionAccuracy } from '../mlops/productionAccuracy';
import { ticketFromIncident } from '../tickets/ticket';
import { problemEvent } from './evidence';
import type { ProblemAlarmRecord } from './evidence';
import { linearExplainer, problemReference, rankByContribution, topFactors } from './explanation';
import { logOdds } from './learners';

const inventory = inventorySchema.parse({
  sites: [{ id: 'plant-1', name: 'Plant 1', kind: 'factory', criticality: 3 }],
  devices: [{ host: 'freezer-01', site: 'plant-1', kind: 'sensor' }],
});

const alarm = (timeUs: number, probability: number): ProblemAlarmRecord => ({
  timeUs,
  problem: 'freezer-warm',
  entity: 'freezer-01',
  probability,
  threshold: 0.4,
  horizonHours: 2,
  leadTimeHours: 1.25,
  explanation: [{ feature: 'freezer.door_open_count:mean_24', weight: 1.2 }],
  recommendation: 'lower freezer.setpoint_c from -22 to -25 2 h earlier: probability 0.81 → 0.22',
  department: 'facilities',
  priority: 'P2',
  modelVersion: 'problem-freezer-warm@v1',
});

describe('problem alerts in the incident engine', () => {
  it('When a problem alert arrives, then a ticket opens with the problem department, priority, explanation and recommendation, and repeats group into it', () => {
    const engine = new IncidentEngine(inventory);
    const t0 = Date.UTC(2026, 1, 1) * 1000;
    engine.observeEvents([problemEvent(alarm(t0, 0.81))]);
    const first = engine.advance(t0 + 60_000_000);
    const opened = first.ticketActions.filter((a) => a.kind === 'open');
    expect(opened).toHaveLength(1);
    const incident = opened[0].incident;
    expect(incident).toMatchObject({
      department: 'facilities',
      priority: 'P2',
      host: 'freezer-01',
      title: 'Predicted freezer-warm on freezer-01 within 2 h',
      modelVersion: 'problem-freezer-warm@v1',
    });
    expect(incident.explanation[0].feature).toBe('freezer.door_open_count:mean_24');

    engine.observeEvents([problemEvent(alarm(t0 + 3_600_000_000, 0.9))]);
    const second = engine.advance(t0 + 3_660_000_000);
    expect(second.ticketActions.map((a) => a.kind)).toEqual(['update']);
    expect(second.ticketActions[0].incident.id).toBe(incident.id);
    expect(second.ticketActions[0].incident.relatedAlertCount).toBe(2);

    const ticket = ticketFromIncident(second.ticketActions[0].incident, {
      predictMttr: () => ({ p50Seconds: 600, p90Seconds: 1200 }),
      nowMs: t0 / 1000 + 3_660_000,
    });
    expect(ticket.recommendation).toBe('lower freezer.setpoint_c from -22 to -25 2 h earlier: probability 0.81 → 0.22');
    // What lists the problem's alerts (GET /api/tickets?problem=) and the Grafana problems view.
    expect(ticket.problem).toBe('freezer-warm');
  });

  it('When an operator marks a problem ticket avoided, then production accuracy counts it as a true positive of the problem model', () => {
    const engine = new IncidentEngine(inventory);
    const t0 = Date.UTC(2026, 1, 1) * 1000;
    engine.observeEvents([problemEvent(alarm(t0, 0.81))]);
    const [action] = engine.advance(t0 + 60_000_000).ticketActions;
    const ticket: Ticket = ticketFromIncident(action.incident, {
      predictMttr: () => ({ p50Seconds: 600, p90Seconds: 1200 }),
      nowMs: t0 / 1000 + 60_000,
    });
    const atMs = t0 / 1000 + 120_000;
    const result = productionAccuracy([ticket], [{ ticketId: ticket.id, verdict: 'avoided', atMs }], {
      fromMs: atMs - 86_400_000,
      toMs: atMs + 1,
      minVerdicts: 1,
      minGroupVerdicts: 1,
    });
    const model = result.models.find((m) => m.model === 'problem-freezer-warm');
    expect(model).toMatchObject({ version: 'v1', primaryMetric: 'precision', primaryValue: 1 });
    expect(model?.counts.avoided).toBe(1);

    const invalid = productionAccuracy([ticket], [{ ticketId: ticket.id, verdict: 'invalid', atMs }], {
      fromMs: atMs - 86_400_000,
      toMs: atMs + 1,
      minVerdicts: 1,
      minGroupVerdicts: 1,
    });
    expect(invalid.models.find((m) => m.model === 'problem-freezer-warm')?.primaryValue).toBe(0);
  });
});

describe('explanations of a problem model', () => {
  it('When a logistic model explains a row, then the base and the contributions add up to its log-odds', () => {
    const learner = {
      kind: 'logistic' as const,
      mean: [1, 2, 3],
      scale: [0.5, 2, 1],
      weights: [0.7, -0.2, 1.1],
      bias: -0.4,
    };
    const row = Float32Array.from([3, 1, 5]);
    const { base, output, contributions } = linearExplainer(learner)(row);
    const z = logOdds(learner, { rowCount: 1, featureCount: 3, values: row })[0];
    expect(base).toBe(learner.bias);
    expect(Math.abs(output - z)).toBeLessThan(1e-12);
    expect(Math.abs(base + contributions.reduce((a, b) => a + b, 0) - z)).toBeLessThan(1e-12);
    expect(topFactors(['a:last', 'b:last', 'c:last'], contributions, row)).toEqual([
      { feature: 'c:last', value: 5, weight: Math.round(2 * 1.1 * 1000) / 1000 },
      { feature: 'a:last', value: 3, weight: Math.round(1 * 0.7 * 1000) / 1000 },
      { feature: 'b:last', value: 1, weight: Math.round(-1 * 2 * -0.2 * 1000) / 1000 },
    ]);
    expect(rankByContribution(['b', 'c'], ['a:last', 'b:last', 'c:last'], contributions)).toEqual(['c', 'b']);
  });

  it('When the reference of a training period is taken, then ranges cover only that period', () => {
    const stepMs = 60_000;
    const values = Float64Array.from([1, NaN, 5, 9, 100]);
    const reference = problemReference(
      { startMs: 0, stepMs, steps: 5 },
      [{ entity: 'e', values: new Map([['m.x', values]]), condition: new Uint8Array(5) }],
      { stepMs, variables: ['m.x'], windowSteps: [1], forSteps: 1, horizonSteps: 1 },
      { fromMs: 0, toMs: 4 * stepMs }
    );
    // Buckets ending at 1..4 min: 1, 1 (forward-filled), 5, 9; the 100 lies after the period.
    expect(reference.ranges['m.x']).toEqual({ min: 1, max: 9 });
    expect(reference.featureMeans).toHaveLength(6);
  });
});
