import type { TicketHistoryRow, TicketSource } from '@nocai/contract';
import { mttrInputOf } from '../../domain/mlops/mttrFeatures';
import { isIncidentTicket } from '../../domain/tickets';
import { sampleTicket } from '../../domain/tickets/ticketFixture';
import { labelledRow, labelRows } from './feedbackLabels';

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

describe('corrected tickets as labels (nocai labels)', () => {
  const at = Date.UTC(2024, 4, 20, 12);
  it('When the models came to agree with a person’s correction, then the ticket is still a correction label naming the field', () => {
    // Corrected to maintenance; the models' latest answer (predicted) says maintenance too.
    const agreed = sampleTicket({
      id: 'T-agreed',
      updatedAtMs: at,
      department: 'maintenance',
      predicted: { eventClass: 'power', department: 'maintenance', priority: 'P2' },
      corrected: ['department'],
    });
    const untouched = sampleTicket({ id: 'T-untouched', updatedAtMs: at });

    const { rows } = labelRows([agreed, untouched], [], at - 1000);

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: 'T-agreed',
      department: 'maintenance',
      predicted_department: 'maintenance',
      corrected: 'department',
      label_source: 'correction',
      labelled_at: new Date(at).toISOString(),
    });
  });

  it('When a ticket was stored before corrections were listed, then the fields that differ from the models are its corrections', () => {
    const stored = sampleTicket({
      eventClass: 'environment',
      predicted: { eventClass: 'power', department: 'facilities', priority: 'P2' },
    });
    expect(labelledRow(stored, undefined)).toMatchObject({
      class: 'environment',
      predicted_class: 'power',
      corrected: 'class',
    });
  });
});
