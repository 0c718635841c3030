import type { TicketHistoryRow } from '@nocai/contract';
import { generateInventory } from '../../simulator/inventory';
import { Simulation } from '../../simulator/simulation';
import { generateTicketHistory } from '../../simulator/tickets';
import { conformalOffset, explainMttr, predictMttr, spreadCrossedP90, trainMttrModel } from './mttr';
import type { MttrTicketInput } from './mttrFeatures';

function simulatedYear(seed: number): TicketHistoryRow[] {
  const sim = new Simulation({ seed, inventory: generateInventory({ seed }) });
  const fromUs = Date.UTC(2024, 0, 1) * 1000;
  const toUs = Date.UTC(2025, 0, 1) * 1000;
  return generateTicketHistory({
    seed,
    topology: sim.topology,
    fromUs,
    toUs,
    incidents: sim.incidentsBetween(fromUs, toUs),
  });
}

const HOUR_S = 3600;

describe('MTTR model', () => {
  const rows = simulatedYear(42);
  let trained: ReturnType<typeof trainMttrModel>;
  beforeAll(() => {
    trained = trainMttrModel(rows, { createdAt: new Date('2025-01-02T00:00:00Z') });
  });
  const model = () => trained.model;

  it('When trained on a simulated year, then its P50 beats the per-(class, department) median by at least 25% on the last 20%', () => {
    expect(trained.report.holdout.rows).toBeGreaterThan(400);
    // The last 20% of a calendar year by opening time: autumn and December.
    expect(trained.report.holdout.from > '2024-10-01').toBe(true);
    expect(trained.report.holdout.maeSeconds).toBeLessThan(0.75 * trained.report.holdout.baselineMaeSeconds);
    expect(trained.report.holdout.improvementOverBaseline).toBeGreaterThanOrEqual(0.25);
    // Not memorised: the held-out error stays within a small factor of the training error.
    expect(trained.report.holdout.maeSeconds).toBeLessThan(2 * trained.report.train.maeSeconds);
  });

  it('When the P90 is calibrated, then 85-95% of held-out tickets are resolved within it', () => {
    expect(trained.report.holdout.p90Coverage).toBeGreaterThanOrEqual(0.85);
    expect(trained.report.holdout.p90Coverage).toBeLessThanOrEqual(0.95);
    // By construction on the calibration slice; the holdout shows it carries over to the future.
    expect(trained.report.calibration.p90Coverage).toBeGreaterThanOrEqual(0.9);
    expect(model().manifest.trainingWindow.to < trained.report.holdout.from).toBe(true);
  });

  it('When the same rows are trained on twice, then the model and its version are the same', () => {
    const again = trainMttrModel(rows, { createdAt: new Date('2025-01-02T00:00:00Z') });

    expect(again.model.manifest.version).toBe(model().manifest.version);
    expect(again.model.manifest.dataHash).toMatch(/^[0-9a-f]{64}$/);
    expect(again.model.p90).toEqual(model().p90);
  });

  const ticket = (openedAt: string, priority: MttrTicketInput['priority']): MttrTicketInput => ({
    openedAt,
    eventClass: 'hardware',
    department: 'field_technicians',
    priority,
    siteKind: 'factory',
    deviceKind: 'plc',
    fromIncident: false,
  });

  it('When a low-priority ticket is opened on Friday evening, then it is predicted to take far longer than on Tuesday morning', () => {
    const friday = predictMttr(model(), ticket('2024-11-15T19:00:00Z', 'P4'));
    const tuesday = predictMttr(model(), ticket('2024-11-12T10:00:00Z', 'P4'));

    // It waits for Monday 08:00 (61 h) before anyone touches it.
    expect(friday.p50Seconds).toBeGreaterThan(tuesday.p50Seconds + 24 * HOUR_S);
    expect(friday.p90Seconds).toBeGreaterThanOrEqual(friday.p50Seconds);
    expect(friday.modelVersion).toBe(model().manifest.version);
  });

  it('When that Friday-evening prediction is explained, then the wait for business hours is the top reason', () => {
    const why = explainMttr(model(), ticket('2024-11-15T19:00:00Z', 'P4'), { top: 3 });

    expect(why).toHaveLength(3);
    expect(why[0].weight).toBeGreaterThan(0);
    expect(['hours_to_business_start', 'is_business_hours', 'hour_of_day', 'day_of_week']).toContain(why[0].feature);
    expect(Math.abs(why[0].weight)).toBeGreaterThanOrEqual(Math.abs(why[2].weight));
  });

  it('When the urgency is the only change, then the explanation names the priority with its value', () => {
    const why = explainMttr(model(), ticket('2024-11-12T10:00:00Z', 'P1'), { top: 10 });

    const priority = why.find((entry) => entry.feature === 'priority=P1');
    expect(priority?.weight).toBeLessThan(0);
  });

  it('When rows were auto-resolved after quiet time, then training leaves them out and the manifest counts them', () => {
    const marked = rows.map((row, i) => (i % 10 === 0 ? { ...row, auto_resolved: 'true' as const } : row));
    const withMarks = trainMttrModel(marked, { createdAt: new Date('2025-01-02T00:00:00Z') });
    const without = trainMttrModel(
      rows.filter((_, i) => i % 10 !== 0),
      { createdAt: new Date('2025-01-02T00:00:00Z') }
    );
    expect(withMarks.model.manifest.trainingWindow.autoResolvedExcluded).toBe(Math.ceil(rows.length / 10));
    // Exactly as if those rows were not there.
    expect(withMarks.model.manifest.dataHash).toBe(without.model.manifest.dataHash);
    expect(model().manifest.trainingWindow.autoResolvedExcluded).toBe(0);
  });

  it('When the model has a typical spread, then it is above 1 and a crossed P90 is widened by it, saying so', () => {
    const ratio = model().manifest.p90OverP50 ?? 0;
    expect(ratio).toBeGreaterThan(1);
    const crossed = spreadCrossedP90(model().manifest, { p50Seconds: 3600, p90Seconds: 3600, modelVersion: 'v' });
    expect(crossed.p90Seconds).toBeCloseTo(3600 * ratio);
    expect(crossed.note).toMatch(/^the P90 model fell below the P50 for this ticket: P90 is the P50 × \d+\.\d\d/);
    const fine = { p50Seconds: 3600, p90Seconds: 9000, modelVersion: 'v' };
    expect(spreadCrossedP90(model().manifest, fine)).toBe(fine);
  });

  it('When every held-out prediction is made, then no P90 equals its P50 without a note', () => {
    for (const row of rows.slice(-200)) {
      const prediction = predictMttr(model(), {
        openedAt: row.opened_at,
        eventClass: row.class,
        department: row.department,
        priority: row.priority,
        siteKind: row.site_kind,
        deviceKind: row.device_kind,
        fromIncident: row.incident_id !== '',
      });
      if (prediction.p90Seconds <= prediction.p50Seconds) expect(prediction.note).toBeDefined();
      else expect(prediction.p90Seconds).toBeGreaterThan(prediction.p50Seconds);
    }
  });
});

describe('split-conformal offset', () => {
  it('When scores are 1..99, then the offset is the score below which 90% of new ones fall, rounded up', () => {
    const scores = Array.from({ length: 99 }, (_, i) => i + 1);

    // ⌈(99 + 1) · 0.9⌉ = 90th smallest.
    expect(conformalOffset(scores, 0.9)).toBe(90);
  });
});
