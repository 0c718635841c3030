import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GrafanaWebhookAnswer, Ticket } from '@nocai/contract';
import { formatInventory, generateInventory } from '../../inference-backend/src/simulator';
import { startTestBackend, type TestBackend } from '../support/service';

/**
 * NOCAI_POWER_DEPARTMENT_BY_SITE_KIND for the tickets people type and Grafana sends, as for the incidents the
 * engine opens: a power problem at a hospital goes to facilities, wherever it comes from.
 */
describe('power tickets routed by site kind, against a real influxd', () => {
  let backend: TestBackend;
  const dir = mkdtempSync(join(tmpdir(), 'nocai-power-'));
  // hosp-01 is a hospital, fact-01 a factory.
  const inventory = generateInventory({ seed: 7, sites: 2 });

  beforeAll(async () => {
    const inventoryPath = join(dir, 'inventory.yaml');
    writeFileSync(inventoryPath, formatInventory(inventory));
    backend = await startTestBackend({
      NOCAI_INVENTORY: inventoryPath,
      NOCAI_POWER_DEPARTMENT_BY_SITE_KIND: 'hospital=facilities',
    });
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const complaint = async (text: string, site: string) => {
    const res = await backend.call('/api/complaints', { method: 'POST', body: JSON.stringify({ text, site }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { ticket: Ticket }).ticket;
  };
  const stored = async (id: string) =>
    ((await (await backend.call(`/api/tickets/${id}`)).json()) as { ticket: Ticket }).ticket;

  it('When a power complaint is typed at a hospital, then facilities gets it; at a factory, the field technicians', async () => {
    const text = 'The UPS is on battery, mains power lost since 10 minutes';
    const hospital = await complaint(text, 'hosp-01');
    expect(hospital).toMatchObject({ eventClass: 'power', siteKind: 'hospital', department: 'facilities' });
    expect((await stored(hospital.id)).department).toBe('facilities');
    // Its explanation says where the department came from, then why the ticket is about power.
    const setting = 'department set by NOCAI_POWER_DEPARTMENT_BY_SITE_KIND (hospital=facilities)';
    expect(hospital.explanation[0]).toEqual({ feature: setting, weight: 1 });
    expect(hospital.explanation.length).toBeGreaterThan(1);
    expect((await stored(hospital.id)).explanation).toEqual(hospital.explanation);
    const factory = await complaint(text, 'fact-01');
    expect(factory).toMatchObject({ eventClass: 'power', siteKind: 'factory', department: 'field_technicians' });
    expect(factory.explanation.map((e) => e.feature)).not.toContain(setting);
    // The words that made it power are the same at both sites.
    expect(hospital.explanation.slice(1)).toEqual(factory.explanation);
    // Another class at the hospital keeps its own department.
    const network = await complaint('The core switch link is down, packet loss on every port', 'hosp-01');
    expect(network).toMatchObject({ eventClass: 'network', department: 'network_ops' });
  });

  it('When Grafana sends a power alert of a hospital UPS, then its ticket goes to facilities, and the facilities filter lists it', async () => {
    const res = await backend.call('/api/alerts/grafana', {
      method: 'POST',
      body: JSON.stringify({
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'UPS on battery', host: 'hosp-01-ups-01' },
            annotations: { summary: 'UPS input power lost, running on battery' },
            startsAt: new Date().toISOString(),
            fingerprint: 'power-hosp-ups',
          },
        ],
      }),
    });
    expect(res.status).toBe(202);
    const [ticket] = ((await res.json()) as GrafanaWebhookAnswer).tickets;
    expect(ticket).toMatchObject({
      eventClass: 'power',
      site: 'hosp-01',
      siteKind: 'hospital',
      department: 'facilities',
    });
    expect(ticket.explanation[0].feature).toBe(
      'department set by NOCAI_POWER_DEPARTMENT_BY_SITE_KIND (hospital=facilities)'
    );
    const page = (await (await backend.call('/api/tickets?department=facilities&limit=1000')).json()) as {
      tickets: Ticket[];
    };
    expect(page.tickets.map((t) => t.id)).toContain('GRA-power-hosp-ups');
  });

  it('When a person corrected the department of a hospital power alert and it fires again, then its explanation no longer credits the setting', async () => {
    const ups = {
      labels: { alertname: 'UPS on battery', host: 'hosp-01-ups-01' },
      annotations: { summary: 'UPS input power lost, running on battery' },
      fingerprint: 'power-hosp-ups-corrected',
    };
    const grafana = async (alert: Record<string, unknown>) => {
      const res = await backend.call('/api/alerts/grafana', {
        method: 'POST',
        body: JSON.stringify({ status: alert.status, alerts: [{ ...ups, ...alert }] }),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as GrafanaWebhookAnswer).tickets;
    };
    const nowMs = Date.now();
    const [ticket] = await grafana({ status: 'firing', startsAt: new Date(nowMs - 600_000).toISOString() });
    const setting = 'department set by NOCAI_POWER_DEPARTMENT_BY_SITE_KIND (hospital=facilities)';
    expect(ticket).toMatchObject({ department: 'facilities' });
    expect(ticket.explanation[0].feature).toBe(setting);
    const patched = await backend.call(`/api/tickets/${ticket.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ department: 'it_ops' }),
      headers: { 'If-Match': `"${ticket.version ?? 0}"`, 'X-Grafana-User': 'alice' },
    });
    expect(patched.status).toBe(200);
    await grafana({
      status: 'resolved',
      startsAt: new Date(nowMs - 600_000).toISOString(),
      endsAt: new Date(nowMs - 300_000).toISOString(),
    });
    const [reopened] = await grafana({ status: 'firing', startsAt: new Date(nowMs).toISOString() });

    expect(reopened).toMatchObject({ id: ticket.id, status: 'open', department: 'it_ops', corrected: ['department'] });
    expect(reopened.explanation.map((e) => e.feature)).not.toContain(setting);
    // The words that made it power stay.
    expect(reopened.explanation).toEqual(ticket.explanation.slice(1));
    expect((await stored(ticket.id)).explanation).toEqual(reopened.explanation);
  });
});
