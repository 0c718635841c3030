import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventsRepository } from '../influx/eventsRepository';
import type { SeriesRepository } from '../influx/seriesRepository';
import { createLogger } from '../logger';
import { Metrics } from '../metrics/metrics';
import type { TicketService } from '../../services/ticketService';
import { createApp } from './app';
import type { AppDeps } from './app';

/** A collaborator the routes under test never reach: any method it is asked for rejects, naming it. */
function unreached<T>(name: string): T {
  return new Proxy(
    {},
    {
      get: (_target, method) => async () => {
        throw new Error(`${name}.${String(method)} is not used by this test`);
      },
    }
  ) as T;
}

/**
 * Test helper: `createApp` with the routers and authentication under test, listening on a free port
 * of 127.0.0.1 (`base` is its URL). The ticket, event and series collaborators reject any call: the
 * route tests need no InfluxDB.
 */
export async function startRouteTestApp(
  deps: Pick<AppDeps, 'auth' | 'routers'>
): Promise<{ base: string; close: () => Promise<void> }> {
  const app = createApp({
    logger: createLogger('silent'),
    metrics: new Metrics(),
    clock: { nowMs: () => Date.now() },
    events: unreached<EventsRepository>('events'),
    series: unreached<SeriesRepository>('series'),
    tickets: unreached<TicketService>('tickets'),
    checkInflux: async () => undefined,
    ...deps,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
