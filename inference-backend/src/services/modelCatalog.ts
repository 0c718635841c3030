import { DEFAULT_MODEL_SPECS, type TargetSpec } from '../commands/train';
import { MAINTENANCE_HORIZON_H } from '../simulator/maintenanceHistory';
import { maintenanceModelName, REMAINING_LIFE_MODEL } from './maintenanceModel';
import type { RunToFailureTarget } from './maintenanceRetraining';
import { SERVED_MODELS } from './onnxModels';

/**
 * The one list of the models the product trains and serves: what each predicts, what it reads,
 * what serves while it has no champion, how it is loaded, the metric its promotion is judged on,
 * the groups its fairness is checked over, and how the scheduled retraining builds it. Adding a
 * model is one entry here (and its trainer), not edits in five files.
 */
export type ModelInputPort = 'syslog-lines' | 'tickets' | 'resolved-tickets' | 'plc-sensor-history';
export type ModelLoader = 'text-classifier' | 'mttr-trees' | 'tabular-trees';

export interface CatalogEntry {
  /** Registry name. */
  name: string;
  /** What it predicts, in words. */
  purpose: string;
  input: ModelInputPort;
  loader: ModelLoader;
  /** What serves while the model has no champion. */
  fallback: string;
  /** The figure the promotion gate compares (higher is better unless `lowerIsBetter`). */
  primaryMetric: 'f1' | 'accuracy' | 'mae_s';
  lowerIsBetter?: boolean;
  /** Columns of the training rows whose groups the per-segment gate and fairness tables compare. */
  segments: readonly string[];
  /**
   * How the scheduled retraining trains a challenger: `ticket-labels` = the ticket history plus
   * operators' verdicts and corrections from aiops_tickets/aiops_feedback (text classifiers of
   * `textSpec`); `resolved-tickets` = the history plus the tickets people resolved (the MTTR trees);
   * `line-labels` = the syslog corpus the champion learnt from plus the lines of the tickets
   * operators judged (`domain/mlops/lineLabels.ts`); `failure-history` = run-to-failure rows built
   * from the PLCs' sensor history in InfluxDB, a halt being where a PLC's sensor series stops
   * (`domain/timeseries/failureLabels.ts`). Absent: retrained by `nocai setup`/`nocai train` only, and why.
   */
  retrain?:
    | { from: 'ticket-labels'; textSpec: TargetSpec }
    | { from: 'line-labels'; textSpec: TargetSpec }
    | { from: 'resolved-tickets' }
    | { from: 'failure-history'; target: RunToFailureTarget };
  notRetrainedBecause?: string;
}

/** The text spec of a text classifier the retraining trains (ticket or line labels); undefined for the others. */
export function textSpecOf(entry: CatalogEntry): TargetSpec | undefined {
  const retrain = entry.retrain;
  return retrain?.from === 'ticket-labels' || retrain?.from === 'line-labels' ? retrain.textSpec : undefined;
}

const ticketSpec = (name: string): TargetSpec => {
  const spec = DEFAULT_MODEL_SPECS.tickets.find((s) => s.name === name);
  if (!spec) throw new Error(`no default spec for ${name}`);
  return spec;
};

const eventSpec = (name: string): TargetSpec => {
  const spec = DEFAULT_MODEL_SPECS.events.find((s) => s.name === name);
  if (!spec) throw new Error(`no default spec for ${name}`);
  return spec;
};

/**
 * The catalog with the failure model of `maintenanceHorizonH` (NOCAI_MAINTENANCE_HORIZON_H:
 * `plc-failure-<h>h`, the one the maintenance stage serves).
 */
export function modelCatalog(maintenanceHorizonH: number = MAINTENANCE_HORIZON_H): readonly CatalogEntry[] {
  return [
    ...TEXT_AND_TICKET_MODELS,
    {
      name: maintenanceModelName(maintenanceHorizonH),
      purpose: `PLC failure within ${maintenanceHorizonH} h`,
      input: 'plc-sensor-history',
      loader: 'tabular-trees',
      fallback: 'none: the maintenance stage does not run',
      primaryMetric: 'f1',
      segments: ['device_kind'],
      retrain: { from: 'failure-history', target: 'failure' },
    },
    REMAINING_LIFE_ENTRY,
  ];
}

const TEXT_AND_TICKET_MODELS: readonly CatalogEntry[] = [
  {
    name: SERVED_MODELS.eventClass,
    purpose: 'class of a syslog line',
    input: 'syslog-lines',
    loader: 'text-classifier',
    fallback: 'the rule classifier',
    primaryMetric: 'f1',
    segments: ['device_kind', 'site_kind'],
    retrain: { from: 'line-labels', textSpec: eventSpec(SERVED_MODELS.eventClass) },
  },
  {
    name: SERVED_MODELS.eventDecision,
    purpose: 'alert or noise for a syslog line',
    input: 'syslog-lines',
    loader: 'text-classifier',
    fallback: 'the rule classifier',
    primaryMetric: 'f1',
    segments: ['device_kind', 'site_kind'],
    retrain: { from: 'line-labels', textSpec: eventSpec(SERVED_MODELS.eventDecision) },
  },
  {
    name: SERVED_MODELS.ticketClass,
    purpose: 'class of a complaint or alert text',
    input: 'tickets',
    loader: 'text-classifier',
    fallback: 'the keyword router',
    primaryMetric: 'f1',
    segments: ['site_kind', 'device_kind'],
    retrain: { from: 'ticket-labels', textSpec: ticketSpec(SERVED_MODELS.ticketClass) },
  },
  {
    name: SERVED_MODELS.department,
    purpose: 'department a ticket goes to',
    input: 'tickets',
    loader: 'text-classifier',
    fallback: 'the keyword router',
    primaryMetric: 'f1',
    segments: ['site_kind', 'device_kind'],
    retrain: { from: 'ticket-labels', textSpec: ticketSpec(SERVED_MODELS.department) },
  },
  {
    name: SERVED_MODELS.priority,
    purpose: 'priority of a ticket',
    input: 'tickets',
    loader: 'text-classifier',
    fallback: 'the keyword router',
    primaryMetric: 'f1',
    segments: ['site_kind', 'device_kind'],
    retrain: { from: 'ticket-labels', textSpec: ticketSpec(SERVED_MODELS.priority) },
  },
  {
    name: SERVED_MODELS.mttr,
    purpose: 'time to resolve a ticket (P50, P90)',
    input: 'resolved-tickets',
    loader: 'mttr-trees',
    fallback: 'the median of the ticket history',
    primaryMetric: 'mae_s',
    lowerIsBetter: true,
    segments: ['department', 'site_kind'],
    retrain: { from: 'resolved-tickets' },
  },
];

const REMAINING_LIFE_ENTRY: CatalogEntry = {
  name: REMAINING_LIFE_MODEL,
  purpose: 'hours until a PLC halts (capped at 48 h)',
  input: 'plc-sensor-history',
  loader: 'tabular-trees',
  fallback: 'none: aiops_maintenance gets no remaining life',
  primaryMetric: 'mae_s',
  lowerIsBetter: true,
  segments: ['device_kind'],
  // Trained beside the failure model on the same rows and features, so the stage serves both.
  retrain: { from: 'failure-history', target: 'remaining-life' },
};

/** The catalog of the default horizon (24 h). */
export const MODEL_CATALOG: readonly CatalogEntry[] = modelCatalog();

export function catalogEntry(name: string): CatalogEntry | undefined {
  return MODEL_CATALOG.find((entry) => entry.name === name);
}
