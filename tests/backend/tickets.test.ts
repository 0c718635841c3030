/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Explanation,
  GrafanaWebhookAnswer,
  Priority,
  Ticket,
  TicketHistoryResponse,
  TicketsPage,
} from '@nocai/contract';
import { OnnxMttrModel } from '../../inference-backend/src/adapters/onnx/mttrModel';
import { mttrFields } from '../../inference-backend/src/domain/tickets';
import { OnnxMttrPredictor, SERVED_MODELS } from '../../inference-backend/src/services/onnxModels';
import { writeMttrChampion } from '../support/mttrChampion';
import { startTestBackend, type TestBackend } from '../support/service';

describe('tickets API against a real influxd', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startTestBackend({ NOCAI_WEBHOOK_TOKEN: 'hook-token' });
  });
  afterAll(() => backend?.stop());

  const post = (path: string, body: unknown) => backend.call(path, { method: 'POST', body: JSON.stringify(body) });

  it('When a complaint is typed, then it becomes a classified, routed ticket that the API lists and returns', async () => {
    const res = await post('/api/complaints', {
      text: 'The UPS in the server room is on battery, input voltage lost since 10 minutes',
    });
    expect(res.status).toBe(201);
    const { ticket } = (await res.json()) as { ticket: Ticket };
    expect(ticket).toMatchObject({ source: 'complaint', eventClass: 'power', department: 'field_technicians' });
    // Typed by a person: no alert is grouped into it.
    expect(ticket.relatedAlertCount).toBe(0);
    expect(ticket.mttrP90Seconds).toBeGreaterThanOrEqual(ticket.mttrP50Seconds);
    // No MTTR champion here: the median baseline estimates, and has no factors to show.
    expect(ticket.mttrFactors).toBeUndefined();
    expect(['open', 'needs_review']).toContain(ticket.status);

    const one = (await (await backend.call(`/api/tickets/${ticket.id}`)).json()) as { ticket: Ticket };
    expect(one.ticket).toMatchObject({ id: ticket.id, title: ticket.title, department: 'field_technicians' });
    const page = (await (await backend.call('/api/tickets?department=field_technicians')).json()) as TicketsPage;
    expect(page.tickets.map((t) => t.id)).toContain(ticket.id);
  });

  it('When a complaint comes from an ITSM form (a subject line, a blank line, a body), then its title is the subject line alone and its description the whole text', async () => {
    const text = 'Printer offline on ward 3\r\n\r\nTried turning it off and on again. Nothing prints.';
    const res = await post('/api/complaints', { text });
    expect(res.status).toBe(201);
    const { ticket } = (await res.json()) as { ticket: Ticket };
    expect({ title: ticket.title, description: ticket.description }).toEqual({
      title: 'Printer offline on ward 3',
      description: text,
    });
    const indented = (await (await post('/api/complaints', { text: '\n\n  UPS on battery\nsince noon' })).json()) as {
      ticket: Ticket;
    };
    expect(indented.ticket.title).toBe('UPS on battery');
  });

  it('When an operator validates a ticket, then a feedback point is stored and the ticket shows the verdict', async () => {
    const { ticket } = (await (
      await post('/api/complaints', { text: 'Ransomware note found on the reception PC, files encrypted' })
    ).json()) as {
      ticket: Ticket;
    };
    const res = await post(`/api/tickets/${ticket.id}/feedback`, {
      verdict: 'avoided',
      comment: 'isolated the PC in time',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ticket: Ticket }).ticket.feedback).toMatchObject({
      verdict: 'avoided',
      comment: 'isolated the PC in time',
    });
    const stored = await backend.influx.client.query(
      backend.outputDb,
      `SELECT verdict, comment FROM aiops_feedback WHERE ticket_id = '${ticket.id}'`
    );
    expect(stored[0].rows).toEqual([
      expect.objectContaining({ verdict: 'avoided', comment: 'isolated the PC in time' }),
    ]);
    const again = (await (await backend.call(`/api/tickets/${ticket.id}`)).json()) as { ticket: Ticket };
    expect(again.ticket.feedback?.verdict).toBe('avoided');
  });

  it('When Grafana alerting posts a firing then a resolved alert, then one ticket opens and is resolved', async () => {
    const alert = {
      status: 'firing',
      labels: { alertname: 'Link down', site: 'hosp-01', severity: 'critical' },
      annotations: { summary: 'Interface Gi0/1 on core switch changed state to down' },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      fingerprint: 'abc123',
    };
    const fired = await post('/api/alerts/grafana', { receiver: 'nocai', status: 'firing', alerts: [alert] });
    expect(fired.status).toBe(202);
    const { tickets } = (await fired.json()) as { tickets: Ticket[] };
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({
      id: 'GRA-abc123',
      source: 'grafana_alert',
      eventClass: 'network',
      relatedAlertCount: 1,
    });
    await post('/api/alerts/grafana', { status: 'firing', alerts: [alert] });
    const resolved = await post('/api/alerts/grafana', {
      status: 'resolved',
      alerts: [{ ...alert, status: 'resolved', endsAt: new Date().toISOString() }],
    });
    expect(((await resolved.json()) as { tickets: Ticket[] }).tickets[0]).toMatchObject({
      id: 'GRA-abc123',
      status: 'resolved',
    });
    const page = (await (await backend.call('/api/tickets?status=resolved')).json()) as TicketsPage;
    expect(page.tickets.filter((t) => t.id === 'GRA-abc123')).toHaveLength(1);
    expect(
      ((await (await backend.call('/api/tickets?status=open')).json()) as TicketsPage).tickets.map((t) => t.id)
    ).not.toContain('GRA-abc123');
  });

  it('When an operator closes an alert ticket while the alert still fires, then Grafana repeating it does not reopen it; a new firing does', async () => {
    const firstFiring = new Date(Date.now() - 120_000).toISOString();
    const alert = {
      status: 'firing',
      labels: { alertname: 'Fan speed low', site: 'hosp-01', severity: 'warning' },
      annotations: { summary: 'Fan 2 of the core switch below 1000 rpm' },
      startsAt: firstFiring,
      fingerprint: 'repeat01',
    };
    await post('/api/alerts/grafana', { status: 'firing', alerts: [alert] });
    const patch = (body: unknown, version: number) =>
      backend.call('/api/tickets/GRA-repeat01', {
        method: 'PATCH',
        body: JSON.stringify(body),
        headers: { 'If-Match': `"${version}"` },
      });
    const current = async () =>
      ((await (await backend.call('/api/tickets/GRA-repeat01')).json()) as { ticket: Ticket }).ticket;
    for (const step of [
      { status: 'acknowledged' },
      { status: 'resolved', comment: 'known fan, replacement ordered' },
      { status: 'closed' },
    ]) {
      expect((await patch(step, (await current()).version ?? 0)).status).toBe(200);
    }

    // Grafana's repeat interval: the same firing, sent again.
    const repeated = await post('/api/alerts/grafana', { status: 'firing', alerts: [alert] });
    expect(((await repeated.json()) as { tickets: Ticket[] }).tickets).toEqual([]);
    expect((await current()).status).toBe('closed');

    // Resolved in Grafana, then firing again later: a new firing opens the ticket again.
    await post('/api/alerts/grafana', {
      status: 'resolved',
      alerts: [{ ...alert, status: 'resolved', endsAt: new Date().toISOString() }],
    });
    const again = await post('/api/alerts/grafana', {
      status: 'firing',
      alerts: [{ ...alert, startsAt: new Date(Date.now() + 1000).toISOString() }],
    });
    const reopened = ((await again.json()) as { tickets: Ticket[] }).tickets;
    expect(reopened.map((t) => [t.id, t.change?.summary])).toEqual([
      ['GRA-repeat01', 'opened again: the alert fires (was closed)'],
    ]);
    expect(['open', 'needs_review']).toContain(reopened[0].status);
  });

  it('When an alert ticket someone assigned, judged and corrected fires again after it was resolved, then it reopens with their assignee, verdict and department', async () => {
    const alert = {
      status: 'firing',
      labels: { alertname: 'Link down', site: 'hosp-01', severity: 'critical' },
      annotations: { summary: 'Interface Gi0/2 on the distribution switch changed state to down' },
      startsAt: new Date(Date.now() - 120_000).toISOString(),
      fingerprint: 'reopen01',
    };
    const fired = (
      (await (await post('/api/alerts/grafana', { status: 'firing', alerts: [alert] })).json()) as {
        tickets: Ticket[];
      }
    ).tickets[0];
    expect(fired).toMatchObject({ id: 'GRA-reopen01', department: 'network_ops' });
    const patched = await backend.call('/api/tickets/GRA-reopen01', {
      method: 'PATCH',
      body: JSON.stringify({ assignee: 'team:field', department: 'field_technicians', comment: 'the fibre is cut' }),
      headers: { 'If-Match': `"${fired.version ?? 0}"`, 'X-Grafana-User': 'alice' },
    });
    expect(patched.status).toBe(200);
    expect((await post('/api/tickets/GRA-reopen01/feedback', { verdict: 'valid' })).status).toBe(200);
    await post('/api/alerts/grafana', {
      status: 'resolved',
      alerts: [{ ...alert, status: 'resolved', endsAt: new Date().toISOString() }],
    });
    const resolved = ((await (await backend.call('/api/tickets/GRA-reopen01')).json()) as { ticket: Ticket }).ticket;
    expect(resolved.status).toBe('resolved');

    await post('/api/alerts/grafana', {
      status: 'firing',
      alerts: [{ ...alert, startsAt: new Date(Date.now() + 1000).toISOString() }],
    });

    const reopened = ((await (await backend.call('/api/tickets/GRA-reopen01')).json()) as { ticket: Ticket }).ticket;
    expect(reopened).toMatchObject({
      status: 'open',
      assignee: 'team:field',
      feedback: { verdict: 'valid' },
      department: 'field_technicians',
      predicted: { department: 'network_ops' },
      comments: [{ text: 'the fibre is cut', by: 'alice' }],
    });
    const history = (await (await backend.call('/api/tickets/GRA-reopen01/history')).json()) as TicketHistoryResponse;
    expect(history.history.at(-1)).toMatchObject({
      kind: 'opened',
      by: 'grafana',
      summary: expect.stringMatching(
        /^opened again: the alert fires \(was resolved\); kept .*department field_technicians/
      ),
    });
  });

  it('When the models come to agree with a corrected department and later disagree again, then the alert ticket keeps the person’s department', async () => {
    const linkDown = {
      status: 'firing',
      labels: { alertname: 'Link down', site: 'hosp-01', severity: 'critical' },
      annotations: { summary: 'Interface Gi0/2 on the distribution switch changed state to down' },
      fingerprint: 'agree01',
    };
    // The same alert rule, reworded: the models now read a power fault, for field technicians.
    const onBattery = {
      ...linkDown,
      labels: { ...linkDown.labels, alertname: 'UPS on battery' },
      annotations: { summary: 'The UPS in the server room is on battery, input voltage lost' },
    };
    const firstStart = new Date(Date.now() - 60_000).toISOString();
    let n = 0;
    const fireAgain = async (alert: typeof linkDown) => {
      n++;
      const startsAt = new Date(Date.now() + n * 10_000).toISOString();
      const endsAt = new Date(Date.now() + n * 10_000 - 5000).toISOString();
      const resolved = { ...alert, status: 'resolved', startsAt: firstStart, endsAt };
      expect((await post('/api/alerts/grafana', { status: 'resolved', alerts: [resolved] })).status).toBe(202);
      const res = await post('/api/alerts/grafana', { status: 'firing', alerts: [{ ...alert, startsAt }] });
      return ((await res.json()) as { tickets: Ticket[] }).tickets[0];
    };
    const fired = (
      (await (
        await post('/api/alerts/grafana', {
          status: 'firing',
          alerts: [{ ...linkDown, startsAt: firstStart }],
        })
      ).json()) as { tickets: Ticket[] }
    ).tickets[0];
    expect(fired).toMatchObject({ id: 'GRA-agree01', department: 'network_ops' });
    const patched = await backend.call('/api/tickets/GRA-agree01', {
      method: 'PATCH',
      body: JSON.stringify({ department: 'field_technicians' }),
      headers: { 'If-Match': `"${fired.version ?? 0}"`, 'X-Grafana-User': 'alice' },
    });
    expect(patched.status).toBe(200);

    const agreed = await fireAgain(onBattery);
    expect(agreed).toMatchObject({ department: 'field_technicians', predicted: { department: 'field_technicians' } });
    await fireAgain(linkDown);

    const read = ((await (await backend.call('/api/tickets/GRA-agree01')).json()) as { ticket: Ticket }).ticket;
    expect(read).toMatchObject({
      department: 'field_technicians',
      corrected: ['department'],
      predicted: { department: 'network_ops' },
    });
  });

  it('When Grafana calls with the webhook token, then the alert webhook accepts it and every other route refuses it', async () => {
    const hook = { Authorization: 'Bearer hook-token', 'Content-Type': 'application/json' };
    const alert = {
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'Disk full' },
          startsAt: new Date().toISOString(),
          fingerprint: 'hook1',
        },
      ],
    };
    const accepted = await backend.call('/api/alerts/grafana', {
      method: 'POST',
      auth: false,
      headers: hook,
      body: JSON.stringify(alert),
    });
    expect(accepted.status).toBe(202);
    expect((await backend.call('/api/tickets', { auth: false, headers: hook })).status).toBe(401);
    const none = await backend.call('/api/alerts/grafana', {
      method: 'POST',
      auth: false,
      body: JSON.stringify(alert),
    });
    expect(none.status).toBe(401);
  });

  it('When Grafana resolves an alert whose firing never reached the backend, then the answer counts it as unmatched and no ticket is made', async () => {
    const before = ((await (await backend.call('/api/tickets?limit=1&from=0')).json()) as TicketsPage).total;
    const res = await post('/api/alerts/grafana', {
      status: 'resolved',
      alerts: [
        {
          status: 'resolved',
          labels: { alertname: 'Link down', site: 'hosp-01' },
          annotations: {},
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          endsAt: new Date().toISOString(),
          fingerprint: 'never-fired',
        },
      ],
    });
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 202,
      body: { tickets: [], ignored: 0, unmatched: 1, refused: [] },
    });
    expect(((await (await backend.call('/api/tickets?limit=1&from=0')).json()) as TicketsPage).total).toBe(before);
  });

  it('When one alert of a notification has a host label ending in a backslash, then the others open their tickets and the answer names the one refused', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alert = (fingerprint: string, labels: Record<string, string>) => ({
      status: 'firing',
      labels,
      annotations: { summary: `${labels.alertname} on ${labels.host}` },
      startsAt,
      fingerprint,
    });
    const res = await post('/api/alerts/grafana', {
      receiver: 'nocai',
      status: 'firing',
      alerts: [
        alert('partial-ok-1', { alertname: 'Link down', host: 'sw-partial-1', site: 'hosp-01' }),
        alert('partial-bad', { alertname: 'Disk full', host: 'srv-partial\\', site: 'hosp-01' }),
        alert('partial-ok-2', { alertname: 'UPS on battery', host: 'ups-partial-2', site: 'hosp-01' }),
      ],
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as GrafanaWebhookAnswer;
    expect(body.tickets.map((t) => t.id).sort()).toEqual(['GRA-partial-ok-1', 'GRA-partial-ok-2']);
    expect(body.refused).toEqual([
      { index: 1, fingerprint: 'partial-bad', reason: 'alerts.1.labels.host must not end with a backslash' },
    ]);
    // Stored in InfluxDB: read back through the API, the refused alert made no ticket.
    for (const id of ['GRA-partial-ok-1', 'GRA-partial-ok-2']) {
      expect((await backend.call(`/api/tickets/${id}`)).status).toBe(200);
    }
    expect((await backend.call('/api/tickets/GRA-partial-bad')).status).toBe(404);
    const page = (await (await backend.call('/api/tickets?site=hosp-01&limit=1000')).json()) as TicketsPage;
    expect(
      page.tickets
        .filter((t) => t.id.startsWith('GRA-partial'))
        .map((t) => t.id)
        .sort()
    ).toEqual(['GRA-partial-ok-1', 'GRA-partial-ok-2']);

    // Every alert refused: the notification is, as before, and nothing is stored.
    const none = await post('/api/alerts/grafana', {
      status: 'firing',
      alerts: [
        alert('all-bad-1', { alertname: 'Disk full', host: 'srv-a\\' }),
        alert('all-bad-2', { alertname: 'Disk full', site: 'x'.repeat(300) }),
      ],
    });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: { message: string } }).error.message).toBe(
      'every alert is refused: alerts.0.labels.host must not end with a backslash; alerts.1.labels.site must be at most 256 characters (it has 300)'
    );
    expect((await backend.call('/api/tickets/GRA-all-bad-1')).status).toBe(404);
  });

  it("When a sender's clock is off (an alert starting in the year 2999, ending before it started), then its ticket opens when taken in, resolves no earlier than it opened, and its detail answers", async () => {
    const alert = {
      status: 'firing',
      labels: { alertname: 'Disk full', host: 'srv-skew', severity: 'warning' },
      annotations: { summary: 'Disk /var is 99% full' },
      startsAt: '2999-01-01T00:00:00Z',
      fingerprint: 'clock-skew',
    };
    const beforeMs = Date.now();
    const fired = await post('/api/alerts/grafana', { status: 'firing', alerts: [alert] });
    expect(fired.status).toBe(202);
    const [opened] = ((await fired.json()) as { tickets: Ticket[] }).tickets;
    expect(opened.openedAtMs).toBeGreaterThanOrEqual(beforeMs);
    expect(opened.openedAtMs).toBeLessThanOrEqual(Date.now());
    const detail = await backend.call('/api/tickets/GRA-clock-skew');
    expect(detail.status).toBe(200);

    const resolved = await post('/api/alerts/grafana', {
      status: 'resolved',
      alerts: [{ ...alert, status: 'resolved', endsAt: '2000-01-01T00:00:00Z' }],
    });
    const [done] = ((await resolved.json()) as { tickets: Ticket[] }).tickets;
    expect(done).toMatchObject({ status: 'resolved', resolvedAtMs: opened.openedAtMs });
    expect((await backend.call('/api/tickets/GRA-clock-skew')).status).toBe(200);
  });

  it('When input is bad, then the API answers 4xx with one sentence naming the field, and stores nothing', async () => {
    const cases: Array<[string, unknown, number, RegExp]> = [
      ['/api/complaints', { text: '' }, 400, /^text must say what is wrong, in at least 3 characters$/],
      ['/api/complaints', {}, 400, /^text is required and must be a string$/],
      [
        '/api/complaints',
        { text: 'UPS on battery', reporter: 42 },
        400,
        /^reporter must be a string \(got the number 42\)$/,
      ],
      ['/api/complaints', { text: 'x'.repeat(5001) }, 400, /^text must be at most 5000 characters \(it has 5001\)$/],
      ['/api/complaints', null, 400, /^the request body must be a JSON object \(got null\)$/],
      [
        '/api/complaints',
        { text: 'UPS on battery', priority: 'P1' },
        400,
        /^the request body has no field priority \(it takes text, site, host, reporter\)$/,
      ],
      ['/api/tickets/NOPE-1/feedback', { verdict: 'valid' }, 404, /no ticket NOPE-1/],
      [
        '/api/tickets/x/feedback',
        { verdict: 'maybe' },
        400,
        /^verdict must be one of valid, invalid, avoided \(got "maybe"\)$/,
      ],
      ['/api/alerts/grafana', { status: 'firing', alerts: [] }, 400, /^alerts must hold at least one alert$/],
    ];
    for (const [path, body, status, message] of cases) {
      const res = await post(path, body);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    const broken = await backend.call('/api/complaints', { method: 'POST', body: '{"text": ' });
    expect(broken.status).toBe(400);
    const hostileId = await backend.call(`/api/tickets/${encodeURIComponent("x' OR '1'='1")}`);
    expect(hostileId.status).toBe(400);
  });

  it('When a body is sent as a form or as text instead of JSON, then the API answers 415 saying to send JSON and stores nothing', async () => {
    const before = ((await (await backend.call('/api/tickets?limit=1')).json()) as { total: number }).total;
    // What curl -d 'text=…' sends, and a JSON text sent without its content type.
    for (const [path, contentType, body] of [
      ['/api/complaints', 'application/x-www-form-urlencoded', 'text=Printer+offline+on+ward+3'],
      ['/api/complaints', 'text/plain', JSON.stringify({ text: 'Printer offline on ward 3' })],
      ['/api/alerts/grafana', 'text/plain', JSON.stringify({ status: 'firing', alerts: [] })],
    ]) {
      const res = await backend.call(path, { method: 'POST', headers: { 'Content-Type': contentType }, body });
      expect([path, res.status]).toEqual([path, 415]);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({
        code: 'unsupported_media_type',
        message: `the request body must be JSON, sent with Content-Type: application/json (it came as ${contentType})`,
      });
    }
    const after = ((await (await backend.call('/api/tickets?limit=1')).json()) as { total: number }).total;
    expect(after).toBe(before);
    // An empty body is no body in another format: the route's own check answers.
    const empty = await backend.call('/api/complaints', { method: 'POST', headers: { 'Content-Length': '0' } });
    expect(empty.status).toBe(400);
  });

  it('When a body is over the 1 MB limit, then the API answers 413 saying its size and the limit, and stores nothing', async () => {
    const before = ((await (await backend.call('/api/tickets?limit=1')).json()) as { total: number }).total;
    const body = JSON.stringify({ text: `Printer offline ${'x'.repeat(2 ** 20)}` });
    const res = await backend.call('/api/complaints', { method: 'POST', body });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'payload_too_large',
      message: `the request body has ${Buffer.byteLength(body).toLocaleString('en-US')} bytes, over the limit of 1,048,576 bytes (1 MB)`,
    });
    const after = ((await (await backend.call('/api/tickets?limit=1')).json()) as { total: number }).total;
    expect(after).toBe(before);
  });
});

