import { SimilarTicketIndex, type ResolvedTicket } from './similarTickets';

const history: ResolvedTicket[] = [
  { id: 'T1', title: 'Link down on core-sw-1', description: 'Interface Gi0/3 changed state to down at 10.0.0.7', resolution: 'Replaced SFP', mttrSeconds: 3600, eventClass: 'network' },
  { id: 'T2', title: 'UPS on battery at hosp-01', description: 'Input voltage lost on feed A', resolution: 'Utility restored; generator test', mttrSeconds: 7200, eventClass: 'power' },
  { id: 'T3', title: 'Disk full on srv-4', description: 'No space left on device /var', resolution: 'Rotated logs', mttrSeconds: 1800, eventClass: 'software' },
];

describe('SimilarTicketIndex', () => {
  it('When a new ticket is worded like a past one with other numbers, then that past ticket and its resolution come first', () => {
    const index = new SimilarTicketIndex(history);
    const found = index.search('Link down on edge-sw-9: Interface Gi0/9 changed state to down at 10.0.0.8');
    expect(found[0]).toMatchObject({ id: 'T1', resolution: 'Replaced SFP', mttrSeconds: 3600 });
    expect(found[0].similarity).toBeGreaterThan(0.5);
  });

  it('When nothing is alike, then no ticket is suggested', () => {
    expect(new SimilarTicketIndex(history).search('coffee machine empty')).toEqual([]);
  });

  it('When k is 2, then at most two tickets come back, best first', () => {
    const found = new SimilarTicketIndex(history).search('input voltage lost, disk full, link down', 2);
    expect(found).toHaveLength(2);
    expect(found[0].similarity).toBeGreaterThanOrEqual(found[1].similarity);
  });
});
