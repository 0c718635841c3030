import type { Ticket } from '@nocai/contract';

/**
 * Test fixture: an open power ticket from a complaint (a hospital's UPS on battery), complete in every
 * field a ticket needs; `patch` sets what a test is about. Times default to 2024-05-20 11:00 UTC.
 */
export function sampleTicket(patch: Partial<Ticket> = {}): Ticket {
  const at = Date.UTC(2024, 4, 20, 11);
  return {
    id: 'T-1',
    openedAtMs: at,
    updatedAtMs: at,
    status: 'open',
    source: 'complaint',
    title: 'UPS on battery',
    eventClass: 'power',
    department: 'facilities',
    priority: 'P2',
    confidence: 0.9,
    needsReview: false,
    site: 'hosp-01',
    siteKind: 'hospital',
    host: 'hosp-01-ups-01',
    deviceKind: 'ups',
    mttrP50Seconds: 3600,
    mttrP90Seconds: 7200,
    relatedAlertCount: 1,
    explanation: [],
    similarTickets: [],
    modelVersion: 'ticket-class@v1',
    ...patch,
  };
}
