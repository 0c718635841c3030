import type { GrafanaWebhook, Ticket, TicketRouting } from '@nocai/contract';
import { InfluxClient } from '../adapters/influx/client';
import { TicketsRepository } from '../adapters/influx/ticketsRepository';
import { applyWorkflowChange } from '../domain/tickets';
import { MemorySink } from '../pipeline/memoryPorts';
import type { MttrInput, MttrPrediction, MttrPredictor, TextRouter } from './ports';
import { RuleTextRouter } from './baselineModels';
import { instanceHost, TicketService } from './ticketService';

const T0 = Date.UTC(2024, 2, 5, 12);

/**
 * An MTTR model whose answer depends on the routing, as the trained one's does: P1 is fixed fastest,
 * field technicians take longer than network operations. It remembers what it was asked.
 */
class RoutingMttr implements MttrPredictor {
  readonly asked: MttrInput[] = [];
  /** Called while an estimate is being made, before it is answered (a concurrent change). */
  whileEstimating?: () => Promise<void>;
  /** Set: the model fails with it (a broken runtime), as onnxruntime may. */
  failure?: Error;

  async predict(input: MttrInput): Promise<MttrPrediction> {
    this.asked.push(input);
    const hook = this.whileEstimating;
    this.whileEstimating = undefined;
    await hook?.();
    if (this.failure) throw this.failure;
    return estimateFor(input);
  }
}

function estimateFor(input: MttrInput): MttrPrediction {
  const byPriority: Record<string, number> = { P1: 1800, P2: 3600, P3: 7200, P4: 14_400 };
  const p50Seconds = byPriority[input.priority] * (input.department === 'field_technicians' ? 2 : 1);
  return {
    p50Seconds,
    p90Seconds: p50Seconds * 3,
    modelVersion: 'mttr@v2',
    explanation: [{ feature: `priority=${input.priority}`, weight: 0.4 }],
  };
}

/**
 * The models route every alert of these tests to network operations at P4, sure of it unless told;
 * a test may make them answer another department (`answer`).
 */
const routerWith = (confidence: number, answer: Pick<TicketRouting, 'department'>): TextRouter => ({
  route: async () => ({
    eventClass: 'network',
    department: answer.department,
    priority: 'P4',
    confidence,
    explanation: [{ feature: 'link', weight: 1 }],
    modelVersion: 'ticket-class@v4+department@v4+priority@v4',
  }),
});

/** `startMs`: where the clock starts, later than T0 for a test whose alerts fire again after T0. */
function setup(confidence = 0.9, startMs = T0) {
  let nowMs = startMs;
  const clock = { nowMs: () => (nowMs += 1000) };
  // Nothing here reads InfluxDB: the repository's index holds what the service wrote through the sink.
  const client = new InfluxClient({ url: 'http://127.0.0.1:9' });
  const tickets = new TicketsRepository(client, 'test', new MemorySink(), clock);
  const mttr = new RoutingMttr();
  const answer: Pick<TicketRouting, 'department'> = { department: 'network_ops' };
  const mttrFailures: Array<{ ticketId: string; reason: string }> = [];
  const service = new TicketService({
    tickets,
    events: { related: async () => [] },
    router: routerWith(confidence, answer),
    mttr,
    similar: () => undefined,
    clock,
    options: { reviewThreshold: 0.5 },
    onMttrFailure: (failure) => mttrFailures.push(failure),
  });
  return { service, tickets, mttr, clock, answer, mttrFailures };
}

const alert = (over: Partial<GrafanaWebhook['alerts'][number]> = {}): GrafanaWebhook['alerts'][number] => ({
  status: 'firing',
  labels: { alertname: 'Link down', site: 'hosp-01', severity: 'warning' },
  annotations: { summary: 'Uplink of the core switch is down' },
  startsAt: new Date(T0 - 60_000).toISOString(),
  fingerprint: 'fp01',
  ...over,
});
const webhook = (...alerts: GrafanaWebhook['alerts']): GrafanaWebhook => ({ status: alerts[0].status, alerts });

async function opened(service: TicketService): Promise<Ticket> {
  const { tickets } = await service.fromGrafana(webhook(alert()));
  return tickets[0];
}

