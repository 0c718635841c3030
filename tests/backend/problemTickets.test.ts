import type { Ticket, TicketsPage } from '@nocai/contract';
import { ticketPoint } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import { freshDatabase } from '../support/influx';
import { outputDatabaseOf, startTestBackend, type TestBackend } from '../support/service';
import { sampleTicket } from '../../inference-backend/src/domain/tickets/ticketFixture';

/**
 * The tickets one predicted problem's alerts opened (issue 12), as Grafana's `problems` query asks for them:
 * stored in aiops_tickets with the problem's name, read back when the service starts, listed by name.
 */
describe('GET /api/tickets?problem= against a real influxd', () => {
  let backend: TestBackend;
  const nowMs = Date.now();
  const ticket = (id: string, over: Partial<Ticket>): Ticket =>
    sampleTicket({
      id,
      openedAtMs: nowMs - 3_600_000,
      updatedAtMs: nowMs - 3_600_000,
      source: 'logs',
      title: id,
      eventClass: 'environment',
      confidence: 0.81,
      site: 'fact-01',
      siteKind: 'factory',
      host: 'freezer-01',
      deviceKind: 'sensor',
      mttrP50Seconds: 600,
      mttrP90Seconds: 1200,
      explanation: [{ feature: 'freezer.door_open_count:mean_24', weight: 1.2, value: 3.25 }],
      modelVersion: 'problem-freezer-warm@v1',
      version: 1,
      ...over,
    });

  beforeAll(async () => {
    const influx = await freshDatabase('svc_problems');
    const outputDb = outputDatabaseOf(influx.database);
    await influx.client.createDatabase(outputDb);
    const tickets = [
      ticket('INC-warm', {
        title: 'Predicted freezer-warm on freezer-01 within 2 h',
        problem: 'freezer-warm',
        recommendation: 'lower freezer.setpoint_c from -22 to -25 2 h earlier: probability 0.81 → 0.22',
        feedback: { verdict: 'avoided', atMs: nowMs - 1_800_000 },
      }),
      ticket('INC-hot', { title: 'Predicted plc-hot on plc-01 within 2 h', problem: 'plc-hot', host: 'plc-01' }),
      ticket('CMP-other', { source: 'complaint', explanation: [] }),
    ];
    // One microsecond apart: points with the same tags and time would overwrite each other.
    await influx.client.writeLines(
      outputDb,
      tickets.map((t, i) => toLineProtocol(ticketPoint(t, t.updatedAtMs * 1000 + i)))
    );
    backend = await startTestBackend({}, influx);
  });
  afterAll(() => backend?.stop());

  it("When one problem's tickets are asked for, then only its alerts come back, with verdict, factors and recommendation", async () => {
    const res = await backend.call(`/api/tickets?problem=freezer-warm&from=${nowMs - 86_400_000}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as TicketsPage;
    expect(page.tickets.map((t) => t.id)).toEqual(['INC-warm']);
    expect(page.tickets[0]).toMatchObject({
      problem: 'freezer-warm',
      feedback: { verdict: 'avoided' },
      recommendation: 'lower freezer.setpoint_c from -22 to -25 2 h earlier: probability 0.81 → 0.22',
      explanation: [{ feature: 'freezer.door_open_count:mean_24', weight: 1.2, value: 3.25 }],
    });
    const all = (await (await backend.call(`/api/tickets?from=${nowMs - 86_400_000}`)).json()) as TicketsPage;
    expect(all.tickets.map((t) => t.id).sort()).toEqual(['CMP-other', 'INC-hot', 'INC-warm']);
    expect(all.tickets.find((t) => t.id === 'CMP-other')?.problem).toBeUndefined();
  });

  it('When the problem is not a problem name, then the list is refused with a message naming it', async () => {
    const res = await backend.call(`/api/tickets?problem=${encodeURIComponent("x' OR 1=1")}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /^problem must be 1–64 lower-case letters/
    );
  });
});
