/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MODEL_METRICS_SERIES,
  type Department,
  type GroundTruthEvent,
  type GroundTruthIncident,
  type Ticket,
} from '@nocai/contract';
import { readFeedback } from '../../inference-backend/src/adapters/influx/feedbackLabels';
import {
  applyJudgements,
  operatorJudgements,
  type OperatorCall,
} from '../../inference-backend/src/commands/demoOperators';
import { writeMttrChampion } from '../support/mttrChampion';
import { startTestBackend, type TestBackend } from '../support/service';

const MINUTE_MS = 60_000;

/**
 * The demo's simulated operators against the real backend and a real influxd: they judge tickets
 * by the ground truth through the API, and the backend's own accuracy stage, asked to run once the
 * history is judged (what `nocai demo` does before its banner), reads their verdicts and writes
 * production figures to aiops_models.
 */
describe("the demo's operators judge tickets through the API, and production figures follow", () => {
  let dir: string;
  let backend: TestBackend;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-demo-operators-'));
    await writeMttrChampion(join(dir, 'models'));
    backend = await startTestBackend({
      NOCAI_MODELS_DIR: join(dir, 'models'),
      NOCAI_REVIEW_THRESHOLD: '0',
      NOCAI_RETRAIN_INTERVAL_MS: '0',
      NOCAI_DRIFT_INTERVAL_MS: '0',
    });
  }, 300_000);
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const complaint = async (text: string, host: string): Promise<Ticket> => {
    const res = await backend.call('/api/complaints', {
      method: 'POST',
      body: JSON.stringify({ text, site: 'hosp-01', host }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { ticket: Ticket }).ticket;
  };
  const incident = (
    id: string,
    host: string,
    ticket: Ticket,
    patch: Partial<GroundTruthIncident>
  ): GroundTruthIncident => ({
    id,
    kind: 'power_failure',
    site: 'hosp-01',
    siteKind: 'hospital',
    rootHost: host,
    affectedHosts: [host],
    startUs: (ticket.openedAtMs - MINUTE_MS) * 1000,
    endUs: (ticket.openedAtMs + 30 * MINUTE_MS) * 1000,
    isFalseAlarm: false,
    // The rules route the complaints to the built-in departments.
    expected: {
      eventClass: ticket.eventClass,
      department: ticket.department as Department,
      priority: ticket.priority,
    },
    summary: id,
    ...patch,
  });
  const call: OperatorCall = async (path, method, body) => {
    const res = await backend.call(path, { method, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const get = async (id: string) =>
    ((await (await backend.call(`/api/tickets/${id}`)).json()) as { ticket: Ticket }).ticket;

  it('When operators judge a real fault, a misrouted one and a flicker, then the verdicts and the correction are stored and the accuracy stage writes production figures from them', async () => {
    const startedMs = Date.now();
    const real = await complaint('The nurse station PC does not boot', 'hosp-01-srv-01');
    const misrouted = await complaint('The UPS in the server room beeps every minute', 'hosp-01-ups-01');
    const flicker = await complaint('Lights in ward B flickered for a second', 'hosp-01-ps-01');
    const noFault = await complaint('I think the printer is slow today', 'hosp-01-prn-01');
    const lone = await complaint('The temperature probe in the lab reads nothing', 'hosp-01-sen-01');
    const truth: GroundTruthIncident[] = [
      incident('inj-real', 'hosp-01-srv-01', real, {}),
      incident('inj-misrouted', 'hosp-01-ups-01', misrouted, {
        expected: {
          eventClass: 'power',
          department: misrouted.department === 'facilities' ? 'field_technicians' : 'facilities',
          priority: misrouted.priority === 'P1' ? 'P2' : 'P1',
        },
      }),
      incident('inj-flicker', 'hosp-01-ps-01', flicker, { isFalseAlarm: true }),
    ];
    // A fault of one device outside any incident: the truth calls its line an alert.
    const alertLines: GroundTruthEvent[] = [
      {
        timeUs: (lone.openedAtMs - MINUTE_MS) * 1000,
        hostname: 'hosp-01-sen-01',
        templateId: 'hw.sensor_probe',
        eventClass: lone.eventClass === 'hardware' ? 'software' : 'hardware',
        decision: 'alert',
        incidentId: null,
      },
    ];
    const tickets = [real, misrouted, flicker, noFault, lone];
    const judgements = operatorJudgements(tickets, truth, alertLines);
    expect(judgements.map((j) => [j.ticketId, j.verdict, j.incidentId, j.correction !== undefined])).toEqual([
      [real.id, 'valid', 'inj-real', false],
      [misrouted.id, 'valid', 'inj-misrouted', true],
      [flicker.id, 'invalid', 'inj-flicker', false],
      [noFault.id, 'invalid', undefined, false],
      [lone.id, 'valid', undefined, true],
    ]);

    expect(await applyJudgements(call, tickets, judgements)).toEqual({ valid: 3, invalid: 2, corrected: 2 });
    const stored = await readFeedback(backend.influx.client, backend.outputDb, startedMs - MINUTE_MS);
    expect(stored.map((f) => [f.ticketId, f.verdict]).sort()).toEqual(
      [
        [real.id, 'valid'],
        [misrouted.id, 'valid'],
        [flicker.id, 'invalid'],
        [noFault.id, 'invalid'],
        [lone.id, 'valid'],
      ].sort()
    );
    const corrected = await get(misrouted.id);
    expect(corrected).toMatchObject({ ...truth[1].expected, predicted: expect.any(Object) });
    expect((await get(flicker.id)).status).toBe('closed');
    // Judged once: a second pass over the same tickets finds nothing left to judge.
    expect(operatorJudgements([await get(real.id), corrected], truth, alertLines)).toEqual([]);

    // The real ticket is resolved by its technician: the MTTR champion's production figure rests on it.
    const resolved = await call(`/api/tickets/${real.id}`, 'PATCH', {
      status: 'resolved',
      version: (await get(real.id)).version,
    });
    expect(resolved.status).toBe(200);
    const { accuracy } = await backend.service.checkModels();
    expect((await get(lone.id)).eventClass).toBe(alertLines[0].eventClass);
    expect(accuracy).toMatchObject({ reason: 'requested', verdicts: 5, unmatchedVerdicts: 0 });
    const M = MODEL_METRICS_SERIES;
    const production = await backend.influx.client.query(
      backend.outputDb,
      `SELECT "${M.fields.maeSeconds}", "${M.fields.holdoutSize}", "${M.fields.validCount}", "${M.fields.invalidCount}" ` +
        `FROM "${M.measurement}" WHERE "${M.tags.source}" = 'production' AND "${M.tags.segment}" = 'all' GROUP BY "${M.tags.model}", "${M.tags.alias}"`
    );
    expect(production.map((s) => s.tags)).toEqual([{ alias: 'champion', model: 'mttr' }]);
    expect(production[0].rows.at(-1)).toMatchObject({ holdout_size: 1 });
  }, 120_000);
});
