import fc from 'fast-check';
import {
  fuzzRequest,
  readBack,
  storedTexts,
  storeTexts,
  type ApiCall,
  type StoredRecord,
} from '../../inference-backend/src/bench/fuzzRequests';
import { startTestBackend, type TestBackend } from '../support/service';

/**
 * Hostile input over every route of the API (issue 13, point 4), against the real backend over a
 * real influxd, as the admin bootstrap token (allowed everything, so every request reaches the
 * route's own validation). The same generators drive `npm run bench:fuzz` at 100,000 requests.
 */
let backend: TestBackend;
/** A thousand requests in seconds: the per-token rate limit (tested on its own) would answer most with 429. */
const NO_RATE_LIMIT = { NOCAI_RATE_LIMIT: '0' };
let crashes: unknown[] = [];
const onCrash = (error: unknown) => void crashes.push(error);

const callOf =
  (b: TestBackend): ApiCall =>
  ({ method, path, headers, body }) =>
    b.call(path, { method, headers, body });

beforeAll(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  backend = await startTestBackend(NO_RATE_LIMIT);
});

afterAll(async () => {
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  await backend?.stop();
});

beforeEach(() => {
  crashes = [];
});

describe('Hostile requests to every route', () => {
  it('When any route gets arbitrary path params, query strings, headers and bodies, then it answers below 500 with a readable error and keeps serving', async () => {
    const call = callOf(backend);
    const seeded = await storeTexts(call, { complaint: 'Link down at site 1', comment: 'seed', feedback: '' });
    const ticketIds = seeded.record ? [seeded.record.ticketId] : [];
    await fc.assert(
      fc.asyncProperty(fuzzRequest({ ticketIds, names: ['event-class', 'department', 'events'] }), async (request) => {
        const response = await call(request);
        const text = await response.text();
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          // One sentence the caller can act on, never a stack trace.
          const body = JSON.parse(text) as { error?: { message?: unknown } };
          expect(typeof body.error?.message).toBe('string');
          expect(String(body.error?.message)).not.toMatch(/\n\s+at /);
        }
      }),
      { numRuns: 1000 }
    );
    expect(crashes).toEqual([]);
    expect((await backend.call('/healthz')).status).toBe(200);
  });

  it('When JSON bodies carry __proto__ and constructor keys, then no object prototype is polluted', async () => {
    const body = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"text":"Fan failure"}';
    for (const path of ['/api/complaints', '/api/tokens', '/api/problems', '/api/alerts/grafana', '/api/reports']) {
      const response = await backend.call(path, { method: 'POST', body });
      expect(response.status).toBeLessThan(500);
    }
    const response = await backend.call('/api/tickets?__proto__[polluted]=yes&constructor[prototype][polluted]=yes');
    expect(response.status).toBeLessThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('Stored text read back', () => {
  it('When complaints, comments and feedback hold arbitrary Unicode, then they read back byte-identical, also from a restarted backend', async () => {
    const records: StoredRecord[] = [];
    await fc.assert(
      fc.asyncProperty(storedTexts, async (texts) => {
        const { statuses, record, refusal } = await storeTexts(callOf(backend), texts);
        expect({ statuses, refusal }).toEqual({ statuses: [201, 201, 200], refusal: undefined });
        for (const { what, expected, actual } of await readBack(callOf(backend), record as StoredRecord)) {
          expect({ what, actual }).toEqual({ what, actual: expected });
        }
        records.push(record as StoredRecord);
      }),
      { numRuns: 40 }
    );

    // A second backend over the same databases knows the tickets only from what InfluxDB stored.
    const restarted = await startTestBackend(NO_RATE_LIMIT, backend.influx);
    try {
      for (const record of records) {
        for (const { what, expected, actual } of await readBack(callOf(restarted), record)) {
          expect({ ticket: record.ticketId, what, actual }).toEqual({
            ticket: record.ticketId,
            what,
            actual: expected,
          });
        }
      }
    } finally {
      await restarted.stop();
    }
  });
});
