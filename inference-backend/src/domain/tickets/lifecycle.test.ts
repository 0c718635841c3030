import type { Ticket } from '@nocai/contract';
import type { IncidentSummary, TicketAction } from '../incidents/types';
import { applyFeedback, applyTicketAction, canTransition, transition, TicketTransitionError } from './lifecycle';
import { ticketFromIncident } from './ticket';
import type { TicketBuildDeps } from './ticket';

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

const action = (kind: TicketAction['kind'], summary: IncidentSummary = incident): TicketAction => ({
  kind,
  atUs: deps.nowMs * 1000,
  incident: summary,
});

describe('ticketFromIncident', () => {
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
      // The predictor's P90 below its P50 is lifted to the P50.
      mttrP90Seconds: 3600,
    });
    expect(ticket.rootCause?.silentSinceMs).toBe(NOON_US / 1000 + 5000);
    expect(ticket.similarTickets[0].id).toBe('T-1');
  });

  it('When the routing confidence is low, then the ticket waits in needs_review', () => {
    expect(ticketFromIncident({ ...incident, needsReview: true, confidence: 0.4 }, deps).status).toBe('needs_review');
  });
});

describe('ticket lifecycle', () => {
  it('When the engine opens, updates and resolves an incident, then the ticket follows and ends resolved', () => {
    const opened = applyTicketAction(undefined, action('open'), deps);
    const updated = applyTicketAction(opened, action('update', { ...incident, relatedAlertCount: 12 }), deps);
    const resolved = applyTicketAction(
      updated,
      action('resolve', { ...incident, resolvedAtUs: NOON_US + 3600e6 }),
      deps
    );

    expect([opened.status, updated.status, resolved.status]).toEqual(['open', 'open', 'resolved']);
    expect(updated.relatedAlertCount).toBe(12);
    expect(resolved.resolvedAtMs).toBe(deps.nowMs);
  });

  it('When a reviewer confirms a ticket waiting for review, then it opens; when they reject one, it is resolved', () => {
    const waiting = applyTicketAction(undefined, action('open', { ...incident, needsReview: true }), deps);

    const confirmed = applyFeedback(waiting, { verdict: 'valid' }, deps.nowMs + 1);
    const rejected = applyFeedback(waiting, { verdict: 'invalid', comment: 'test alarm' }, deps.nowMs + 1);

    expect(waiting.status).toBe('needs_review');
    expect(confirmed).toMatchObject({ status: 'open', needsReview: false, feedback: { verdict: 'valid' } });
    expect(rejected).toMatchObject({ status: 'resolved', feedback: { verdict: 'invalid', comment: 'test alarm' } });
  });

  it('When feedback arrives on an open ticket, then it is attached and the status stays', () => {
    const ticket = applyFeedback(ticketFromIncident(incident, deps), { verdict: 'avoided' }, deps.nowMs);
    expect(ticket).toMatchObject({ status: 'open', feedback: { verdict: 'avoided', atMs: deps.nowMs } });
  });

  it('When someone tries to reopen a resolved ticket, then the transition is refused', () => {
    const resolved: Ticket = transition(ticketFromIncident(incident, deps), 'resolved', deps.nowMs);

    expect(canTransition('resolved', 'open')).toBe(false);
    expect(() => transition(resolved, 'open', deps.nowMs)).toThrow(TicketTransitionError);
    expect(() => applyTicketAction(resolved, action('open'), deps)).toThrow('already open');
    // A late resolve from the engine on a ticket a reviewer already closed is harmless.
    expect(applyTicketAction(resolved, action('resolve'), deps).status).toBe('resolved');
  });
});
