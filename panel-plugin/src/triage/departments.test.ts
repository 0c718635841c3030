import { DEPARTMENTS } from '@nocai/contract/dist/vocabulary';

import { departmentChoices } from './departments';

describe('departmentChoices', () => {
  it("When the data source answered, then its departments are offered in its order, the organisation's own after the six", () => {
    const departments = [...DEPARTMENTS, 'noc_tier2'];

    expect(departmentChoices({ kind: 'loaded', departments }, 'network_ops')).toEqual({ departments });
  });

  it('When the call failed, then the six are offered with a note saying why, and the ticket’s own department stays', () => {
    const choices = departmentChoices({ kind: 'failed', message: '502 Bad Gateway' }, 'noc_tier2');

    expect(choices.departments).toEqual([...DEPARTMENTS, 'noc_tier2']);
    expect(choices.note).toBe(
      "Only the six built-in departments are offered: the organisation's own could not be loaded (502 Bad Gateway)."
    );
  });

  it('When the list is still asked for, then the six are offered without a note', () => {
    expect(departmentChoices({ kind: 'loading' }, undefined)).toEqual({ departments: [...DEPARTMENTS] });
  });
});
