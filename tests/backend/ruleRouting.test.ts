import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GrafanaWebhookAnswer, Ticket } from '@nocai/contract';
import { formatInventory, generateInventory } from '../../inference-backend/src/simulator';
import { startTestBackend, type TestBackend } from '../support/service';

/**
 * Before any model is trained the rules route complaints and Grafana alerts, and they route them as the incident
 * policy routes the same fault from syslog: a server's failing disk goes to the field technicians, a PLC's to
 * maintenance, at the priority the site's criticality gives an incident of that class.
 */
describe('complaints and alerts routed by the rules, against a real influxd', () => {
  let backend: TestBackend;
  const dir = mkdtempSync(join(tmpdir(), 'nocai-rules-'));
  // hosp-01 is a hospital (criticality 5), fact-01 a factory (criticality 4) with a server and PLCs.
  const inventory = generateInventory({ seed: 7, sites: 2 });
  const disk = 'The disk is clicking: disk failure, I/O error on every write';

  beforeAll(async () => {
    const inventoryPath = join(dir, 'inventory.yaml');
    writeFileSync(inventoryPath, formatInventory(inventory));
    // No NOCAI_MODELS_DIR: the rules route.
    backend = await startTestBackend({ NOCAI_INVENTORY: inventoryPath });
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const complaint = async (text: string, site: string, host?: string) => {
    const res = await backend.call('/api/complaints', { method: 'POST', body: JSON.stringify({ text, site, host }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { ticket: Ticket }).ticket;
  };
  const stored = async (id: string) =>
    ((await (await backend.call(`/api/tickets/${id}`)).json()) as { ticket: Ticket }).ticket;

  it("When a failing disk is typed about a server, then the field technicians get it at the factory's P2; about a PLC, maintenance", async () => {
    const server = await complaint(disk, 'fact-01', 'fact-01-srv-01');
    expect(server).toMatchObject({
      eventClass: 'hardware',
      deviceKind: 'server',
      department: 'field_technicians',
      priority: 'P2',
    });
    expect(await stored(server.id)).toMatchObject({ department: 'field_technicians', priority: 'P2' });
    const plc = await complaint(disk, 'fact-01', 'fact-01-plc-01');
    expect(plc).toMatchObject({ eventClass: 'hardware', deviceKind: 'plc', department: 'maintenance', priority: 'P2' });
  });

  it('When a network fault is typed at the hospital, then it is P2 as an incident there would be, not P1', async () => {
    const network = await complaint('The core switch link is down, packet loss on every port', 'hosp-01');
    expect(network).toMatchObject({ eventClass: 'network', department: 'network_ops', priority: 'P2' });
  });

  it("When Grafana sends a failing disk alert of a server, then its ticket goes to the field technicians, as the complaint's", async () => {
    const res = await backend.call('/api/alerts/grafana', {
      method: 'POST',
      body: JSON.stringify({
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'Disk failure', host: 'fact-01-srv-01' },
            annotations: { summary: 'SMART: disk failure predicted, I/O errors' },
            startsAt: new Date().toISOString(),
            fingerprint: 'disk-fact-srv',
          },
        ],
      }),
    });
    expect(res.status).toBe(202);
    const [ticket] = ((await res.json()) as GrafanaWebhookAnswer).tickets;
    expect(ticket).toMatchObject({
      eventClass: 'hardware',
      site: 'fact-01',
      deviceKind: 'server',
      department: 'field_technicians',
      priority: 'P2',
    });
    expect((await stored(ticket.id)).department).toBe('field_technicians');
  });
});
