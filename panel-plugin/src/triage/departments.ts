import { DEPARTMENTS } from '@nocai/contract/dist/vocabulary';

/** The departments a ticket may be corrected to, as the panel has them from its NOC AI data source. */
export type DepartmentsState =
  { kind: 'loading' } | { kind: 'loaded'; departments: string[] } | { kind: 'failed'; message: string };

export interface DepartmentChoices {
  departments: string[];
  /** Why only the six built-in departments are offered, when the data source's list could not be had. */
  note?: string;
}

/**
 * What the correction's Department dropdown offers: the departments the backend accepts (the six, then the
 * organisation's own), the six while they are asked for, and the six with a note saying why when the call failed,
 * so an operator knows that a missing own department is not refused by the backend. The ticket's own department is
 * always offered, so the dropdown can show it.
 */
export function departmentChoices(state: DepartmentsState, current: string | undefined): DepartmentChoices {
  const known = state.kind === 'loaded' ? state.departments : [...DEPARTMENTS];
  const departments = Array.from(new Set([...known, ...(current ? [current] : [])].filter((d) => d !== '')));
  if (state.kind !== 'failed') {
    return { departments };
  }
  return {
    departments,
    note: `Only the six built-in departments are offered: the organisation's own could not be loaded (${state.message}).`,
  };
}
