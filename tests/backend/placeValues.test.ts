/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT, type PlaceValues } from '@nocai/contract';
import { ticketPoint } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { sampleTicket } from '../../inference-backend/src/domain/tickets/ticketFixture';
import { formatInventory, generateInventory } from '../../inference-backend/src/simulator';
import { freshDatabase } from '../support/influx';
import { outputDatabaseOf, startTestBackend, type TestBackend } from '../support/service';

const DAY_MS = 86_400_000;

/**
 * The sites and hosts a Grafana variable offers (`GET /api/values/site|host`): every one the backend knows,
 * not those of the first page of recent tickets and events.
 */
describe('the sites and hosts the backend knows, against a real influxd', () => {
  let backend: TestBackend;
  const dir = mkdtempSync(join(tmpdir(), 'nocai-places-'));
  const inventory = generateInventory({ seed: 7, sites: 2 });
  const nowMs = Date.now();

  beforeAll(async () => {
    const inventoryPath = join(dir, 'inventory.yaml');
    writeFileSync(inventoryPath, formatInventory(inventory));
    const influx = await freshDatabase('svc_in');
    const outputDb = outputDatabaseOf(influx.database);
    await influx.client.createDatabase(outputDb);
    const E = OUTPUT.events;
    // A router of a branch the inventory does not list yet, whose lines were classified three days ago.
    const event: SeriesPoint = {
      measurement: E.measurement,
      tags: {
        [E.tags.hostname]: 'branch-z-rtr-1',
        [E.tags.appname]: 'kernel',
        [E.tags.facility]: 'kern',
        [E.tags.severity]: 'err',
        [E.tags.site]: 'branch-z',
        [E.tags.siteKind]: 'office',
        [E.tags.deviceKind]: 'router',
        [E.tags.eventClass]: 'network',
      },
      fields: {
        [E.fields.decision]: 'alert',
        [E.fields.templateId]: 't-1',
        [E.fields.template]: 'link <*> down',
        [E.fields.message]: 'link Gi0/1 down',
        [E.fields.confidence]: 0.9,
        [E.fields.modelVersion]: 'm-1',
      },
      timeUs: (nowMs - 3 * DAY_MS) * 1000,
    };
    // A ticket of a mobile unit, opened from a Grafana alert, with the two devices of its incident.
    const ticket = sampleTicket({
      id: 'GRA-1',
      site: 'mobile-unit',
      host: 'mu-gw',
      hosts: ['mu-gw', 'mu-cam'],
      openedAtMs: nowMs - DAY_MS,
      updatedAtMs: nowMs - DAY_MS,
    });
    await influx.client.writeLines(outputDb, [toLineProtocol(event), toLineProtocol(ticketPoint(ticket))]);
    backend = await startTestBackend({ NOCAI_INVENTORY: inventoryPath }, influx);
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const values = async (tag: string) => {
    const res = await backend.call(`/api/values/${tag}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as PlaceValues).values;
  };
  const sorted = (names: Iterable<string>) => [...new Set(names)].sort((a, b) => a.localeCompare(b));

  it('When the sites are asked for, then the inventory’s, the events’ and the tickets’ come back once each, sorted', async () => {
    expect(await values('site')).toEqual(sorted([...inventory.sites.map((s) => s.id), 'branch-z', 'mobile-unit']));
  });

  it('When the hosts are asked for, then every device, event host and incident device comes back, however old', async () => {
    expect(await values('host')).toEqual(
      sorted([...inventory.devices.map((d) => d.host), 'branch-z-rtr-1', 'mu-gw', 'mu-cam'])
    );
  });

  it('When another tag or a parameter is asked for, then the answer is a 404 or a 400 saying what is served', async () => {
    const other = await backend.call('/api/values/device_kind');
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { message: string } }).error.message).toBe(
      'no values of device_kind: use one of site, host, department'
    );
    const ranged = await backend.call('/api/values/site?from=now-1h');
    expect(ranged.status).toBe(400);
    expect(((await ranged.json()) as { error: { message: string } }).error.message).toBe(
      '/api/values/site takes no parameters (got from)'
    );
  });
});
