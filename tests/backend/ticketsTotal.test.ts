/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import type { Ticket, TicketsPage } from '@nocai/contract';
import { ticketPoint } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import { sampleTicket } from '../../inference-backend/src/domain/tickets/ticketFixture';
import { freshDatabase } from '../support/influx';
import { outputDatabaseOf, startTestBackend, type TestBackend } from '../support/service';

const MINUTE_MS = 60_000;

/**
 * NOC triage's Waiting for review shows `total` of a one-ticket page (the data source's tickets count): it must
 * count every ticket that matches, past the most the API lists at once (1000).
 */
describe('the total of a tickets page, against a real influxd', () => {
  let backend: TestBackend;
  const nowMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const from = nowMs - 3_600_000;

  beforeAll(async () => {
    const influx = await freshDatabase('svc_in');
    const outputDb = outputDatabaseOf(influx.database);
    await influx.client.createDatabase(outputDb);
    // Each ticket at its own instant, so that no point overwrites another of the same series.
    const ticket = (i: number, patch: Partial<Ticket>) => {
      const atMs = nowMs - 30 * MINUTE_MS + i;
      return sampleTicket({ id: `CMP-${i}`, openedAtMs: atMs, updatedAtMs: atMs, ...patch });
    };
    const waiting = { status: 'needs_review', needsReview: true, confidence: 0.4 } as const;
    const tickets = [
      ...Array.from({ length: 1200 }, (_, i) => ticket(i, { ...waiting, site: 'hosp-01' })),
      // At the factory, 10 tickets of the PLC itself and 5 of incidents it is part of, behind its switch.
      ...Array.from({ length: 30 }, (_, i) =>
        ticket(2000 + i, {
          ...waiting,
          site: 'fact-02',
          ...(i < 10 ? { host: 'fact-02-plc-07' } : {}),
          ...(i >= 10 && i < 15 ? { host: 'fact-02-sw-01', hosts: ['fact-02-sw-01', 'fact-02-plc-07'] } : {}),
        })
      ),
      ...Array.from({ length: 40 }, (_, i) => ticket(3000 + i, { site: 'hosp-01' })),
    ];
    await influx.client.writeLines(
      outputDb,
      tickets.map((t) => toLineProtocol(ticketPoint(t)))
    );
    // The backend warms its ticket index from aiops_tickets when it starts.
    backend = await startTestBackend({}, influx);
  });
  afterAll(() => backend?.stop());

  const page = async (query: string) => {
    const res = await backend.call(`/api/tickets?${query}&from=${from}&to=${nowMs}`);
    expect(res.status).toBe(200);
    return (await res.json()) as TicketsPage;
  };

  it('When 1,200 tickets at a site need review, then a page of one ticket says 1200 of them match', async () => {
    const counted = await page('status=needs_review&site=hosp-01&limit=1');

    expect(counted.tickets).toHaveLength(1);
    expect(counted.total).toBe(1200);
  });

  it('When the filters widen to two sites, then the total counts both, and a page of the maximum still lists 1000', async () => {
    const counted = await page('status=needs_review&site=hosp-01,fact-02&limit=1000');

    expect(counted.tickets).toHaveLength(1000);
    expect(counted.total).toBe(1230);
  });

  it("When a host's tickets are asked for, then those of the host and of incidents it is part of are listed, read back from InfluxDB", async () => {
    const plc = await page('host=fact-02-plc-07&limit=1000');
    expect(plc.total).toBe(15);
    expect(new Set(plc.tickets.map((t) => t.host))).toEqual(new Set(['fact-02-plc-07', 'fact-02-sw-01']));

    expect((await page('host=fact-02-sw-01,hosp-01-ups-01&site=fact-02&limit=1')).total).toBe(20);
    expect((await page('host=fact-02-plc-07&site=hosp-01&limit=1')).total).toBe(0);
  });

  it('When the host filter has an empty item, then the API answers 400 naming it', async () => {
    const res = await backend.call(`/api/tickets?host=fact-02-plc-07,`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'host must be one value or a comma-separated list of values, without an empty one'
    );
  });
});
