import type { Ticket } from '@nocai/contract';

import { applyFeedback, feedbackReducer, INITIAL_FEEDBACK_STATE } from './feedback';
import type { TriageRow } from './rows';
import {
  applyWorkflow,
  assigneeProblem,
  correctionsOf,
  INITIAL_WORKFLOW_STATE,
  statusActions,
  workflowErrors,
  workflowReducer,
  type WorkflowState,
} from './workflow';

const ROW: TriageRow = {
  key: 'T-1',
  ticketId: 'T-1',
  status: 'open',
  department: 'network_ops',
  needsReview: false,
  version: 3,
  explanation: [],
  similar: [],
};

const saved = (over: Partial<Ticket>): Ticket =>
  ({ id: 'T-1', status: 'open', needsReview: false, department: 'network_ops', version: 4, ...over }) as Ticket;

const reduce = (...actions: Array<Parameters<typeof workflowReducer>[1]>): WorkflowState =>
  actions.reduce(workflowReducer, INITIAL_WORKFLOW_STATE);
const show = (state: WorkflowState, row: TriageRow = ROW) => applyWorkflow(applyFeedback([row], {}), state)[0];

describe('workflow state', () => {
  it('When Acknowledge is clicked, then the row shows acknowledged at once, as pending', () => {
    const state = reduce({ type: 'submitted', ticketId: 'T-1', change: { status: 'acknowledged' } });
    expect(show(state)).toMatchObject({ status: 'acknowledged', workflowProgress: 'pending' });
  });

  it('When the backend accepts, then the row shows what it returned, with the new version for the next change', () => {
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', change: { assignee: 'team:facilities', department: 'facilities' } },
      {
        type: 'saved',
        ticketId: 'T-1',
        ticket: saved({
          assignee: 'team:facilities',
          department: 'facilities',
          predicted: { eventClass: 'network', department: 'network_ops', priority: 'P2' },
          change: { kind: 'corrected', by: 'alice', atMs: 1, summary: 'department network_ops → facilities' },
        }),
      }
    );
    expect(show(state)).toMatchObject({
      assignee: 'team:facilities',
      department: 'facilities',
      predicted: { department: 'network_ops' },
      version: 4,
      changedBy: 'alice',
      workflowProgress: 'saved',
    });
  });

  it('When a priority correction is saved, then the row shows the time to resolve the backend estimated for the new priority', () => {
    const row: TriageRow = { ...ROW, priority: 'P3', mttrP50Seconds: 7200, mttrP90Seconds: 14_400, mttrNote: 'old' };
    const factors = [{ feature: 'priority=P1', weight: -0.9 }];
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', change: { priority: 'P1' } },
      {
        type: 'saved',
        ticketId: 'T-1',
        ticket: saved({ priority: 'P1', mttrP50Seconds: 1800, mttrP90Seconds: 5400, mttrFactors: factors }),
      }
    );
    const shown = show(state, row);
    expect(shown).toMatchObject({ priority: 'P1', mttrP50Seconds: 1800, mttrP90Seconds: 5400, mttrFactors: factors });
    expect(shown.mttrNote).toBeUndefined();
  });

  it('When the backend refuses, then the row rolls back and the message is listed until dismissed', () => {
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', change: { status: 'resolved' } },
      { type: 'refused', ticketId: 'T-1', message: 'ticket T-1 is at version 5, not 3' }
    );
    expect(show(state)).toMatchObject({ status: 'open', workflowProgress: 'refused' });
    expect(workflowErrors(state)).toEqual([{ ticketId: 'T-1', message: 'ticket T-1 is at version 5, not 3' }]);
    expect(workflowErrors(workflowReducer(state, { type: 'dismissed', ticketId: 'T-1' }))).toEqual([]);
  });

  it('When the data is refreshed past a saved change, then the fresh row wins', () => {
    const state = reduce({ type: 'saved', ticketId: 'T-1', ticket: saved({ status: 'acknowledged', version: 4 }) });
    expect(show(state, { ...ROW, status: 'in_progress', version: 6 })).toMatchObject({
      status: 'in_progress',
      version: 6,
    });
  });

  it('When a verdict was saved after a workflow change, then the later one (the verdict closing it) shows', () => {
    const workflow = reduce({ type: 'saved', ticketId: 'T-1', ticket: saved({ status: 'acknowledged', version: 4 }) });
    const feedback = feedbackReducer(INITIAL_FEEDBACK_STATE, {
      type: 'saved',
      ticketId: 'T-1',
      ticket: { status: 'closed', needsReview: false, feedback: { verdict: 'invalid', atMs: 1 }, version: 5 },
    });
    const [row] = applyWorkflow(applyFeedback([ROW], feedback), workflow);
    expect(row).toMatchObject({ status: 'closed', version: 5, feedbackVerdict: 'invalid' });
  });
});

describe('statusActions', () => {
  it('When a ticket is open, then it can be acknowledged, started or resolved, nothing else', () => {
    expect(statusActions('open').map((a) => a.label)).toEqual(['Acknowledge', 'Start work', 'Resolve']);
  });

  it('When a ticket waits for review, is resolved or closed, then the buttons follow the contract moves', () => {
    expect(statusActions('needs_review').map((a) => a.label)).toEqual(['Confirm', 'Acknowledge']);
    expect(statusActions('auto_resolved').map((a) => [a.to, a.label])).toEqual([
      ['closed', 'Close'],
      ['open', 'Reopen'],
    ]);
    expect(statusActions('closed')).toEqual([]);
    // Event rows carry a decision, not a ticket status.
    expect(statusActions('false_alarm')).toEqual([]);
  });
});

describe('assigneeProblem', () => {
  it('When the assignee is a person or a team, then it is accepted; otherwise the format is shown before sending', () => {
    expect(assigneeProblem(' user:alice ')).toBeUndefined();
    expect(assigneeProblem('team:network_ops')).toBeUndefined();
    expect(assigneeProblem('alice')).toMatch(/^use user:<login>/);
    expect(assigneeProblem('')).toBe('type who takes it');
  });
});

describe('corrections shown in the details', () => {
  it('When a person corrected the department and the models now agree with them, then the details still name it as corrected', () => {
    expect(
      correctionsOf({
        department: 'facilities',
        priority: 'P1',
        predicted: { eventClass: 'power', department: 'facilities', priority: 'P2' },
        corrected: ['department', 'priority'],
      })
    ).toEqual(['department (the models now agree)', 'priority (was P2)']);
  });

  it('When a row was stored before corrected fields were listed, then the fields that differ from the models are named', () => {
    expect(
      correctionsOf({
        department: 'facilities',
        priority: 'P2',
        predicted: { department: 'network_ops', priority: 'P2' },
      })
    ).toEqual(['department (was network_ops)']);
    expect(correctionsOf({ department: 'facilities' })).toEqual([]);
  });

  it('When the backend saves a correction back to the models answer, then the row no longer shows anything corrected', () => {
    const row: TriageRow = {
      ...ROW,
      department: 'facilities',
      predicted: { department: 'network_ops' },
      corrected: ['department'],
    };
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', change: { department: 'network_ops' } },
      { type: 'saved', ticketId: 'T-1', ticket: saved({ department: 'network_ops' }) }
    );
    const shown = show(state, row);
    expect(shown).toMatchObject({ department: 'network_ops' });
    expect(correctionsOf(shown)).toEqual([]);
  });
});
