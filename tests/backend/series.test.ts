import { ANOMALY_SERIES, MODEL_METRICS_SERIES, PROBLEM_SERIES, type SeriesPage } from '@nocai/contract';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { startTestBackend, type TestBackend } from '../support/service';

const MINUTE_MS = 60_000;

describe('GET /api/series/:kind against a real influxd', () => {
  let backend: TestBackend;
  const nowMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  // A host name that tries to close the string literal and widen the filter.
  const sneaky = "srv-1' OR host = 'srv-2";

  beforeAll(async () => {
    backend = await startTestBackend();
    const model = (version: string, accuracy: number, minutesAgo: number): SeriesPoint => ({
      measurement: MODEL_METRICS_SERIES.measurement,
      tags: { model: 'event_class', version, alias: version === 'v2' ? 'champion' : 'none' },
      fields: { accuracy, f1: accuracy - 0.02, precision: accuracy, recall: accuracy - 0.01, holdout_size: 5000 },
      timeUs: (nowMs - minutesAgo * MINUTE_MS) * 1000,
    });
    const anomaly = (host: string, score: number): SeriesPoint => ({
      measurement: ANOMALY_SERIES.measurement,
      tags: { host, site: 'hosp-01', device_kind: 'server', metric: 'cpu.usage_user', detector: 'mad' },
      fields: { score, value: 97.5, expected: 31, lower: 12, upper: 55, model_version: 'mad-1' },
      timeUs: (nowMs - 2 * MINUTE_MS) * 1000,
    });
    const problem = (name: string, entity: string, probability: number, minutesAgo: number): SeriesPoint => ({
      measurement: PROBLEM_SERIES.measurement,
      tags: { problem: name, entity, model_version: `problem-${name}@v1` },
      fields: { probability, threshold: 0.4, alert: probability >= 0.4, horizon_h: 2 },
      timeUs: (nowMs - minutesAgo * MINUTE_MS) * 1000,
    });
    const points = [
      problem('freezer-warm', 'freezer-01', 0.1, 20),
      problem('freezer-warm', 'freezer-01', 0.81, 10),
      problem('freezer-warm', 'freezer-02', 0.05, 10),
      problem('plc-hot', 'plc-01', 0.3, 10),
      model('v1', 0.84, 30),
      model('v2', 0.91, 10),
      { ...model('v9', 0.5, 5), tags: { model: 'priority', version: 'v9', alias: 'none' } },
      anomaly('srv-1', 0.2),
      anomaly('srv-2', 0.97),
      anomaly(sneaky, 0.5),
    ];
    await backend.influx.client.writeLines(backend.outputDb, points.map(toLineProtocol));
  });
  afterAll(() => backend?.stop());

  const page = async (path: string): Promise<SeriesPage> => {
    const res = await backend.call(path);
    expect(res.status).toBe(200);
    return (await res.json()) as SeriesPage;
  };

  it('When model metrics are asked for one model, then its versions come back newest first with tags and typed fields', async () => {
    const body = await page(`/api/series/models?model=event_class&from=${nowMs - 3_600_000}&to=${nowMs}`);
    expect(body.measurement).toBe('aiops_models');
    expect(body.rows.map((r) => r.tags.version)).toEqual(['v2', 'v1']);
    expect(body.rows[0]).toEqual({
      timeMs: nowMs - 10 * MINUTE_MS,
      // Tags the point lacks read as empty, like InfluxDB's own GROUP BY.
      tags: { model: 'event_class', version: 'v2', alias: 'champion', source: '', segment: '' },
      // Every field the contract declares is a column; those the point lacks are null.
      fields: {
        ...Object.fromEntries(Object.values(MODEL_METRICS_SERIES.fields).map((field) => [field, null])),
        accuracy: 0.91,
        f1: 0.89,
        precision: 0.91,
        recall: 0.9,
        holdout_size: 5000,
      },
    });
  });

  it("When a problem's probability is asked for one entity, then only that problem and entity come back, with the threshold", async () => {
    const body = await page(`/api/series/problems?problem=freezer-warm&entity=freezer-01&from=${nowMs - 3_600_000}`);
    expect(body.measurement).toBe('aiops_problems');
    expect(body.rows.map((r) => [r.tags.entity, r.fields.probability, r.fields.threshold, r.fields.alert])).toEqual([
      ['freezer-01', 0.81, 0.4, true],
      ['freezer-01', 0.1, 0.4, false],
    ]);
    const all = await page(`/api/series/problems?problem=freezer-warm&from=${nowMs - 3_600_000}`);
    expect(new Set(all.rows.map((r) => r.tags.entity))).toEqual(new Set(['freezer-01', 'freezer-02']));
  });

  it('When a filter value carries InfluxQL, then it is matched as one exact tag value', async () => {
    const body = await page(`/api/series/anomalies?host=${encodeURIComponent(sneaky)}&from=${nowMs - 3_600_000}`);
    expect(body.rows.map((r) => r.tags.host)).toEqual([sneaky]);
    const all = await page(`/api/series/anomalies?site=hosp-01&from=${nowMs - 3_600_000}&limit=2`);
    expect(all.rows).toHaveLength(2);
  });

  it('When nothing was written for a kind yet, then the answer is an empty list, not an error', async () => {
    expect((await page('/api/series/forecasts')).rows).toEqual([]);
  });

  it('When the kind or a filter is unknown, or the range is reversed, then a 4xx says what is wrong', async () => {
    const unknownKind = await backend.call('/api/series/weather');
    expect(unknownKind.status).toBe(404);
    expect(((await unknownKind.json()) as { error: { message: string } }).error.message).toContain(
      'use one of silences, anomalies, forecasts, maintenance, models, drift, problems'
    );
    const typo = await backend.call('/api/series/silences?stie=hosp-01');
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { error: { message: string } }).error.message).toMatch(/stie/);
    const reversed = await backend.call('/api/series/models?from=2000&to=1000');
    expect(reversed.status).toBe(400);
    expect((await backend.call('/api/series/models', { auth: false })).status).toBe(401);
  });

  it('When a time is past the last one the API queries InfluxDB for (milliseconds with a digit too many, now+300y), then every list refuses it with a 400 naming it, not a 500', async () => {
    const last = '9007199254740 (2255-06-05T23:47:34.740Z, the last time the API queries';
    for (const [path, expected] of [
      ['/api/series/anomalies?from=0&to=99999999999999', `to must be at most ${last}; got 99999999999999)`],
      ['/api/events?to=now%2B300y', `to must be at most ${last}; got now+300y)`],
      ['/api/events?from=99999999999999', `from must be at most ${last}; got 99999999999999)`],
      ['/api/tickets?to=99999999999999', `to must be at most ${last}; got 99999999999999)`],
    ]) {
      const res = await backend.call(path);
      const message = ((await res.json()) as { error?: { message: string } }).error?.message;
      expect({ path, status: res.status, message }).toEqual({ path, status: 400, message: expected });
    }
    // The last time itself is a time.
    expect((await backend.call('/api/series/anomalies?from=0&to=9007199254740')).status).toBe(200);
  });
});
