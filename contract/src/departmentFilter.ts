import { z } from 'zod';
import { anyOf } from './anyOf';
import { DEPARTMENTS, isDepartment } from './vocabulary';

/**
 * The `department` filter of the tickets and events lists: one department or a comma-separated list of them,
 * each one of the six the routing knows or one that a ticket carries (`ticketDepartments`). A department model
 * trained on an organisation's own ticket history (`nocai train --department`, the retraining from
 * `NOCAI_TICKET_HISTORY`) routes tickets to that organisation's department names, which Grafana's `$department`
 * then offers: those are filtered on, not refused. Any other value is a typo, refused naming the departments
 * accepted (`department must be one of field_technicians, …, maintenance (got "facilites")`) rather than
 * answered with an empty list that looks like a department without tickets.
 */
export function departmentFilter(ticketDepartments: Iterable<string> = []) {
  const others = [...new Set(ticketDepartments)].filter((d) => d !== '' && !isDepartment(d)).sort();
  return anyOf(z.enum([...DEPARTMENTS, ...others]));
}
