import type { RelatedTicket } from '@nocai/contract';

import { isLinkedTo, parentResolvedAtMs, relatedTicketFacts } from './related';

const OUTAGE: RelatedTicket = {
  id: 'GRA-9',
  title: 'hosp-01-mon-07 unreachable',
  status: 'in_progress',
  source: 'grafana_alert',
  eventClass: 'network',
  department: 'network_ops',
  priority: 'P1',
  openedAtMs: 1,
  host: 'hosp-01-mon-07',
};

describe('relatedTicketFacts', () => {
  it('When a related ticket is listed, then its priority, status in words, department and host read in that order', () => {
    expect(relatedTicketFacts(OUTAGE)).toEqual(['P1', 'in progress', 'network_ops', 'hosp-01-mon-07']);
  });

  it('When the backend left the host empty, then no blank fact is shown', () => {
    expect(relatedTicketFacts({ ...OUTAGE, host: '' })).toEqual(['P1', 'in progress', 'network_ops']);
  });
});

describe('parentResolvedAtMs', () => {
  it('When the incident is still worked on, then there is no resolution to confirm', () => {
    expect(parentResolvedAtMs(OUTAGE)).toBeUndefined();
  });

  it('When the incident was resolved, closed or resolved on its own, then its resolution time is given', () => {
    for (const status of ['resolved', 'auto_resolved', 'closed'] as const) {
      expect(parentResolvedAtMs({ ...OUTAGE, status, resolvedAtMs: 5 })).toBe(5);
    }
    expect(parentResolvedAtMs({ ...OUTAGE, status: 'resolved' })).toBeNull();
  });
});

describe('isLinkedTo', () => {
  it('When a related complaint names the expanded incident as its parent, then it is linked to it, and not to another', () => {
    const complaint = { ...OUTAGE, id: 'CMP-1', parentId: 'GRA-9' };
    expect(isLinkedTo(complaint, 'GRA-9')).toBe(true);
    expect(isLinkedTo(complaint, 'GRA-8')).toBe(false);
    expect(isLinkedTo(OUTAGE, 'GRA-9')).toBe(false);
  });
});
