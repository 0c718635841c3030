import type { RelatedTicket } from '@nocai/contract';

import { relatedTicketFacts } from './related';

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
