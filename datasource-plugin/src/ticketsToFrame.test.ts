import { FieldType } from '@grafana/data';
import type { Ticket } from '@nocai/contract';

import { ticketsToFrame } from './ticketsToFrame';

const TICKET: Ticket = {
  id: 'SIL-9',
  openedAtMs: 1_767_225_700_000,
  updatedAtMs: 1_767_225_900_000,
  status: 'needs_review',
  source: 'silence',
  title: 'Patient monitors of ward 3 silent',
  eventClass: 'power',
  department: 'field_technicians',
  priority: 'P1',
  confidence: 0.42,
  needsReview: true,
  site: 'hosp-01',
  siteKind: 'hospital',
  host: 'hosp-01-pm-07',
  deviceKind: 'patient_monitor',
  mttrP50Seconds: 1200,
  mttrP90Seconds: 3600,
  rootCause: {
    host: 'hosp-01-ps-12',
    deviceKind: 'power_switch',
    silentSinceMs: 1_767_225_600_000,
    description: 'power switch hosp-01-ps-12 silent since 12:00',
    dependants: ['hosp-01-pm-07'],
  },
  relatedAlertCount: 14,
  explanation: [{ feature: 'site_kind=hospital', weight: 0.8 }],
  similarTickets: [{ id: 'SIL-2', title: 'Ward 2 dark', resolution: 'reset PS-04', mttrSeconds: 900, similarity: 0.9 }],
  modelVersion: 'router-3',
};

describe('ticketsToFrame', () => {
  it('When tickets are turned into a frame, then the columns are the aiops_tickets names the triage panel reads', () => {
    const frame = ticketsToFrame([TICKET], 'A', 'nocai');

    expect(frame.fields.map((field) => field.name)).toEqual(
      expect.arrayContaining([
        'time',
        'ticket_id',
        'priority',
        'class',
        'department',
        'site',
        'host',
        'status',
        'confidence',
        'mttr_p50_s',
        'mttr_p90_s',
        'root_cause',
        'needs_review',
        'title',
        'related_alerts',
        'explanation',
        'similar',
        'feedback_verdict',
        'version',
        'assignee',
        'comments',
        'changed_by',
      ])
    );
    expect(frame.fields[0]).toMatchObject({ name: 'time', type: FieldType.time, values: [TICKET.openedAtMs] });
  });

  it('When a ticket has a root cause, explanation and similar tickets, then they are readable text in the row', () => {
    const frame = ticketsToFrame([TICKET], 'A', 'nocai');
    const value = (name: string) => frame.fields.find((field) => field.name === name)?.values[0];

    expect(value('root_cause')).toBe('power switch hosp-01-ps-12 silent since 12:00');
    expect(JSON.parse(value('explanation'))).toEqual(TICKET.explanation);
    expect(JSON.parse(value('similar'))).toEqual(TICKET.similarTickets);
    expect(value('related_alerts')).toBe(14);
    expect(value('needs_review')).toBe(true);
  });

  it('When the MTTR model explained the time to resolve, then its factors are JSON text in mttr_factors', () => {
    const mttrFactors = [
      { feature: 'hours_to_business_start', weight: 0.61, value: 13 },
      { feature: 'priority=P1', weight: -0.42 },
    ];
    const frame = ticketsToFrame([{ ...TICKET, mttrFactors }], 'A', 'nocai');
    const value = (name: string) => frame.fields.find((field) => field.name === name)?.values[0];

    expect(JSON.parse(value('mttr_factors'))).toEqual(mttrFactors);
  });

  it('When a person corrected the routing, then the models answer and the corrected fields are JSON text', () => {
    const corrected: Ticket = {
      ...TICKET,
      department: 'facilities',
      predicted: { eventClass: 'power', department: 'facilities', priority: 'P1' },
      corrected: ['department'],
    };
    const value = (ticket: Ticket, name: string) =>
      ticketsToFrame([ticket], 'A', 'nocai').fields.find((field) => field.name === name)?.values[0];

    expect(JSON.parse(value(corrected, 'predicted'))).toEqual(corrected.predicted);
    expect(JSON.parse(value(corrected, 'corrected'))).toEqual(['department']);
    expect(value(TICKET, 'corrected')).toBeNull();
  });

  it('When a ticket has no feedback, root cause or resolution yet, then those cells are empty rather than invented', () => {
    const frame = ticketsToFrame([{ ...TICKET, rootCause: undefined }], 'A', 'nocai');
    const value = (name: string) => frame.fields.find((field) => field.name === name)?.values[0];

    expect(value('root_cause')).toBeNull();
    expect(value('mttr_factors')).toBeNull();
    expect(value('feedback_verdict')).toBeNull();
    expect(value('resolved_at_ms')).toBeNull();
  });
});
