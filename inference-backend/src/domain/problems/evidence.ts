import type { Department, EventClass, Explanation, Priority } from '@nocai/contract';
import type { ClassifiedEvent } from '../incidents/types';
import type { ProblemShap } from './explanation';

/** A served problem's probability crossing its threshold for one entity (aiops_problems, alert = true). */
export interface ProblemAlarmRecord {
  timeUs: number;
  problem: string;
  /** The value of the problem's entity tag (a host). */
  entity: string;
  probability: number;
  threshold: number;
  horizonHours: number;
  /** Median lead of the model's alerts before the event on validation, hours; null when none was warned. */
  leadTimeHours: number | null;
  /** The top factors: features with their value in the row and SHAP contribution (in `shap.space`). */
  explanation: Explanation[];
  /** The alert's whole explanation: base value, every contribution, the output they add up to. */
  shap?: ProblemShap;
  recommendation: string;
  department: Department;
  priority: Priority;
  modelVersion: string;
}

/** The appname of problem alerts in the incident engine (and in a ticket's related alerts). */
export const PROBLEM_APPNAME = 'nocai-problem';

/**
 * A problem names the department its tickets go to, not a class: the class a ticket of that
 * department is usually about, so the ticket's class agrees with its routing.
 */
const CLASS_OF_DEPARTMENT: Record<Department, EventClass> = {
  field_technicians: 'hardware',
  network_ops: 'network',
  it_ops: 'software',
  security: 'security',
  facilities: 'environment',
  maintenance: 'hardware',
};

const hours = (h: number) => (Number.isInteger(h) ? `${h} h` : `${Math.round(h * 60)} min`);

/**
 * The alert as evidence of the incident engine: like a failure prediction it opens a ticket by
 * itself, about the entity (a device), routed to the problem's department with its priority, and
 * the entity's own alerts then join that ticket. The ticket shows the probability, the horizon,
 * the top factors and the recommendation.
 */
export function problemEvent(alarm: ProblemAlarmRecord): ClassifiedEvent {
  const lead = alarm.leadTimeHours === null ? '' : `, its alerts came a median ${hours(alarm.leadTimeHours)} ahead`;
  return {
    timeUs: alarm.timeUs,
    hostname: alarm.entity,
    appname: PROBLEM_APPNAME,
    severity: 'err',
    message:
      `${alarm.problem} predicted within ${hours(alarm.horizonHours)} on ${alarm.entity} ` +
      `(probability ${alarm.probability.toFixed(2)}, threshold ${alarm.threshold.toFixed(2)}${lead})` +
      (alarm.recommendation ? `; ${alarm.recommendation}` : ''),
    templateId: `problem.${alarm.problem}`,
    eventClass: CLASS_OF_DEPARTMENT[alarm.department],
    decision: 'alert',
    confidence: Math.max(0, Math.min(1, alarm.probability)),
    modelVersion: alarm.modelVersion,
    explanation: alarm.explanation,
    routing: {
      department: alarm.department,
      priority: alarm.priority,
      title: `Predicted ${alarm.problem} on ${alarm.entity} within ${hours(alarm.horizonHours)}`,
      recommendation: alarm.recommendation,
      problem: alarm.problem,
    },
  };
}
