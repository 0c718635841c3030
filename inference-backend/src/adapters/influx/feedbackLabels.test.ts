import type { TicketHistoryRow, TicketSource } from '@nocai/contract';
import { mttrInputOf } from '../../domain/mlops/mttrFeatures';
import { isIncidentTicket } from '../../domain/tickets';
import { sampleTicket } from '../../domain/tickets/ticketFixture';
import { labelledRow } from './feedbackLabels';

describe('a judged ticket as a training row', () => {
  it('When a ticket came from log lines or a silence, then its row trains the MTTR model as from an incident, as the service estimates it; typed and Grafana tickets do not', () => {
    const sources: TicketSource[] = ['logs', 'silence', 'complaint', 'grafana_alert'];
    const fromIncident = sources.map((source) => {
      const row = labelledRow(sampleTicket({ id: `T-${source}`, source }), undefined);
      return [
        source,
        row.incident_id,
        mttrInputOf(row as unknown as TicketHistoryRow).fromIncident,
        isIncidentTicket({ source }),
      ];
    });
    expect(fromIncident).toEqual([
      ['logs', 'T-logs', true, true],
      ['silence', 'T-silence', true, true],
      ['complaint', '', false, false],
      ['grafana_alert', '', false, false],
    ]);
  });
});
