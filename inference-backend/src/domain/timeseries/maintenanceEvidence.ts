import type { ClassifiedEvent } from '../incidents/types';

/** A device whose predicted risk of failure crossed the alert threshold (aiops_maintenance, alarm = true). */
export interface MaintenanceAlarmRecord {
  timeUs: number;
  host: string;
  deviceKind: string;
  /** Probability of a failure within `horizonHours`. */
  probability: number;
  horizonHours: number;
  /** `measurement.field` of the sensor that raised the risk most; empty when none stood out. */
  topFactor: string;
  /**
   * The sensors that moved the risk most, the top factor first: last value and exact SHAP
   * contribution to the log-odds of failure. Absent for models explained by occlusion.
   */
  factors?: { feature: string; value?: number; weight: number }[];
  modelVersion: string;
}

/** The appname of maintenance predictions in the incident engine (and in a ticket's related alerts). */
export const MAINTENANCE_APPNAME = 'nocai-maintenance';

/**
 * The prediction as an alert of the incident engine: unlike a metric's anomaly episode it opens a
 * ticket by itself (hardware, so the maintenance department for machines) before the failure, and
 * the device's own warnings and its halt then join that ticket. Its explanation names the factor.
 */
export function maintenanceEvent(alarm: MaintenanceAlarmRecord): ClassifiedEvent {
  const factor = alarm.topFactor ? `; top factor ${alarm.topFactor}` : '';
  return {
    timeUs: alarm.timeUs,
    hostname: alarm.host,
    appname: MAINTENANCE_APPNAME,
    severity: 'err',
    message:
      `failure within ${alarm.horizonHours} h predicted for ${alarm.host} ` +
      `(probability ${alarm.probability.toFixed(2)}${factor})`,
    templateId: 'maintenance.failure_risk',
    eventClass: 'hardware',
    decision: 'alert',
    confidence: Math.max(0, Math.min(1, alarm.probability)),
    modelVersion: alarm.modelVersion,
    explanation: alarm.factors?.length
      ? alarm.factors.map((f) => ({ ...f }))
      : alarm.topFactor
        ? [{ feature: alarm.topFactor, weight: Math.round(alarm.probability * 1000) / 1000 }]
        : [],
  };
}