describe('TicketService: a correction re-estimates the time to resolve', () => {
  it('When an operator corrects the priority from P4 to P1, then the ticket shows the estimate for P1, made by the model it names', async () => {
    const { service } = setup();
    const ticket = await opened(service);
    expect(ticket).toMatchObject({ priority: 'P4', mttrP50Seconds: estimateFor(inputOf(ticket)).p50Seconds });

    const corrected = await service.update(ticket.id, { priority: 'P1' }, ticket.version, 'alice');

    const expected = estimateFor({ ...inputOf(ticket), priority: 'P1' });
    expect(corrected).toMatchObject({
      priority: 'P1',
      predicted: { priority: 'P4' },
      mttrP50Seconds: expected.p50Seconds,
      mttrP90Seconds: expected.p90Seconds,
      mttrFactors: expected.explanation,
      modelVersion: 'ticket-class@v4+department@v4+priority@v4|mttr@v2',
    });
    expect(corrected.mttrP50Seconds).not.toBe(ticket.mttrP50Seconds);
    expect(await service.get(ticket.id)).toEqual(corrected);
  });

  it('When a change corrects nothing (a status, an assignee), then the model is not asked again and the estimate stays', async () => {
    const { service, mttr } = setup();
    const ticket = await opened(service);
    const asked = mttr.asked.length;

    const worked = await service.update(
      ticket.id,
      { status: 'acknowledged', assignee: 'team:network_ops' },
      ticket.version,
      'a'
    );

    expect(mttr.asked).toHaveLength(asked);
    expect(worked.mttrP50Seconds).toBe(ticket.mttrP50Seconds);
    expect(worked.mttrFactors).toEqual(ticket.mttrFactors);
  });

  it('When the ticket is corrected by someone else while the estimate is made, then the estimate written is for the routing written', async () => {
    const { service, tickets, mttr } = setup();
    const ticket = await opened(service);
    // Bob's department correction lands while Alice's priority correction (If-Match: *) is estimated.
    mttr.whileEstimating = async () => {
      await tickets.change(ticket.id, (t) =>
        applyWorkflowChange(t, { department: 'field_technicians' }, { by: 'bob', atMs: T0 + 5000 })
      );
    };

    const corrected = await service.update(ticket.id, { priority: 'P1' }, '*', 'alice');

    const written = { ...inputOf(ticket), department: 'field_technicians', priority: 'P1' };
    expect(corrected).toMatchObject({ department: 'field_technicians', priority: 'P1' });
    expect(corrected.mttrP50Seconds).toBe(estimateFor(written).p50Seconds);
    expect(mttr.asked.at(-1)).toEqual(written);
  });

  it('When the ticket changed since the version the correction names, then it is refused and nothing is written', async () => {
    const { service, tickets, mttr } = setup();
    const ticket = await opened(service);
    mttr.whileEstimating = async () => {
      await tickets.change(ticket.id, (t) =>
        applyWorkflowChange(t, { status: 'acknowledged' }, { by: 'bob', atMs: T0 })
      );
    };

    await expect(service.update(ticket.id, { priority: 'P1' }, ticket.version, 'alice')).rejects.toThrow(
      /is at version 2, not 1/
    );
    expect(await service.get(ticket.id)).toMatchObject({ priority: 'P4', mttrP50Seconds: ticket.mttrP50Seconds });
  });
});

describe('TicketService: a correction when the MTTR model fails', () => {
  it('When the MTTR model throws while a correction is estimated, then the correction is saved with the previous estimate and the failure is reported', async () => {
    const { service, mttr, mttrFailures } = setup();
    const ticket = await opened(service);
    mttr.failure = new Error('onnxruntime: session is closed');

    const corrected = await service.update(
      ticket.id,
      { priority: 'P1', comment: 'hospital core' },
      ticket.version,
      'alice'
    );

    expect(corrected).toMatchObject({
      priority: 'P1',
      corrected: ['priority'],
      predicted: { priority: 'P4' },
      version: (ticket.version ?? 0) + 1,
      comments: [{ text: 'hospital core', by: 'alice' }],
      // The estimate made before the correction, by the model it names.
      mttrP50Seconds: ticket.mttrP50Seconds,
      mttrP90Seconds: ticket.mttrP90Seconds,
      mttrFactors: ticket.mttrFactors,
      modelVersion: ticket.modelVersion,
    });
    expect(await service.get(ticket.id)).toEqual(corrected);
    expect(mttrFailures).toEqual([{ ticketId: ticket.id, reason: 'onnxruntime: session is closed' }]);

    // The model works again: the next correction is estimated as usual.
    mttr.failure = undefined;
    const again = await service.update(ticket.id, { priority: 'P2' }, corrected.version, 'alice');
    expect(again.mttrP50Seconds).toBe(estimateFor({ ...inputOf(ticket), priority: 'P2' }).p50Seconds);
  });
});

