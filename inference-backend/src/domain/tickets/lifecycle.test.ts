import type { Ticket } from '@nocai/contract';
import type { IncidentSummary, TicketAction } from '../incidents/types';
import { applyTicketAction, canTransition } from './lifecycle';
import { mttrFields, ticketFromIncident, withMttrEstimate } from './ticket';
import { applyFeedback, applyWorkflowChange } from './workflow';
import type { MttrFeatures, TicketBuildDeps } from './ticket';
import { modelsOfTicket } from '../mlops/productionAccuracy';

const NOON_US = Date.UTC(2024, 2, 5, 12) * 1000;

const incident: IncidentSummary = {
  id: 'inc-hosp-01-hosp-01-ups-01-1709640000331383',
  pattern: 'outage',
  source: 'logs',
  title: 'Power outage at hosp-01: power switch hosp-01-ps-01 down, 14 dependants affected',
  eventClass: 'power',
  department: 'field_technicians',
  priority: 'P1',
  confidence: 0.9,
  needsReview: false,
  site: 'hosp-01',
  siteKind: 'hospital',
  host: 'hosp-01-ps-01',
  deviceKind: 'power_switch',
  rootCause: {
    host: 'hosp-01-ps-01',
    deviceKind: 'power_switch',
    silentSinceUs: NOON_US + 5_000_000,
    description: 'power switch hosp-01-ps-01 silent since 2024-03-05T12:00:05Z, 14 of 20 dependants affected',
    dependants: ['hosp-01-mon-01', 'hosp-01-srv-01'],
  },
  relatedAlertCount: 9,
  startedAtUs: NOON_US,
  lastAlertAtUs: NOON_US + 60_000_000,
  eventKeys: ['hosp-01-ups-01@1709640000331383'],
  hosts: ['hosp-01-ps-01', 'hosp-01-ups-01'],
  explanation: [{ feature: 'power failure', weight: 1 }],
  modelVersion: 'rules-1+mask-1',
};

const deps: TicketBuildDeps = {
  predictMttr: (f) => ({ p50Seconds: f.priority === 'P1' ? 3600 : 7200, p90Seconds: 1800 }),
  similarTickets: () => [
    { id: 'T-1', title: 'Power outage', resolution: 'reset breaker', mttrSeconds: 4000, similarity: 0.8 },
  ],
  nowMs: Date.UTC(2024, 2, 5, 12, 5),
};

const action = (
  kind: TicketAction['kind'],
  summary: IncidentSummary = incident,
  resolution?: TicketAction['resolution']
): TicketAction => ({
  kind,
  atUs: deps.nowMs * 1000,
  incident: summary,
  resolution,
});
const person = (atMs = deps.nowMs + 1) => ({ by: 'alice', atMs });

describe('ticketFromIncident', () => {
  it('When a model estimates the time to resolve, then the ticket names it beside the incident models, as production accuracy reads them', () => {
    const ticket = ticketFromIncident(
      { ...incident, modelVersion: 'event-class@v3+event-decision@v2' },
      { ...deps, predictMttr: () => ({ p50Seconds: 3600, p90Seconds: 7200, modelVersion: 'mttr@v4' }) }
    );
    expect(ticket.modelVersion).toBe('event-class@v3+event-decision@v2|mttr@v4');
    expect(modelsOfTicket(ticket.modelVersion).map((m) => m.model)).toEqual(['event-class', 'event-decision', 'mttr']);
  });

  it('When an outage incident becomes a ticket, then it shows when it started, the root cause in ms and the MTTR', () => {
    const ticket = ticketFromIncident(incident, deps);

    expect(ticket).toMatchObject({
      id: incident.id,
      status: 'open',
      openedAtMs: NOON_US / 1000,
      updatedAtMs: deps.nowMs,
      department: 'field_technicians',
      priority: 'P1',
      relatedAlertCount: 9,
      mttrP50Seconds: 3600,
      // The predictor's P90 below its P50 is lifted to the P50, and the ticket says so.
      mttrP90Seconds: 3600,
      mttrNote: 'the P90 estimate fell below the P50 and is shown equal to it',
    });
    expect(ticket.rootCause?.deviceKind).toBe('power_switch');
    expect(ticket.hosts).toEqual(['hosp-01-ps-01', 'hosp-01-ups-01']);
    expect(ticket.rootCause?.silentSinceMs).toBe(NOON_US / 1000 + 5000);
    expect(ticket.similarTickets[0].id).toBe('T-1');
  });

  it('When the routing confidence is low, then the ticket waits in needs_review', () => {
    expect(ticketFromIncident({ ...incident, needsReview: true, confidence: 0.4 }, deps).status).toBe('needs_review');
  });
});

