import type { GroundTruthIncident } from '@nocai/contract';
import { COVERAGE_LEAD_US, incidentCoverage, type OpenedTicket } from './coverage';

const START_US = Date.UTC(2024, 2, 5, 12) * 1000;
const END_US = START_US + 30 * 60_000_000;

const incident = (over: Partial<GroundTruthIncident>): GroundTruthIncident =>
  ({
    id: 'inc-1',
    site: 'hosp-01',
    startUs: START_US,
    endUs: END_US,
    isFalseAlarm: false,
    ...over,
  }) as GroundTruthIncident;
const ticket = (over: Partial<OpenedTicket>): OpenedTicket => ({
  id: 't-1',
  site: 'hosp-01',
  openedAtMs: START_US / 1000,
  eventClass: 'power',
  status: 'open',
  ...over,
});

describe('incidentCoverage', () => {
  it('When a ticket of the site opens within the lead time before the incident, then it is covered', () => {
    const result = incidentCoverage([incident({})], [ticket({ openedAtMs: (START_US - COVERAGE_LEAD_US) / 1000 })]);
    expect(result.covered.map((i) => i.id)).toEqual(['inc-1']);
  });

  it('When the only ticket is at another site or after the incident ended, then it is uncovered', () => {
    const result = incidentCoverage(
      [incident({})],
      [ticket({ site: 'fact-01' }), ticket({ id: 't-2', openedAtMs: END_US / 1000 + 1 })]
    );
    expect(result.uncovered.map((i) => i.id)).toEqual(['inc-1']);
  });

  it('When an incident is a false alarm, then it is left out of the real incidents', () => {
    const result = incidentCoverage([incident({ isFalseAlarm: true })], []);
    expect(result).toEqual({ real: 0, covered: [], uncovered: [] });
  });
});