describe('TicketService: a Grafana alert firing again', () => {
  const fireAgain = async (service: TicketService, n: number) => {
    const endsAt = new Date(T0 + n * 120_000 - 60_000).toISOString();
    await service.fromGrafana(webhook(alert({ status: 'resolved', endsAt })));
    const { tickets } = await service.fromGrafana(
      webhook(alert({ startsAt: new Date(T0 + n * 120_000).toISOString() }))
    );
    return tickets[0];
  };

  it('When the models come to agree with a corrected department and later disagree again, then the ticket keeps the correction', async () => {
    const { service, answer } = setup();
    const ticket = await opened(service);
    await service.update(ticket.id, { department: 'field_technicians' }, ticket.version, 'alice');

    answer.department = 'field_technicians';
    const agreed = await fireAgain(service, 1);
    answer.department = 'maintenance';
    const disagreed = await fireAgain(service, 2);

    expect(agreed).toMatchObject({
      department: 'field_technicians',
      corrected: ['department'],
      predicted: { department: 'field_technicians' },
    });
    expect(disagreed).toMatchObject({
      department: 'field_technicians',
      corrected: ['department'],
      predicted: { department: 'maintenance' },
      mttrP50Seconds: estimateFor({ ...inputOf(ticket), department: 'field_technicians', openedAtMs: T0 + 240_000 })
        .p50Seconds,
    });
    expect(disagreed.change?.summary).toBe(
      'opened again: the alert fires (was resolved); kept department field_technicians'
    );
    expect(await service.get(ticket.id)).toEqual(disagreed);
  });

  it('When a resolved alert ticket fires again, then it reopens with its assignee, verdict, comments and corrected routing, estimated for that routing', async () => {
    // Taken in an hour on: the new firing (T0 + 2 min) has begun by then, as a firing Grafana sends has.
    const { service } = setup(0.9, T0 + 3_600_000);
    const ticket = await opened(service);
    const worked = await service.update(
      ticket.id,
      { assignee: 'team:field', department: 'field_technicians', priority: 'P2', comment: 'the fibre is cut' },
      ticket.version,
      'alice'
    );
    await service.feedback(ticket.id, { verdict: 'valid' }, 'alice');
    await service.fromGrafana(webhook(alert({ status: 'resolved', endsAt: new Date(T0 + 60_000).toISOString() })));

    const { tickets } = await service.fromGrafana(webhook(alert({ startsAt: new Date(T0 + 120_000).toISOString() })));

    const reopened = tickets[0];
    const expected = estimateFor({ ...inputOf(worked), openedAtMs: T0 + 120_000 });
    expect(reopened).toMatchObject({
      id: ticket.id,
      status: 'open',
      openedAtMs: T0 + 120_000,
      assignee: 'team:field',
      feedback: { verdict: 'valid' },
      comments: [{ text: 'the fibre is cut', by: 'alice' }],
      eventClass: 'network',
      department: 'field_technicians',
      priority: 'P2',
      // What the models say now: the label the correction is against.
      predicted: { eventClass: 'network', department: 'network_ops', priority: 'P4' },
      mttrP50Seconds: expected.p50Seconds,
      mttrFactors: expected.explanation,
      change: {
        kind: 'opened',
        by: 'grafana',
        summary:
          'opened again: the alert fires (was resolved); kept assignee team:field, verdict valid, department field_technicians, priority P2',
      },
    });
    expect(await service.get(ticket.id)).toEqual(reopened);
  });

  it('When nobody worked on the ticket, then it reopens as the models route it now', async () => {
    const { service } = setup();
    const ticket = await opened(service);
    await service.fromGrafana(webhook(alert({ status: 'resolved', endsAt: new Date(T0).toISOString() })));

    const { tickets } = await service.fromGrafana(webhook(alert({ startsAt: new Date(T0 + 120_000).toISOString() })));

    expect(tickets[0]).toMatchObject({
      department: 'network_ops',
      priority: 'P4',
      mttrP50Seconds: ticket.mttrP50Seconds,
    });
    expect(tickets[0].predicted).toBeUndefined();
    expect(tickets[0].assignee).toBeUndefined();
    expect(tickets[0].change?.summary).toBe('opened again: the alert fires (was resolved)');
  });
});

