import { ANOMALY_SERIES, DEVICE_KINDS, isDepartment, SILENCE_SERIES } from '@nocai/contract';
import type { Department, EventClass } from '@nocai/contract';

import { departmentFor, silenceClass } from '../../domain/incidents';
import { ANOMALY_METRIC_FAMILIES } from '../../domain/timeseries/anomalyEvidence';
import { anyOfCondition, noneOfCondition, quoteIdentifier } from './influxql';

/** The device-level series whose points an InfluxDB panel can keep by department (`GET /api/series/:kind/filter`). */
export const ROUTED_SERIES = ['silences', 'anomalies'] as const;
export type RoutedSeries = (typeof ROUTED_SERIES)[number];

export function isRoutedSeries(kind: string): kind is RoutedSeries {
  return (ROUTED_SERIES as readonly string[]).includes(kind);
}

// The same tag names in both series.
const DEVICE_KIND_TAG = SILENCE_SERIES.tags.deviceKind;
const SITE_TAG = SILENCE_SERIES.tags.site;
const METRIC_TAG = ANOMALY_SERIES.tags.metric;
// A regex matching anything also matches an absent tag; the pair that follows matches nothing.
const EVERY_POINT = `${quoteIdentifier(DEVICE_KIND_TAG)} =~ /.*/`;
const NO_POINT = `(${quoteIdentifier(DEVICE_KIND_TAG)} = '' AND ${quoteIdentifier(DEVICE_KIND_TAG)} != '')`;

/**
 * The points of a device-level series (`aiops_silences`, `aiops_anomalies`) whose devices the routing sends to
 * `departments`, as one InfluxQL condition: neither series stores a department, but both store the device kind,
 * and the anomaly scores their metric, which with the kind decide the routing of what the ticket would be about
 * (a silence by `silenceClass`, an anomaly by `anomalyClass`). Without departments, every point; when no device
 * goes to any of them (no silence is facilities'), none. No extra tag is written: the filter is on tags they have.
 */
export function routedSeriesCondition(
  series: RoutedSeries,
  departments: readonly string[] | undefined,
  routing: DeviceRouting = NO_SITE_ROUTING
): string {
  if (departments === undefined) return EVERY_POINT;
  const wanted = departments.filter(isDepartment);
  const condition =
    series === 'silences'
      ? deviceKindCondition(wanted, silenceClass, routing)
      : routedAnomaliesCondition(wanted, routing);
  return condition ?? NO_POINT;
}

/**
 * What besides a device's kind the routing decides by: power goes to another department at sites of some kinds
 * (NOCAI_POWER_DEPARTMENT_BY_SITE_KIND). Neither series stores a site kind, but both store the site: the
 * inventory's sites of each kind.
 */
export interface DeviceRouting {
  powerDepartmentBySiteKind: Partial<Record<string, Department>>;
  sitesOfKind(siteKind: string): readonly string[];
}

const NO_SITE_ROUTING: DeviceRouting = { powerDepartmentBySiteKind: {}, sitesOfKind: () => [] };

/** Each metric family whose devices some wanted department looks after: its metrics, and those devices' kinds. */
function routedAnomaliesCondition(departments: readonly Department[], routing: DeviceRouting): string | undefined {
  const terms: string[] = [];
  ANOMALY_METRIC_FAMILIES.forEach((family, i) => {
    const kinds = deviceKindCondition(departments, family.classOf, routing);
    if (kinds === undefined) return;
    // A metric belongs to the first family it matches: not to this one when an earlier one matches it.
    const parts = ANOMALY_METRIC_FAMILIES.slice(0, i).map(
      (earlier) => `${quoteIdentifier(METRIC_TAG)} !~ /${earlier.pattern}/`
    );
    if (family.pattern !== '') parts.unshift(`${quoteIdentifier(METRIC_TAG)} =~ /${family.pattern}/`);
    // Every kind is implied once the metric is named: only a narrower kind filter is worth writing.
    if (kinds !== EVERY_POINT || parts.length === 0) parts.push(kinds);
    terms.push(parts.length === 1 ? parts[0] : `(${parts.join(' AND ')})`);
  });
  if (terms.length === 0) return undefined;
  return terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`;
}

/**
 * The devices whose `classOf` events go to `departments`, by kind and, where the routing decides by site kind, by
 * site; undefined when none does. A device of no known kind (or none) is routed like any other unknown kind.
 */
function deviceKindCondition(
  departments: readonly Department[],
  classOf: (deviceKind: string) => EventClass,
  routing: DeviceRouting
): string | undefined {
  const siteKinds = Object.keys(routing.powerDepartmentBySiteKind);
  const wantedAt = (deviceKind: string, siteKind: string) =>
    departments.includes(departmentFor(classOf(deviceKind), deviceKind, siteKind, routing.powerDepartmentBySiteKind));
  const sitesWhere = (deviceKind: string, wanted: boolean) =>
    siteKinds.filter((siteKind) => wantedAt(deviceKind, siteKind) === wanted).flatMap((k) => routing.sitesOfKind(k));
  // Where a kind's devices are wanted: '' everywhere, a condition on the site, or undefined nowhere. A site the
  // inventory does not list routes as one of no configured kind.
  const siteTermOf = (deviceKind: string): string | undefined => {
    if (wantedAt(deviceKind, '')) {
      const elsewhere = sitesWhere(deviceKind, false);
      return elsewhere.length === 0 ? '' : noneOfCondition(SITE_TAG, elsewhere);
    }
    const wanted = sitesWhere(deviceKind, true);
    return wanted.length === 0 ? undefined : anyOfCondition(SITE_TAG, wanted);
  };
  // The kinds with the same site condition in one term; '' stands for every kind the inventory does not know.
  const groups = new Map<string, string[]>();
  for (const deviceKind of [...DEVICE_KINDS, '']) {
    const site = siteTermOf(deviceKind);
    if (site !== undefined) groups.set(site, [...(groups.get(site) ?? []), deviceKind]);
  }
  const terms = [...groups].map(([site, kinds]) => {
    const kind = kindsCondition(
      kinds.filter((k) => k !== ''),
      kinds.includes('')
    );
    if (site === '') return kind;
    return kind === EVERY_POINT ? site : `(${kind} AND ${site})`;
  });
  if (terms.length === 0) return undefined;
  return terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`;
}

/** The known `kinds`, and with `otherKinds` every kind but the known ones not listed (an unknown kind, or none). */
function kindsCondition(kinds: readonly string[], otherKinds: boolean): string {
  if (!otherKinds) return anyOfCondition(DEVICE_KIND_TAG, kinds);
  const elsewhere = DEVICE_KINDS.filter((kind) => !kinds.includes(kind));
  return elsewhere.length === 0 ? EVERY_POINT : noneOfCondition(DEVICE_KIND_TAG, elsewhere);
}
