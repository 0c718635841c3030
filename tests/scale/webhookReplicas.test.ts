import type { GrafanaWebhook } from '@nocai/contract';
import { EventsRepository } from '../../inference-backend/src/adapters/influx/eventsRepository';
import { TicketsRepository } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { DirectWriter } from '../../inference-backend/src/adapters/influx/writer';
import { systemClock } from '../../inference-backend/src/domain/series';
import { MedianMttrBaseline, RuleTextRouter } from '../../inference-backend/src/services/baselineModels';
import { TicketService } from '../../inference-backend/src/services/ticketService';
import { freshDatabase } from '../support/influx';

/**
 * Grafana's notifications of one alert may reach two replicas behind the API's load balancer: the
 * firing one replica, the resolution another that has not read the ticket yet (its next poll is
 * seconds away). Two ticket services over one real influxd stand for the two replicas.
 */
describe('a Grafana alert whose firing and resolution reach two replicas', () => {
  it('When the resolution reaches the replica that has not read the ticket yet, then that replica reads again and resolves it', async () => {
    const { client, database } = await freshDatabase('webhook_replicas');
    const replica = (index: number, refresh: boolean) => {
      const writer = new DirectWriter(client, { database });
      const tickets = new TicketsRepository(client, database, writer, systemClock, { index, count: 2 });
      const service = new TicketService({
        tickets,
        events: new EventsRepository(client, database),
        router: new RuleTextRouter(),
        mttr: new MedianMttrBaseline([]),
        similar: () => undefined,
        clock: systemClock,
        options: { reviewThreshold: 0 },
        ...(refresh ? { refresh: () => tickets.catchUp(0) } : {}),
      });
      return { tickets, service };
    };
    const alert = (status: 'firing' | 'resolved', fingerprint: string): GrafanaWebhook => ({
      status,
      alerts: [
        {
          status,
          labels: { alertname: 'UPS on battery', site: 'hosp-01', host: 'hosp-01-ups-01', severity: 'critical' },
          annotations: { summary: 'UPS on battery at hosp-01' },
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          ...(status === 'resolved' ? { endsAt: new Date().toISOString() } : {}),
          fingerprint,
        },
      ],
    });

    // With the refresh (as main.ts wires it for sharded replicas): the resolution finds its ticket.
    const a = replica(0, true);
    const b = replica(1, true);
    const opened = await a.service.fromGrafana(alert('firing', 'f-refresh'));
    expect(opened.tickets.map((t) => t.status)).toEqual(['open']);
    const resolved = await b.service.fromGrafana(alert('resolved', 'f-refresh'));
    expect(resolved.tickets.map((t) => [t.id, t.status])).toEqual([[opened.tickets[0].id, 'resolved']]);
    await a.tickets.catchUp(0);
    expect((await a.tickets.findById(opened.tickets[0].id))?.status).toBe('resolved');

    // Without it, the second replica does not know the ticket and the resolution changes nothing:
    // the ticket would stay open until someone closed it.
    const c = replica(0, false);
    const d = replica(1, false);
    const lone = await c.service.fromGrafana(alert('firing', 'f-lone'));
    expect((await d.service.fromGrafana(alert('resolved', 'f-lone'))).tickets).toEqual([]);
    expect((await c.tickets.findById(lone.tickets[0].id))?.status).toBe('open');
  }, 120_000);
});