describe('mttrFields', () => {
  it('When the predictor gives two different quantiles, then they are kept and no note is needed', () => {
    expect(mttrFields({ p50Seconds: 1800.4, p90Seconds: 7200 })).toEqual({
      mttrP50Seconds: 1800,
      mttrP90Seconds: 7200,
    });
  });

  it("When P50 and P90 come out equal, then the ticket carries the reason (the predictor's, or a stated one)", () => {
    expect(mttrFields({ p50Seconds: 600, p90Seconds: 600 }).mttrNote).toBe(
      'the estimate has no spread: P50 and P90 are the same'
    );
    expect(mttrFields({ p50Seconds: 600, p90Seconds: 600, note: 'every past ticket took 10 minutes' }).mttrNote).toBe(
      'every past ticket took 10 minutes'
    );
  });
});

describe('withMttrEstimate', () => {
  it("When a ticket's time to resolve is estimated again, then the new estimate replaces the old one's figures, note and factors, and the model that made it is named", () => {
    const before = ticketFromIncident(incident, {
      ...deps,
      predictMttr: () => ({
        p50Seconds: 600,
        p90Seconds: 600,
        modelVersion: 'mttr@v1',
        explanation: [{ feature: 'priority=P1', weight: -0.4 }],
      }),
    });
    expect(before).toMatchObject({ modelVersion: 'rules-1+mask-1|mttr@v1', mttrNote: expect.any(String) });

    const again = withMttrEstimate(before, { p50Seconds: 5400, p90Seconds: 9000, modelVersion: 'mttr@v2' });
    expect(again).toMatchObject({ mttrP50Seconds: 5400, mttrP90Seconds: 9000, modelVersion: 'rules-1+mask-1|mttr@v2' });
    expect(again).not.toHaveProperty('mttrNote');
    expect(again).not.toHaveProperty('mttrFactors');
    expect(
      withMttrEstimate({ ...before, modelVersion: 'rules-1' }, { p50Seconds: 60, p90Seconds: 120 }).modelVersion
    ).toBe('rules-1');
  });
});

describe('MTTR factors on tickets', () => {
  const factors = [
    { feature: 'hours_to_business_start', weight: 0.61, value: 13 },
    { feature: 'priority=P1', weight: -0.42 },
  ];
  const explained: TicketBuildDeps = {
    ...deps,
    predictMttr: () => ({ p50Seconds: 5400, p90Seconds: 9000, modelVersion: 'mttr@v1', explanation: factors }),
  };

  it("When the MTTR model explains its estimate, then the incident's ticket carries the factors; a baseline's estimate leaves none", () => {
    expect(ticketFromIncident(incident, explained).mttrFactors).toEqual(factors);
    expect(ticketFromIncident(incident, deps)).not.toHaveProperty('mttrFactors');
    expect(mttrFields({ p50Seconds: 60, p90Seconds: 120, explanation: [] })).not.toHaveProperty('mttrFactors');
  });

  it("When people work on the ticket, then the factors stay; an engine update carries the latest estimate's", () => {
    const opened = applyTicketAction(undefined, action('open'), explained);
    const worked = applyWorkflowChange(opened, { status: 'acknowledged', assignee: 'team:facilities' }, person());
    expect(worked.mttrFactors).toEqual(factors);

    const newer = [{ feature: 'priority=P2', weight: 0.3 }];
    const updated = applyTicketAction(worked, action('update', { ...incident, priority: 'P2' }), {
      ...explained,
      predictMttr: () => ({ p50Seconds: 7200, p90Seconds: 9000, modelVersion: 'mttr@v1', explanation: newer }),
    });
    expect(updated.mttrFactors).toEqual(newer);
  });
});

