import { mayChangeTickets, readOnlyReason } from './permissions';

describe('mayChangeTickets', () => {
  it('When the Grafana user is an Editor or an Admin, then the ticket actions are offered', () => {
    expect(mayChangeTickets('Editor')).toBe(true);
    expect(mayChangeTickets('Admin')).toBe(true);
  });

  it('When the Grafana user is a Viewer or has no role, then the actions are hidden', () => {
    expect(mayChangeTickets('Viewer')).toBe(false);
    expect(mayChangeTickets('None')).toBe(false);
  });

  it('When the role is not known, then the actions stay and the proxy and backend decide', () => {
    expect(mayChangeTickets(undefined)).toBe(true);
    expect(mayChangeTickets('')).toBe(true);
  });

  it('When a Viewer sees tickets, then the hint names the role', () => {
    expect(readOnlyReason('Viewer', false)).toBe('Read-only: your Grafana role (Viewer) cannot change tickets');
  });
});