describe('TicketService: an alert the models are unsure of, firing again', () => {
  const reopenedAfter = async (work: (service: TicketService, ticket: Ticket) => Promise<unknown>) => {
    const { service } = setup(0.3);
    const ticket = await opened(service);
    expect(ticket.status).toBe('needs_review');
    await work(service, ticket);
    await service.fromGrafana(webhook(alert({ status: 'resolved', endsAt: new Date(T0 + 60_000).toISOString() })));
    const { tickets } = await service.fromGrafana(webhook(alert({ startsAt: new Date(T0 + 120_000).toISOString() })));
    return tickets[0];
  };

  it('When people corrected its routing or judged it real, then it reopens open, not back in the review queue', async () => {
    const corrected = await reopenedAfter((service, ticket) =>
      service.update(ticket.id, { department: 'field_technicians' }, ticket.version, 'alice')
    );
    expect(corrected).toMatchObject({ status: 'open', needsReview: false, department: 'field_technicians' });
    expect(corrected.change?.summary).toMatch(/kept department field_technicians, reviewed routing$/);
    for (const verdict of ['valid', 'avoided'] as const) {
      const judged = await reopenedAfter((service, ticket) => service.feedback(ticket.id, { verdict }, 'alice'));
      expect(judged).toMatchObject({ status: 'open', needsReview: false, feedback: { verdict } });
    }
  });

  it('When nobody reviewed it, or it was judged a false alarm, then it waits for review again', async () => {
    const untouched = await reopenedAfter(async () => undefined);
    expect(untouched).toMatchObject({ status: 'needs_review', needsReview: true });
    const falseAlarm = await reopenedAfter((service, ticket) =>
      service.feedback(ticket.id, { verdict: 'invalid' }, 'alice')
    );
    expect(falseAlarm).toMatchObject({ status: 'needs_review', needsReview: true, feedback: { verdict: 'invalid' } });
  });
});

function inputOf(ticket: Ticket): MttrInput {
  return {
    eventClass: ticket.eventClass,
    department: ticket.department,
    priority: ticket.priority,
    siteKind: ticket.siteKind,
    deviceKind: ticket.deviceKind,
    openedAtMs: ticket.openedAtMs,
    fromIncident: false,
  };
}

describe('TicketService: the departments a filter or a correction accepts', () => {
  it("When the serving department model routes to the organisation's own departments, then they are accepted before any ticket carries them", async () => {
    const { service, tickets, clock } = setup();
    const router: TextRouter = { ...routerWith(0.9, { department: 'network_ops' }), departments: () => ['radiology'] };
    const withModel = new TicketService({
      tickets,
      events: { related: async () => [] },
      router,
      mttr: new RoutingMttr(),
      similar: () => undefined,
      clock,
      options: { reviewThreshold: 0.5 },
    });
    await opened(service);
    expect([...(await withModel.departments())].sort()).toEqual(['network_ops', 'radiology']);
    // The rules route to the six only: nothing besides what the tickets carry.
    expect([...(await service.departments())]).toEqual(['network_ops']);
  });
});

describe('TicketService: a Prometheus-style alert names its device by instance', () => {
  it('When an alert names its target as instance="core-sw-01:9100", then its ticket is on core-sw-01, placed by the inventory', async () => {
    const { tickets, clock, mttr } = setup();
    const service = new TicketService({
      tickets,
      events: { related: async () => [] },
      router: routerWith(0.9, { department: 'network_ops' }),
      mttr,
      similar: () => undefined,
      clock,
      options: { reviewThreshold: 0.5 },
      inventory: {
        sites: [{ id: 'hosp-01', name: 'St. Mary Hospital', kind: 'hospital', criticality: 5 }],
        devices: [{ host: 'core-sw-01', site: 'hosp-01', kind: 'network_switch', dependsOn: [] }],
      },
    });
    const { tickets: opened } = await service.fromGrafana(
      webhook(alert({ labels: { alertname: 'Target down', instance: 'core-sw-01:9100' } }))
    );
    expect(opened[0]).toMatchObject({
      host: 'core-sw-01',
      site: 'hosp-01',
      siteKind: 'hospital',
      deviceKind: 'network_switch',
    });
  });

  it.each([
    ['core-sw-01:9100', 'core-sw-01'],
    ['10.0.0.7:9182', '10.0.0.7'],
    ['[2001:db8::7]:9100', '2001:db8::7'],
    ['https://portal.example.org:8443/health', 'portal.example.org'],
    ['http://[2001:db8::7]/', '2001:db8::7'],
    ['core-sw-01', 'core-sw-01'],
    ['2001:db8::7', '2001:db8::7'],
    ['a:b:c', 'a:b:c'],
  ])('The instance %s names host %s', (instance, host) => {
    expect(instanceHost(instance)).toBe(host);
  });
});