describe('why a ticket takes the time it does, with a trained MTTR champion, against a real influxd', () => {
  // The champion alone: routing stays with the rules, and no scheduled stage runs during the test.
  const env = (modelsDir: string) => ({
    NOCAI_MODELS_DIR: modelsDir,
    NOCAI_RETRAIN_INTERVAL_MS: '0',
    NOCAI_ACCURACY_INTERVAL_MS: '0',
    NOCAI_DRIFT_INTERVAL_MS: '0',
  });
  let dir: string;
  let backend: TestBackend;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-mttr-factors-'));
    await writeMttrChampion(join(dir, 'models'));
    backend = await startTestBackend(env(join(dir, 'models')));
  }, 300_000);
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ticketById = async (id: string) =>
    ((await (await backend.call(`/api/tickets/${id}`)).json()) as { ticket: Ticket }).ticket;

  it('When an operator corrects the priority of a ticket, then its time to resolve is the champion estimate for the corrected priority', async () => {
    const res = await backend.call('/api/complaints', {
      method: 'POST',
      body: JSON.stringify({ text: 'The label printer in the pharmacy prints blank pages since this morning' }),
    });
    const { ticket } = (await res.json()) as { ticket: Ticket };
    expect(ticket.priority).not.toBe('P1');
    // The champion the backend serves, asked what the backend asks about this ticket.
    const champion = new OnnxMttrPredictor(await OnnxMttrModel.load(join(dir, 'models', SERVED_MODELS.mttr, 'v1')));
    const estimate = async (priority: Priority) =>
      mttrFields(
        await champion.predict({
          eventClass: ticket.eventClass,
          department: ticket.department,
          priority,
          siteKind: ticket.siteKind,
          deviceKind: ticket.deviceKind,
          openedAtMs: ticket.openedAtMs,
          fromIncident: false,
        })
      );
    expect(ticket).toMatchObject(await estimate(ticket.priority));
    const forP1 = await estimate('P1');
    expect(forP1.mttrP50Seconds).not.toBe(ticket.mttrP50Seconds);

    const patched = await backend.call(`/api/tickets/${ticket.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ priority: 'P1' }),
      headers: { 'If-Match': `"${ticket.version ?? 0}"`, 'X-Grafana-User': 'alice' },
    });
    expect(patched.status).toBe(200);

    const read = await ticketById(ticket.id);
    expect(read).toMatchObject({
      priority: 'P1',
      predicted: { priority: ticket.priority },
      mttrP50Seconds: forP1.mttrP50Seconds,
      mttrP90Seconds: forP1.mttrP90Seconds,
      mttrFactors: forP1.mttrFactors,
    });
    expect(read.modelVersion).toMatch(/\|mttr@v1$/);
    expect(((await patched.json()) as { ticket: Ticket }).ticket).toEqual(read);
  });

  it('When a complaint becomes a ticket, then the API says why its time to resolve is what it is, and the factors survive a workflow change and a restart', async () => {
    const res = await backend.call('/api/complaints', {
      method: 'POST',
      body: JSON.stringify({ text: 'The UPS in the server room is on battery, input voltage lost since 10 minutes' }),
    });
    expect(res.status).toBe(201);
    const { ticket } = (await res.json()) as { ticket: Ticket };
    expect(ticket.modelVersion).toMatch(/\|mttr@v1$/);
    const factors = ticket.mttrFactors ?? [];
    expect(factors).toHaveLength(5);
    const strengths = factors.map((factor) => Math.abs(factor.weight));
    expect(strengths).toEqual([...strengths].sort((a, b) => b - a));
    expect(strengths.every((strength) => strength > 0 && Number.isFinite(strength))).toBe(true);
    // Categories name the ticket's own value ("priority=P1"); numeric inputs (hour of day, flags) carry theirs.
    const own: Record<string, string> = {
      class: ticket.eventClass,
      department: ticket.department,
      priority: ticket.priority,
      site_kind: ticket.siteKind,
      device_kind: ticket.deviceKind,
    };
    for (const factor of factors) {
      const [source, value] = factor.feature.split('=');
      if (value !== undefined) {
        expect(own[source]).toBe(value);
        expect(factor.value).toBeUndefined();
      } else {
        expect(typeof factor.value).toBe('number');
      }
    }

    expect((await ticketById(ticket.id)).mttrFactors).toEqual(factors);
    const page = (await (await backend.call('/api/tickets')).json()) as TicketsPage;
    expect(page.tickets.find((t) => t.id === ticket.id)?.mttrFactors).toEqual(factors);

    const patched = await backend.call(`/api/tickets/${ticket.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ status: 'acknowledged', assignee: 'team:facilities' }),
      headers: { 'If-Match': `"${ticket.version ?? 0}"` },
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { ticket: Ticket }).ticket.mttrFactors).toEqual(factors);

    // Every state of the ticket in aiops_tickets holds them (the opening and the acknowledgement).
    const stored = (
      await backend.influx.client.query(
        backend.outputDb,
        `SELECT "mttr_factors" FROM "aiops_tickets" WHERE "ticket_id" = '${ticket.id}'`
      )
    )[0].rows;
    expect(stored).toHaveLength(2);
    for (const row of stored) expect(JSON.parse(String(row.mttr_factors)) as Explanation[]).toEqual(factors);

    // A new process reads the ticket back from InfluxDB.
    await backend.stop();
    backend = await startTestBackend(env(join(dir, 'models')), backend.influx);
    const reread = await ticketById(ticket.id);
    expect(reread).toMatchObject({ status: 'acknowledged', assignee: 'team:facilities' });
    expect(reread.mttrFactors).toEqual(factors);
  });
});
