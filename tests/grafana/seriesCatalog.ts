import {
  ANOMALY_SERIES,
  AUDIT_SERIES,
  DRIFT_SERIES,
  FEEDBACK_SERIES,
  FORECAST_SERIES,
  INPUT,
  MAINTENANCE_SERIES,
  MODEL_METRICS_SERIES,
  OUTPUT,
  PROBLEM_SERIES,
  SILENCE_SERIES,
  TICKET_SERIES,
} from '@nocai/contract';

/** Tag and field names a query may use on one measurement, as contract/ declares them. */
export interface MeasurementNames {
  tags: ReadonlySet<string>;
  fields: ReadonlySet<string>;
}

interface SeriesDeclaration {
  measurement: string;
  tags?: Record<string, string>;
  fields?: Record<string, string>;
}

const DECLARATIONS: SeriesDeclaration[] = [
  ...Object.values(INPUT),
  OUTPUT.events,
  TICKET_SERIES,
  FEEDBACK_SERIES,
  SILENCE_SERIES,
  ANOMALY_SERIES,
  FORECAST_SERIES,
  MAINTENANCE_SERIES,
  MODEL_METRICS_SERIES,
  DRIFT_SERIES,
  AUDIT_SERIES,
  PROBLEM_SERIES,
];

/** Every measurement contract/ declares, with its tags and fields (merged if declared twice). */
export function contractCatalog(): Map<string, MeasurementNames> {
  const catalog = new Map<string, { tags: Set<string>; fields: Set<string> }>();
  for (const output of Object.values(OUTPUT)) {
    catalog.set(output.measurement, { tags: new Set(), fields: new Set() });
  }
  for (const declaration of DECLARATIONS) {
    const entry = catalog.get(declaration.measurement) ?? { tags: new Set<string>(), fields: new Set<string>() };
    Object.values(declaration.tags ?? {}).forEach((tag) => entry.tags.add(tag));
    Object.values(declaration.fields ?? {}).forEach((field) => entry.fields.add(field));
    catalog.set(declaration.measurement, entry);
  }
  return catalog;
}
