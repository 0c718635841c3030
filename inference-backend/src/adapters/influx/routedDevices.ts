import { ANOMALY_SERIES, DEVICE_KINDS, isDepartment, SILENCE_SERIES } from '@nocai/contract';
import type { Department, EventClass } from '@nocai/contract';

import { deviceKindsRoutedTo, silenceClass } from '../../domain/incidents';
import { ANOMALY_METRIC_FAMILIES } from '../../domain/timeseries/anomalyEvidence';
import { anyOfCondition, noneOfCondition, quoteIdentifier } from './influxql';

/** The device-level series whose points an InfluxDB panel can keep by department (`GET /api/series/:kind/filter`). */
export const ROUTED_SERIES = ['silences', 'anomalies'] as const;
export type RoutedSeries = (typeof ROUTED_SERIES)[number];

export function isRoutedSeries(kind: string): kind is RoutedSeries {
  return (ROUTED_SERIES as readonly string[]).includes(kind);
}

// The same tag name in both series.
const DEVICE_KIND_TAG = SILENCE_SERIES.tags.deviceKind;
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
export function routedSeriesCondition(series: RoutedSeries, departments: readonly string[] | undefined): string {
  if (departments === undefined) return EVERY_POINT;
  const wanted = departments.filter(isDepartment);
  const condition =
    series === 'silences' ? deviceKindCondition(wanted, silenceClass) : routedAnomaliesCondition(wanted);
  return condition ?? NO_POINT;
}

/** Each metric family whose devices some wanted department looks after: its metrics, and those devices' kinds. */
function routedAnomaliesCondition(departments: readonly Department[]): string | undefined {
  const terms: string[] = [];
  ANOMALY_METRIC_FAMILIES.forEach((family, i) => {
    const kinds = deviceKindCondition(departments, family.classOf);
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

/** The device kinds whose `classOf` events go to `departments`; undefined when none does. */
function deviceKindCondition(departments: readonly Department[], classOf: (deviceKind: string) => EventClass) {
  const { kinds, otherKinds } = deviceKindsRoutedTo(departments, classOf);
  if (!otherKinds) return kinds.length === 0 ? undefined : anyOfCondition(DEVICE_KIND_TAG, kinds);
  // Every kind but the known ones routed elsewhere: an unknown kind, or a point without one, is in.
  const elsewhere = DEVICE_KINDS.filter((kind) => !kinds.includes(kind));
  return elsewhere.length === 0 ? EVERY_POINT : noneOfCondition(DEVICE_KIND_TAG, elsewhere);
}
