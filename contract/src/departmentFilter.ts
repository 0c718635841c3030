import { z } from 'zod';
import { anyOf } from './anyOf';
import { DEPARTMENTS, isDepartment } from './vocabulary';

/**
 * The departments a ticket may be in: the six the routing knows, then the others of `known` (those tickets carry,
 * those the serving department model can output), sorted. A department model trained on an organisation's own
 * ticket history (`nocai train --department`, the retraining from `NOCAI_TICKET_HISTORY`) routes tickets to that
 * organisation's department names, which Grafana's `$department` then offers and an operator corrects a ticket to.
 * Any other value is a typo, refused naming the departments accepted
 * (`department must be one of field_technicians, …, maintenance (got "facilites")`).
 */
export function departmentValue(known: Iterable<string> = []) {
  return z.enum(acceptedDepartments(known));
}

/**
 * The departments `departmentValue` accepts, in its order: the six, then the organisation's own of `known`, sorted
 * (`GET /api/values/department`, for the correction dropdown and Grafana's `$department`).
 */
export function acceptedDepartments(known: Iterable<string> = []): string[] {
  const others = [...new Set(known)].filter((d) => d !== '' && !isDepartment(d)).sort();
  return [...DEPARTMENTS, ...others];
}

/**
 * The `department` filter of the tickets and events lists: one department or a comma-separated list of them,
 * each one `departmentValue` accepts, so that a typo is refused rather than answered with an empty list that
 * looks like a department without tickets.
 */
export function departmentFilter(known: Iterable<string> = []) {
  return anyOf(departmentValue(known));
}
