/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TICKET_SERIES, type Ticket, type TicketDetailResponse } from '@nocai/contract';
import type { Page } from 'playwright-core';

import { ticketPoint } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import { sampleTicket } from '../../inference-backend/src/domain/tickets/ticketFixture';
import { freshDatabase } from '../support/influx';
import { writeMttrChampion } from '../support/mttrChampion';
import { outputDatabaseOf, startTestBackend } from '../support/service';
import { waitFor } from '../support/wait';
import { startHarnessSession, type HarnessSession } from './harness/session';

/**
 * The browser's time zone: not the machine's (UTC on CI), so that a time shown in UTC instead of the browser's
 * zone shows up. India has no daylight saving time, so its offset is the same all year.
 */
const BROWSER_TIME_ZONE = 'Asia/Kolkata';
const BROWSER_OFFSET_MS = (5 * 60 + 30) * 60_000;

/** The organisation's own department: one a ticket of last week carried, which the six do not include. */
const OWN_DEPARTMENT = 'noc_tier2';
const DAY_MS = 86_400_000;

/**
 * The triage panel in a real Chromium: the real panel and data source code, bundled, against the real
 * backend on the test influxd. Only Grafana itself is stood in for (see harness/index.tsx).
 */
describe('triage panel in a real browser', () => {
  let session: HarnessSession;
  let page: Page;
  let modelsDir: string;

  beforeAll(async () => {
    // An MTTR champion, so that tickets say why their time to resolve is what it is; routing stays with the rules.
    modelsDir = mkdtempSync(join(tmpdir(), 'nocai-browser-models-'));
    await writeMttrChampion(modelsDir);
    // A ticket of the organisation's own department, closed days ago: the backend accepts that department, and
    // the panel (the last 24 hours) does not list the ticket.
    const influx = await freshDatabase('svc_in');
    const outputDb = outputDatabaseOf(influx.database);
    await influx.client.createDatabase(outputDb);
    const closedAtMs = Date.now() - 6 * DAY_MS;
    const past = sampleTicket({
      id: 'CMP-past-tier2',
      status: 'closed',
      openedAtMs: closedAtMs - DAY_MS,
      updatedAtMs: closedAtMs,
      resolvedAtMs: closedAtMs,
    });
    const point = ticketPoint(past);
    // As the ticket router stores the label of a department model trained on the organisation's history.
    point.tags[TICKET_SERIES.tags.department] = OWN_DEPARTMENT;
    await influx.client.writeLines(outputDb, [toLineProtocol(point)]);
    session = await startHarnessSession(
      await startTestBackend(
        {
          NOCAI_MODELS_DIR: modelsDir,
          NOCAI_RETRAIN_INTERVAL_MS: '0',
          NOCAI_ACCURACY_INTERVAL_MS: '0',
          NOCAI_DRIFT_INTERVAL_MS: '0',
        },
        influx
      )
    );
    page = await session.browser.newPage({ viewport: { width: 1920, height: 900 }, timezoneId: BROWSER_TIME_ZONE });
    // Waits on what the page shows, with room for a machine busy with other work.
    page.setDefaultTimeout(120_000);
    await page.goto(`${session.server.url}/?theme=light`);
    await page.waitForSelector('body[data-harness-ready="true"]', { timeout: 120_000 });
  });
  afterAll(async () => {
    await session?.stop();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  const row = (ticketId: string) => page.locator(`[data-testid="nocai-triage-row"][data-ticket-id="${ticketId}"]`);
  /** Corrects an expanded ticket's department with the real form, as an operator would, and waits for the row to show it. */
  const correctDepartment = async (ticket: Ticket, department: string) => {
    const details = page.getByTestId('nocai-triage-details');
    await details.getByRole('button', { name: `Correct routing of ${ticket.id}` }).click();
    const departmentBox = details.getByTestId('nocai-triage-correction').getByRole('combobox', { name: 'Department' });
    await departmentBox.fill(department);
    await page.getByRole('option', { name: department, exact: true }).waitFor();
    await departmentBox.press('ArrowDown');
    await departmentBox.press('Enter');
    await details.getByRole('button', { name: `Save correction of ${ticket.id}` }).click();
    await page.waitForFunction(
      ({ id, wanted }) =>
        document
          .querySelector(`[data-ticket-id="${id}"] [data-testid="nocai-triage-status"]`)
          ?.getAttribute('data-progress') === 'saved' &&
        document.querySelector(`[data-ticket-id="${id}"]`)?.textContent?.includes(wanted),
      { id: ticket.id, wanted: department }
    );
    await expect(details.textContent()).resolves.toContain(`department (was ${ticket.department})`);
  };
  const verdict = (ticketId: string) => row(ticketId).getByTestId('nocai-triage-feedback-verdict');

  it('When the backend has written three tickets, then the panel lists each of them, P1 first', async () => {
    const ids = await page
      .locator('[data-testid="nocai-triage-row"]')
      .evaluateAll((rows) => rows.map((element) => element.getAttribute('data-ticket-id')));
    expect([...ids].sort()).toEqual(session.tickets.map((ticket) => ticket.id).sort());

    const priorities = await page.getByTestId('nocai-triage-priority').allTextContents();
    expect(priorities).toEqual([...priorities].sort());
    for (const ticket of session.tickets) {
      await expect(row(ticket.id).textContent()).resolves.toContain(ticket.title);
    }
    // The token stays with the proxy: the page only ever talks to its own origin.
    expect(await page.content()).not.toContain('test-token');
  });

  it("When the browser is in another time zone than the machine, then ages read in words and their tooltips show the opening on the browser's clock", async () => {
    for (const ticket of session.tickets) {
      const age = row(ticket.id).getByTestId('nocai-triage-age');
      // The tickets were opened moments before the page loaded.
      await expect(age.textContent()).resolves.toMatch(/^(just now|\d+ min ago)$/);
      const local = new Date(ticket.openedAtMs + BROWSER_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
      await expect(age.getAttribute('title')).resolves.toBe(local);
    }
  });

  it('When an operator expands a ticket, then its related alerts, explanation, similar tickets and why it takes the time it does show', async () => {
    const [ticket] = session.tickets;
    const expand = row(ticket.id).getByTestId('nocai-triage-expand');
    await expect(expand.getAttribute('aria-label')).resolves.toBe(`Show details of ${ticket.id}`);

    await expand.click();

    await expect(expand.getAttribute('aria-expanded')).resolves.toBe('true');
    const details = page.getByTestId('nocai-triage-details');
    await details.waitFor();
    await expect(details.textContent()).resolves.toContain(`Related alerts${ticket.relatedAlertCount}`);
    // The table cuts a long summary to one line; the expanded row shows the whole of it.
    await expect(details.getByTestId('nocai-triage-details-summary').textContent()).resolves.toBe(ticket.title);
    // The MTTR champion's factors, each as a multiplier of the predicted time ("×1.8"), its exact contribution in the tooltip.
    const mttrFactors = ticket.mttrFactors ?? [];
    expect(mttrFactors.length).toBeGreaterThan(0);
    const factors = details.getByTestId('nocai-triage-details-mttr-factors');
    await expect(factors.isVisible()).resolves.toBe(true);
    const items = await factors.locator('li').allTextContents();
    expect(items).toHaveLength(mttrFactors.length);
    expect(items.every((item) => /×\d/.test(item))).toBe(true);
    const [strongest] = mttrFactors;
    expect(items[0]).toContain(strongest.feature);
    await expect(factors.locator('li').first().getAttribute('title')).resolves.toContain(
      Math.abs(strongest.weight).toFixed(3)
    );
    await expand.click();
  });

  it('When two complaints are about one device, then each expanded ticket lists the other, and a ticket of no device says it has none', async () => {
    const host = 'hosp-01-mon-07';
    const complain = async (text: string): Promise<Ticket> => {
      const response = await session.backend.call('/api/complaints', {
        method: 'POST',
        body: JSON.stringify({ text, site: 'hosp-01', host }),
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { ticket: Ticket }).ticket;
    };
    const first = await complain('The patient monitor in bed 4 shows no waveform');
    const second = await complain('Bed 4 monitor keeps alarming although the patient is fine');
    // The dashboard's next refresh: the panel's query runs again and lists the two new tickets.
    await page.reload();
    await page.waitForSelector('body[data-harness-ready="true"]');

    for (const [ticket, other] of [
      [first, second],
      [second, first],
    ]) {
      const expand = row(ticket.id).getByTestId('nocai-triage-expand');
      await expand.click();
      const related = page.getByTestId('nocai-triage-related-tickets');
      await related.locator('[data-testid="nocai-triage-related-ticket"]').first().waitFor();
      const items = related.getByTestId('nocai-triage-related-ticket');
      await expect(
        items.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-ticket-id')))
      ).resolves.toEqual([other.id]);
      const text = await items.first().textContent();
      expect(text).toContain(`${other.id} ${other.title}`);
      expect(text).toContain(`${other.priority}, ${other.status.replace(/_/g, ' ')}, ${other.department}, ${host}`);
      await expand.click();
    }
    expect(session.server.forwarded).toContainEqual({ method: 'GET', path: `/api/tickets/${first.id}` });

    // The other complaint is in the panel too: its id opens its row.
    await row(first.id).getByTestId('nocai-triage-expand').click();
    await page.getByRole('button', { name: `Open ${second.id} in the list`, exact: true }).click();
    await page.waitForSelector(
      `[data-ticket-id="${second.id}"] [data-testid="nocai-triage-expand"][aria-expanded="true"]`
    );
    await row(first.id).getByTestId('nocai-triage-expand').click();
    await row(second.id).getByTestId('nocai-triage-expand').click();

    // The harness's own complaints name a site but no device: nothing can be related to them.
    const [placeless] = session.tickets;
    const expand = row(placeless.id).getByTestId('nocai-triage-expand');
    await expand.click();
    await expect(page.getByTestId('nocai-triage-related-empty').textContent()).resolves.toContain(
      'no other ticket of its devices was open at the same time'
    );
    await expand.click();
  });

  it('When a complaint names a device with a firing Grafana alert, then its row shows the incident it is linked to, which marks it linked, and says when that incident was resolved', async () => {
    const host = 'hosp-01-mon-08';
    const fire = async (status: 'firing' | 'resolved') => {
      const alert = {
        status,
        labels: { alertname: 'Host down', site: 'hosp-01', host, severity: 'critical' },
        annotations: { summary: `${host} does not answer` },
        startsAt: new Date(Date.now() - 5 * 60_000).toISOString(),
        ...(status === 'resolved' ? { endsAt: new Date().toISOString() } : {}),
        fingerprint: `down-${host}`,
      };
      const response = await session.backend.call('/api/alerts/grafana', {
        method: 'POST',
        body: JSON.stringify({ status, alerts: [alert] }),
      });
      expect(response.status).toBe(202);
    };
    await fire('firing');
    const incidentId = `GRA-down-${host}`;
    const filed = await session.backend.call('/api/complaints', {
      method: 'POST',
      body: JSON.stringify({ text: 'The monitor in bed 8 shows no waveform', site: 'hosp-01', host }),
    });
    expect(filed.status).toBe(201);
    const complaint = ((await filed.json()) as { ticket: Ticket }).ticket;
    expect(complaint.parentId).toBe(incidentId);
    const incident = ((await (await session.backend.call(`/api/tickets/${incidentId}`)).json()) as TicketDetailResponse)
      .ticket;
    await page.reload();
    await page.waitForSelector('body[data-harness-ready="true"]');

    const expand = row(complaint.id).getByTestId('nocai-triage-expand');
    await expand.click();
    const parent = page.getByTestId('nocai-triage-related-parent');
    await expect(parent.textContent()).resolves.toBe(
      `Linked to incident ${incidentId}: ${incident.title} — ${incident.status.replace(/_/g, ' ')}, ${incident.priority}`
    );
    // The panel lists the incident too: its id opens its row, whose related list marks the complaint linked.
    await parent.getByRole('button', { name: `Open ${incidentId} in the list`, exact: true }).click();
    await page.waitForSelector(
      `[data-ticket-id="${incidentId}"] [data-testid="nocai-triage-expand"][aria-expanded="true"]`
    );
    await page
      .locator(`[data-testid="nocai-triage-related-ticket"][data-ticket-id="${complaint.id}"]`)
      .getByTestId('nocai-triage-related-linked')
      .waitFor();
    await row(incidentId).getByTestId('nocai-triage-expand').click();
    await expand.click();

    // The alert clears: the complaint's row says the incident is over and what is left to do.
    await fire('resolved');
    await page.reload();
    await page.waitForSelector('body[data-harness-ready="true"]');
    await expand.click();
    await expect(parent.textContent()).resolves.toMatch(
      new RegExp(
        `^Linked to incident ${incidentId}: .* — ${incident.priority}, resolved (just now|\\d+ min ago): confirm with the reporter$`
      )
    );
    await expand.click();
  });

  it('When Validate is clicked, then a feedback point lands in aiops_feedback and the row shows the verdict', async () => {
    const [ticket] = session.tickets;

    await row(ticket.id)
      .getByRole('button', { name: `Validate ${ticket.id}`, exact: true })
      .click();

    await page.waitForSelector(
      `[data-ticket-id="${ticket.id}"] [data-testid="nocai-triage-feedback-verdict"][data-progress="saved"]`
    );
    await expect(verdict(ticket.id).textContent()).resolves.toContain('Validated');
    // InfluxQL returns nothing for a SELECT of tags alone, hence the ticket_id field; polled in case a
    // backend version answers before its writer flushed.
    const stored = await waitFor(
      async () => {
        const [series] = await session.backend.influx.client.query(
          session.backend.outputDb,
          `SELECT verdict, ticket_id FROM aiops_feedback WHERE ticket_id = '${ticket.id}'`
        );
        return series?.rows.length ? series.rows : undefined;
      },
      10_000,
      'a feedback point in aiops_feedback'
    );
    expect(stored).toEqual([expect.objectContaining({ verdict: 'valid' })]);
    expect(session.server.forwarded).toContainEqual({ method: 'POST', path: `/api/tickets/${ticket.id}/feedback` });
  });

  it('When an operator acknowledges, assigns and corrects the department with the real buttons, then the row shows it and aiops_tickets holds each change with who made it', async () => {
    const [, ticket] = session.tickets;
    const department = ticket.department === 'facilities' ? 'security' : 'facilities';
    const status = row(ticket.id).getByTestId('nocai-triage-status');

    // By keyboard: the quick button is a real, focusable button.
    const acknowledge = row(ticket.id).getByRole('button', { name: `Acknowledge ${ticket.id}`, exact: true });
    await acknowledge.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector(
      `[data-ticket-id="${ticket.id}"] [data-testid="nocai-triage-status"][data-progress="saved"]`
    );
    await expect(status.textContent()).resolves.toBe('acknowledged');

    // The rest is in the expanded row, reached with the keyboard like any form.
    await row(ticket.id).getByTestId('nocai-triage-expand').click();
    const details = page.getByTestId('nocai-triage-details');
    await details.getByTestId('nocai-triage-assignee-input').fill('team:security');
    await details.getByTestId('nocai-triage-assignee-input').press('Enter');
    await page.waitForSelector(
      `[data-ticket-id="${ticket.id}"] [data-testid="nocai-triage-assignee"][data-assignee="team:security"]`
    );

    await correctDepartment(ticket, department);

    const [series] = await session.backend.influx.client.query(
      session.backend.outputDb,
      `SELECT "status", "change", "version", "assignee", "department", "changed_by" FROM aiops_tickets WHERE ticket_id = '${ticket.id}' ORDER BY time ASC`
    );
    expect(series.rows.map((p) => [p.change, p.status, p.assignee, p.department, p.changed_by])).toEqual([
      ['opened', ticket.status, '', ticket.department, 'bootstrap'],
      ['status', 'acknowledged', '', ticket.department, 'admin'],
      ['assigned', 'acknowledged', 'team:security', ticket.department, 'admin'],
      ['corrected', 'acknowledged', 'team:security', department, 'admin'],
    ]);
    expect(series.rows.map((p) => p.version)).toEqual([1, 2, 3, 4]);
    expect(session.server.forwarded).toContainEqual({ method: 'PATCH', path: `/api/tickets/${ticket.id}` });
    await row(ticket.id).getByTestId('nocai-triage-expand').click();
  });

  it("When an operator corrects a ticket to the organisation's own department, then the dropdown offers it, the row shows it and aiops_tickets holds it", async () => {
    const [, , ticket] = session.tickets;
    await row(ticket.id).getByTestId('nocai-triage-expand').click();
    await correctDepartment(ticket, OWN_DEPARTMENT);
    // Asked through the data source, as the panel asks for everything else: no URL or token of its own.
    expect(session.server.forwarded).toContainEqual({ method: 'GET', path: '/api/values/department' });

    const [series] = await session.backend.influx.client.query(
      session.backend.outputDb,
      `SELECT "change", "department", "changed_by" FROM aiops_tickets WHERE ticket_id = '${ticket.id}' ORDER BY time DESC LIMIT 1`
    );
    expect(series.rows.map((p) => [p.change, p.department, p.changed_by])).toEqual([
      ['corrected', OWN_DEPARTMENT, 'admin'],
    ]);
    await row(ticket.id).getByTestId('nocai-triage-expand').click();
  });

  it('When the backend cannot take the next verdict, then the panel shows the error and the row rolls back, and an expanded row says its related tickets could not be loaded', async () => {
    const [ticket] = session.tickets;
    // Grafana's proxy answers 502 when the backend is gone; stopping the real backend produces exactly that.
    await session.backend.stop();

    await row(ticket.id)
      .getByRole('button', { name: `Invalidate ${ticket.id}`, exact: true })
      .click();

    const alert = page.getByTestId('nocai-triage-feedback-error');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain(`Feedback on ${ticket.id} was not saved`);
    await expect(alert.textContent()).resolves.toContain('502');
    await expect(verdict(ticket.id).textContent()).resolves.toContain('Validated');
    await expect(verdict(ticket.id).getAttribute('data-progress')).resolves.toBe('refused');

    // An expanded row cannot list its related tickets either: it says so, with a way to ask again.
    await row(ticket.id).getByTestId('nocai-triage-expand').click();
    const relatedError = page.getByTestId('nocai-triage-related-error');
    await expect(relatedError.textContent()).resolves.toContain('Related tickets could not be loaded');
    await expect(relatedError.textContent()).resolves.toContain('502');
    await expect(
      relatedError.getByRole('button', { name: `Retry related tickets of ${ticket.id}` }).isVisible()
    ).resolves.toBe(true);
  });
});