describe('ticket lifecycle', () => {
  it('When the engine opens, updates and resolves an incident, then the ticket follows, counts versions and ends resolved', () => {
    const opened = applyTicketAction(undefined, action('open'), deps);
    const updated = applyTicketAction(opened, action('update', { ...incident, relatedAlertCount: 12 }), deps);
    const resolved = applyTicketAction(
      updated,
      action('resolve', { ...incident, resolvedAtUs: NOON_US + 3600e6 }, 'recovered'),
      deps
    );

    expect([opened.status, updated.status, resolved.status]).toEqual(['open', 'open', 'resolved']);
    expect([opened.version, updated.version, resolved.version]).toEqual([1, 2, 3]);
    expect(opened.change).toMatchObject({ kind: 'opened', by: 'nocai' });
    expect(updated.change).toMatchObject({ kind: 'updated', summary: 'updated: 12 related alerts' });
    expect(updated.relatedAlertCount).toBe(12);
    expect(resolved).toMatchObject({ resolvedAtMs: deps.nowMs, change: { kind: 'status', by: 'nocai' } });
    expect(resolved.autoResolved).toBeUndefined();
  });

  it('When an incident of alerts alone goes quiet, then its ticket is auto_resolved, not resolved', () => {
    const opened = applyTicketAction(undefined, action('open'), deps);
    const quiet = applyTicketAction(opened, action('resolve', incident, 'quiet'), deps);

    expect(quiet).toMatchObject({ status: 'auto_resolved', autoResolved: true, resolvedAtMs: deps.nowMs });
    expect(quiet.change?.summary).toBe('status open → auto_resolved (quiet time, no recovery reported)');
  });

  it('When people acknowledged, assigned and corrected a ticket, then an engine update keeps all of it', () => {
    const opened = applyTicketAction(undefined, action('open'), deps);
    const worked = applyWorkflowChange(
      opened,
      { status: 'acknowledged', assignee: 'team:facilities', department: 'facilities', comment: 'on it' },
      person()
    );
    const updated = applyTicketAction(
      worked,
      action('update', { ...incident, relatedAlertCount: 20, priority: 'P2' }),
      deps
    );

    expect(updated).toMatchObject({
      status: 'acknowledged',
      assignee: 'team:facilities',
      department: 'facilities',
      // Not corrected by anyone: the engine's new priority applies, and is what the models now say.
      priority: 'P2',
      predicted: { department: 'field_technicians', priority: 'P2', eventClass: 'power' },
      comments: [{ text: 'on it', by: 'alice' }],
      relatedAlertCount: 20,
      version: worked.version === undefined ? undefined : worked.version + 1,
    });
  });

  it('When a person corrected the priority, then an engine update keeps it and its time to resolve is estimated for it', () => {
    const asked: MttrFeatures[] = [];
    const recording: TicketBuildDeps = {
      ...deps,
      predictMttr: (f) => {
        asked.push(f);
        return { ...deps.predictMttr(f), modelVersion: 'mttr@v2' };
      },
    };
    const opened = applyTicketAction(undefined, action('open'), recording);
    expect(opened).toMatchObject({ priority: 'P1', mttrP50Seconds: 3600 });
    const corrected = applyWorkflowChange(opened, { priority: 'P3' }, person());

    const updated = applyTicketAction(corrected, action('update', { ...incident, relatedAlertCount: 12 }), recording);

    expect(updated).toMatchObject({
      priority: 'P3',
      predicted: { priority: 'P1' },
      // The estimate for P3, not the one for the models' P1.
      mttrP50Seconds: 7200,
      modelVersion: 'rules-1+mask-1|mttr@v2',
    });
    expect(asked.at(-1)).toMatchObject({ eventClass: 'power', department: 'field_technicians', priority: 'P3' });
  });

  it("When the engine comes to agree with a correction and later disagrees again, then the person's correction stays", () => {
    const opened = applyTicketAction(undefined, action('open'), deps);
    const corrected = applyWorkflowChange(opened, { department: 'facilities' }, person());
    expect(corrected).toMatchObject({ department: 'facilities', corrected: ['department'] });

    // The models now say facilities too, then field technicians again (and a new priority).
    const agreed = applyTicketAction(corrected, action('update', { ...incident, department: 'facilities' }), deps);
    const disagreed = applyTicketAction(agreed, action('update', { ...incident, priority: 'P2' }), deps);

    expect(agreed).toMatchObject({
      department: 'facilities',
      corrected: ['department'],
      predicted: { department: 'facilities' },
    });
    expect(disagreed).toMatchObject({
      department: 'facilities',
      // Not corrected by anyone: it follows the engine.
      priority: 'P2',
      corrected: ['department'],
      predicted: { department: 'field_technicians', priority: 'P2' },
    });
  });

  it('When nothing was corrected, then an engine update carries neither predicted nor corrected', () => {
    const opened = applyTicketAction(undefined, action('open'), deps);
    const updated = applyTicketAction(opened, action('update', { ...incident, priority: 'P2' }), deps);
    expect(updated.priority).toBe('P2');
    expect(updated.predicted).toBeUndefined();
    expect(updated.corrected).toBeUndefined();
  });

  it('When the engine resolves a ticket a person already closed, then it stays closed', () => {
    const opened = applyTicketAction(undefined, action('open'), deps);
    const closed = applyFeedback(opened, { verdict: 'invalid' }, person());
    expect(applyTicketAction(closed, action('resolve', incident, 'recovered'), deps).status).toBe('closed');
  });

  it('When the engine opens a ticket twice, then the second open is refused', () => {
    const opened = applyTicketAction(undefined, action('open'), deps);
    expect(() => applyTicketAction(opened, action('open'), deps)).toThrow('already open');
  });

  it('When statuses are compared, then reopening a resolution is allowed and nothing leaves closed', () => {
    expect(canTransition('resolved', 'open')).toBe(true);
    expect(canTransition('auto_resolved', 'open')).toBe(true);
    expect(canTransition('closed', 'open')).toBe(false);
    expect(canTransition('open', 'closed')).toBe(false);
  });
});
