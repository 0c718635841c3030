import type { GroundTruthIncident } from '@nocai/contract';

/** A ticket as the coverage check needs it: where and when it was opened. */
export interface OpenedTicket {
  id: string;
  site: string;
  openedAtMs: number;
  eventClass: string;
  /** Latest status. */
  status: string;
}

/** A ticket opened this long before the first observable effect still counts (clock skew, grouping). */
export const COVERAGE_LEAD_US = 5 * 60_000_000;

export interface IncidentCoverage {
  /** Real incidents (not false alarms) of the ground truth. */
  real: number;
  covered: GroundTruthIncident[];
  uncovered: GroundTruthIncident[];
}

/**
 * A real ground-truth incident is covered when some ticket of the same site was opened between
 * `COVERAGE_LEAD_US` before its first effect and its last effect. False alarms are left out: a
 * ticket for them is noise, not coverage.
 */
export function incidentCoverage(
  incidents: readonly GroundTruthIncident[],
  tickets: readonly OpenedTicket[]
): IncidentCoverage {
  const bySite = new Map<string, number[]>();
  for (const t of tickets) {
    const opened = bySite.get(t.site) ?? [];
    opened.push(t.openedAtMs * 1000);
    bySite.set(t.site, opened);
  }
  const covered: GroundTruthIncident[] = [];
  const uncovered: GroundTruthIncident[] = [];
  const real = incidents.filter((i) => !i.isFalseAlarm);
  for (const incident of real) {
    const opened = bySite.get(incident.site) ?? [];
    const hit = opened.some((us) => us >= incident.startUs - COVERAGE_LEAD_US && us <= incident.endUs);
    (hit ? covered : uncovered).push(incident);
  }
  return { real: real.length, covered, uncovered };
}
