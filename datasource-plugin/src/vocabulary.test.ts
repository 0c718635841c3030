import * as contract from '@nocai/contract';

import { DECISIONS, DEPARTMENTS, EVENT_CLASSES, FEEDBACK_VERDICTS, PRIORITIES, TICKET_STATUSES } from './vocabulary';

describe('vocabulary', () => {
  it('When the editor suggests statuses and verdicts, then they are the contract workflow lists', () => {
    expect(TICKET_STATUSES).toEqual(contract.TICKET_STATUSES);
    expect(FEEDBACK_VERDICTS).toEqual(contract.FEEDBACK_VERDICTS);
  });

  it('When the editor suggests classes, departments, priorities and decisions, then they are the contract lists', () => {
    expect(EVENT_CLASSES).toEqual(contract.EVENT_CLASSES);
    expect(DEPARTMENTS).toEqual(contract.DEPARTMENTS);
    expect(PRIORITIES).toEqual(contract.PRIORITIES);
    expect(DECISIONS).toEqual(contract.DECISIONS);
  });
});