describe('TicketService: a department NOCAI_POWER_DEPARTMENT_BY_SITE_KIND sets', () => {
  /** Models sure of power for the field technicians, the department model's words pointing there. */
  const powerModels: TextRouter = {
    route: async () => ({
      eventClass: 'power',
      department: 'field_technicians',
      priority: 'P1',
      confidence: 0.9,
      explanation: [
        { feature: 'electrician', weight: 0.8 },
        { feature: 'site_kind=hospital', weight: -0.2 },
      ],
      classExplanation: [
        { feature: 'battery', weight: 1.4 },
        { feature: 'mains', weight: 0.9 },
      ],
      modelVersion: 'ticket-class@v4+department@v4+priority@v4',
    }),
  };
  const serviceAt = (router: TextRouter) => {
    const { tickets, clock, mttr } = setup();
    return new TicketService({
      tickets,
      events: { related: async () => [] },
      router,
      mttr,
      similar: () => undefined,
      clock,
      options: { reviewThreshold: 0.5 },
      powerDepartmentBySiteKind: { hospital: 'facilities' },
      inventory: {
        sites: [
          { id: 'hosp-01', name: 'St. Mary Hospital', kind: 'hospital', criticality: 5 },
          { id: 'fact-01', name: 'Riverside Plant', kind: 'factory', criticality: 4 },
        ],
        devices: [
          { host: 'hosp-01-ups-01', site: 'hosp-01', kind: 'ups', dependsOn: [] },
          { host: 'fact-01-ups-01', site: 'fact-01', kind: 'ups', dependsOn: [] },
        ],
      },
    });
  };
  const upsAlert = (host: string) =>
    alert({
      labels: { alertname: 'UPS on battery', host },
      annotations: { summary: 'UPS input power lost, running on battery' },
      fingerprint: host,
    });

  it("When the setting sends a hospital's power alert to facilities, then its explanation says so first, then why it is power, not the words for the field technicians", async () => {
    const service = serviceAt(powerModels);
    const { tickets } = await service.fromGrafana(webhook(upsAlert('hosp-01-ups-01')));
    expect(tickets[0]).toMatchObject({ eventClass: 'power', department: 'facilities', priority: 'P1' });
    expect(tickets[0].explanation).toEqual([
      { feature: 'department set by NOCAI_POWER_DEPARTMENT_BY_SITE_KIND (hospital=facilities)', weight: 1 },
      { feature: 'battery', weight: 1.4 },
      { feature: 'mains', weight: 0.9 },
    ]);
    expect(tickets[0]).not.toHaveProperty('classExplanation');
    expect((await service.get(tickets[0].id))?.explanation).toEqual(tickets[0].explanation);
  });

  it("When the setting says nothing of the site's kind, then the department model's department and words stay", async () => {
    const { tickets } = await serviceAt(powerModels).fromGrafana(webhook(upsAlert('fact-01-ups-01')));
    expect(tickets[0]).toMatchObject({ department: 'field_technicians' });
    expect(tickets[0].explanation.map((e) => e.feature)).toEqual(['electrician', 'site_kind=hospital']);
  });

  /** `powerModels` with the class and department models as sure as given. */
  const modelsSure = (classConfidence: number, confidence: number): TextRouter => ({
    route: async (input) => ({ ...(await powerModels.route(input)), confidence, classConfidence }),
  });

  it("When the setting sets the department and the department model doubts, then the class model's confidence decides review", async () => {
    const service = serviceAt(modelsSure(0.9, 0.2));
    const { tickets } = await service.fromGrafana(webhook(upsAlert('hosp-01-ups-01')));
    expect(tickets[0]).toMatchObject({ department: 'facilities', confidence: 0.9, needsReview: false, status: 'open' });
    expect(tickets[0]).not.toHaveProperty('classConfidence');
    expect(await service.get(tickets[0].id)).toMatchObject({ confidence: 0.9, needsReview: false });
  });

  it('When the setting sets the department and the class model doubts that it is power, then the ticket waits for review', async () => {
    const { tickets } = await serviceAt(modelsSure(0.3, 0.95)).fromGrafana(webhook(upsAlert('hosp-01-ups-01')));
    expect(tickets[0]).toMatchObject({
      department: 'facilities',
      confidence: 0.3,
      needsReview: true,
      status: 'needs_review',
    });
  });

  it("When the setting says nothing of the site's kind, then the department model's confidence decides review", async () => {
    const { tickets } = await serviceAt(modelsSure(0.9, 0.2)).fromGrafana(webhook(upsAlert('fact-01-ups-01')));
    expect(tickets[0]).toMatchObject({
      department: 'field_technicians',
      confidence: 0.2,
      needsReview: true,
      status: 'needs_review',
    });
  });

  it('When a person corrected the department the setting set and the alert fires again, then its explanation no longer credits the setting', async () => {
    const service = serviceAt(powerModels);
    const first = webhook(upsAlert('hosp-01-ups-01'));
    const [ticket] = (await service.fromGrafana(first)).tickets;
    await service.update(ticket.id, { department: 'it_ops' }, ticket.version, 'alice');
    const endsAt = new Date(T0 + 60_000).toISOString();
    await service.fromGrafana(webhook({ ...first.alerts[0], status: 'resolved', endsAt }));
    const startsAt = new Date(T0 + 120_000).toISOString();
    const [reopened] = (await service.fromGrafana(webhook({ ...first.alerts[0], startsAt }))).tickets;
    expect(reopened).toMatchObject({ status: 'open', department: 'it_ops', corrected: ['department'] });
    expect(reopened.explanation).toEqual([
      { feature: 'battery', weight: 1.4 },
      { feature: 'mains', weight: 0.9 },
    ]);
    expect((await service.get(ticket.id))?.explanation).toEqual(reopened.explanation);
  });

  it('When a person corrected only the priority of a ticket whose department the setting set, then reopened it still credits the setting', async () => {
    const service = serviceAt(powerModels);
    const first = webhook(upsAlert('hosp-01-ups-01'));
    const [ticket] = (await service.fromGrafana(first)).tickets;
    await service.update(ticket.id, { priority: 'P3' }, ticket.version, 'alice');
    const endsAt = new Date(T0 + 60_000).toISOString();
    await service.fromGrafana(webhook({ ...first.alerts[0], status: 'resolved', endsAt }));
    const startsAt = new Date(T0 + 120_000).toISOString();
    const [reopened] = (await service.fromGrafana(webhook({ ...first.alerts[0], startsAt }))).tickets;
    expect(reopened).toMatchObject({ department: 'facilities', priority: 'P3' });
    expect(reopened.explanation[0].feature).toBe(
      'department set by NOCAI_POWER_DEPARTMENT_BY_SITE_KIND (hospital=facilities)'
    );
  });

  it('When the rules route (their words explain the class), then the setting comes first and their words follow', async () => {
    const { tickets } = await serviceAt(new RuleTextRouter()).fromGrafana(webhook(upsAlert('hosp-01-ups-01')));
    const rules = await new RuleTextRouter().route({
      text: 'UPS on battery. UPS input power lost, running on battery',
      siteKind: 'hospital',
      deviceKind: 'ups',
      criticality: 5,
    });
    expect(rules).toMatchObject({ eventClass: 'power', department: 'field_technicians' });
    expect(tickets[0]).toMatchObject({ eventClass: 'power', department: 'facilities' });
    expect(tickets[0].explanation).toEqual([
      { feature: 'department set by NOCAI_POWER_DEPARTMENT_BY_SITE_KIND (hospital=facilities)', weight: 1 },
      ...rules.explanation,
    ]);
    expect(rules.explanation.length).toBeGreaterThan(0);
  });
});
