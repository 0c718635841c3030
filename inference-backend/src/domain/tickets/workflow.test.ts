import { SETTABLE_STATUSES, STATUS_MOVES, TICKET_STATUSES, type SettableStatus, type Ticket } from '@nocai/contract';
import { TicketError, TicketTransitionError } from './errors';
import { sampleTicket } from './ticketFixture';
import { addComment, applyFeedback, applyWorkflowChange, checkVersion, resolveBySystem } from './workflow';

const T0 = Date.UTC(2024, 2, 5, 12);
const ticket = (over: Partial<Ticket> = {}): Ticket =>
  sampleTicket({
    id: 'CMP-1',
    openedAtMs: T0,
    updatedAtMs: T0,
    department: 'field_technicians',
    mttrP50Seconds: 1800,
    modelVersion: 'rules',
    version: 4,
    ...over,
  });
const alice = { by: 'alice', atMs: T0 + 60_000 };
const bob = { by: 'bob', atMs: T0 + 120_000 };

describe('workflow: status moves', () => {
  it('When an operator walks a ticket open → acknowledged → in progress → resolved → closed, then each step is recorded with who and when', () => {
    const steps: SettableStatus[] = ['acknowledged', 'in_progress', 'resolved', 'closed'];
    let current = ticket();
    for (const status of steps) current = applyWorkflowChange(current, { status }, alice);

    expect(current).toMatchObject({ status: 'closed', version: 8, resolvedAtMs: alice.atMs, updatedAtMs: alice.atMs });
    expect(current.change).toEqual({
      kind: 'status',
      by: 'alice',
      atMs: alice.atMs,
      summary: 'status resolved → closed',
    });
  });

  it('When a resolved or auto-resolved ticket is reopened, then it is open again and no longer marked resolved', () => {
    for (const from of ['resolved', 'auto_resolved'] as const) {
      const done = ticket({
        status: from,
        resolvedAtMs: T0,
        autoResolved: from === 'auto_resolved' ? true : undefined,
      });
      const reopened = applyWorkflowChange(done, { status: 'open', comment: 'it is back' }, alice);
      expect(reopened).toMatchObject({ status: 'open', resolvedAtMs: undefined, autoResolved: undefined });
      expect(reopened.comments).toEqual([{ text: 'it is back', by: 'alice', atMs: alice.atMs }]);
    }
  });

  it('When a move skips past resolution or goes backwards, then it is refused naming the moves allowed', () => {
    expect(() => applyWorkflowChange(ticket(), { status: 'closed' }, alice)).toThrow(
      'ticket CMP-1 cannot go from open to closed: from open it can go to acknowledged, in_progress, resolved'
    );
    expect(() => applyWorkflowChange(ticket({ status: 'in_progress' }), { status: 'acknowledged' }, alice)).toThrow(
      TicketTransitionError
    );
    expect(() => applyWorkflowChange(ticket({ status: 'resolved' }), { status: 'in_progress' }, alice)).toThrow(
      /from resolved it can go to closed, open/
    );
  });

  it('When every status pair is tried, then exactly the contract moves are accepted and nothing leaves closed', () => {
    for (const from of TICKET_STATUSES) {
      for (const to of SETTABLE_STATUSES) {
        if (from === to) continue;
        const attempt = () => applyWorkflowChange(ticket({ status: from }), { status: to }, alice);
        if (STATUS_MOVES[from].includes(to)) expect(attempt().status).toBe(to);
        else expect(attempt).toThrow(TicketError);
      }
    }
  });

  it('When a ticket waiting for review is acknowledged, then it leaves the review queue', () => {
    const acknowledged = applyWorkflowChange(
      ticket({ status: 'needs_review', needsReview: true }),
      { status: 'acknowledged' },
      alice
    );
    expect(acknowledged).toMatchObject({ status: 'acknowledged', needsReview: false });
  });
});

describe('workflow: assignment, corrections and comments', () => {
  it('When a ticket is assigned, reassigned and unassigned, then each is a change of kind assigned', () => {
    const assigned = applyWorkflowChange(ticket(), { assignee: 'user:alice' }, alice);
    const team = applyWorkflowChange(assigned, { assignee: 'team:network_ops' }, bob);
    const none = applyWorkflowChange(team, { assignee: null }, bob);

    expect([assigned.assignee, team.assignee, none.assignee]).toEqual(['user:alice', 'team:network_ops', undefined]);
    expect([assigned.change?.summary, team.change?.summary, none.change?.summary]).toEqual([
      'assignee → user:alice',
      'assignee → team:network_ops',
      'unassigned',
    ]);
    expect(none.change?.kind).toBe('assigned');
  });

  it('When the department is corrected, then the models routing is kept as predicted, a label for training', () => {
    const corrected = applyWorkflowChange(ticket(), { department: 'facilities', priority: 'P1' }, alice);

    expect(corrected).toMatchObject({
      department: 'facilities',
      priority: 'P1',
      predicted: { eventClass: 'power', department: 'field_technicians', priority: 'P2' },
      corrected: ['department', 'priority'],
      change: { kind: 'corrected', summary: 'department field_technicians → facilities; priority P2 → P1' },
    });
    // A second correction keeps what the models said, not the first correction.
    const again = applyWorkflowChange(corrected, { department: 'maintenance' }, bob);
    expect(again.predicted?.department).toBe('field_technicians');
    expect(again.corrected).toEqual(['department', 'priority']);
    // The priority set back to the models' answer: only the department is still corrected.
    const half = applyWorkflowChange(again, { priority: 'P2' }, bob);
    expect(half).toMatchObject({ priority: 'P2', corrected: ['department'], predicted: { priority: 'P2' } });
    // Corrected back to the models' answer: nothing is corrected any more.
    const undone = applyWorkflowChange(half, { department: 'field_technicians' }, bob);
    expect(undone.predicted).toBeUndefined();
    expect(undone.corrected).toBeUndefined();
  });

  it('When the models came to agree with a correction, then the field stays corrected and changing another field keeps it so', () => {
    // Corrected to facilities, then the models' latest answer said facilities too.
    const agreed = ticket({
      department: 'facilities',
      predicted: { eventClass: 'power', department: 'facilities', priority: 'P2' },
      corrected: ['department'],
    });

    const changed = applyWorkflowChange(agreed, { priority: 'P1' }, alice);

    expect(changed).toMatchObject({
      department: 'facilities',
      priority: 'P1',
      corrected: ['department', 'priority'],
      predicted: { department: 'facilities', priority: 'P2' },
    });
  });

  it('When a ticket stored before corrections were listed is changed, then its corrections are read from where it differs from the models', () => {
    const stored = ticket({
      department: 'facilities',
      predicted: { eventClass: 'power', department: 'field_technicians', priority: 'P2' },
    });

    const changed = applyWorkflowChange(stored, { eventClass: 'environment' }, alice);

    expect(changed).toMatchObject({ corrected: ['eventClass', 'department'], department: 'facilities' });
  });

  it('When a change would change nothing, then the same ticket comes back (nothing to write)', () => {
    const current = ticket({ assignee: 'user:alice' });
    expect(
      applyWorkflowChange(current, { status: 'open', assignee: 'user:alice', department: 'field_technicians' }, alice)
    ).toBe(current);
  });

  it('When a status move, an assignee and a comment come together, then one change records all three, named after the status', () => {
    const changed = applyWorkflowChange(
      ticket(),
      { status: 'acknowledged', assignee: 'user:bob', comment: 'bob takes it' },
      alice
    );
    expect(changed.change).toMatchObject({
      kind: 'status',
      summary: 'status open → acknowledged; assignee → user:bob; comment',
    });
    expect(changed.comments?.at(-1)).toMatchObject({ text: 'bob takes it', by: 'alice' });
    expect(changed.version).toBe(5);
  });

  it('When more comments than a ticket keeps are added, then the newest stay, oldest first', () => {
    let current = ticket();
    for (let i = 0; i < 12; i++) current = addComment(current, `note ${i}`, { by: 'alice', atMs: T0 + i });
    expect(current.comments?.map((c) => c.text)).toEqual(Array.from({ length: 10 }, (_, i) => `note ${i + 2}`));
    expect(current.change?.kind).toBe('commented');
  });

  it('When anything but a verdict is tried on a closed ticket, then it is refused and says why', () => {
    const closed = ticket({ status: 'closed' });
    expect(() => applyWorkflowChange(closed, { assignee: 'user:alice' }, alice)).toThrow(
      'ticket CMP-1 is closed: it takes no workflow changes; a fault that comes back is a new ticket'
    );
    expect(() => addComment(closed, 'hello', alice)).toThrow(/is closed: it takes no comments/);
    expect(applyFeedback(closed, { verdict: 'valid' }, alice)).toMatchObject({
      status: 'closed',
      feedback: { verdict: 'valid' },
    });
  });
});

describe('workflow: verdicts', () => {
  it('When a ticket waiting for review is judged invalid, then it leaves needs_review and is closed as a false positive', () => {
    const closed = applyFeedback(
      ticket({ status: 'needs_review', needsReview: true }),
      { verdict: 'invalid', comment: 'test alarm' },
      alice
    );
    expect(closed).toMatchObject({
      status: 'closed',
      needsReview: false,
      feedback: { verdict: 'invalid', comment: 'test alarm', atMs: alice.atMs },
      change: { kind: 'status', summary: 'verdict invalid; status needs_review → closed (false positive)' },
    });
  });

  it('When an open or in-progress ticket is judged invalid, then it is closed too', () => {
    expect(applyFeedback(ticket({ status: 'in_progress' }), { verdict: 'invalid' }, alice).status).toBe('closed');
  });

  it('When a ticket waiting for review is judged valid or avoided, then it opens; elsewhere the status stays', () => {
    expect(
      applyFeedback(ticket({ status: 'needs_review', needsReview: true }), { verdict: 'avoided' }, alice)
    ).toMatchObject({
      status: 'open',
      needsReview: false,
    });
    const kept = applyFeedback(ticket({ status: 'acknowledged' }), { verdict: 'valid' }, alice);
    expect(kept).toMatchObject({ status: 'acknowledged', change: { kind: 'verdict', summary: 'verdict valid' } });
  });

  // InfluxDB stores an empty comment as no comment: the ticket must read the same before and after a restart.
  it('When a verdict comes with an empty comment, then the ticket holds no comment', () => {
    const judged = applyFeedback(ticket(), { verdict: 'valid', comment: '' }, alice);
    expect(judged.feedback).toEqual({ verdict: 'valid', atMs: alice.atMs });
  });
});

describe('workflow: versions and the backend own resolution', () => {
  it('When the version given is the current one (or any), then the change goes ahead; another is stale', () => {
    const current = ticket({ change: { kind: 'assigned', by: 'bob', atMs: T0, summary: 'assignee → user:bob' } });
    expect(() => checkVersion(current, 4)).not.toThrow();
    expect(() => checkVersion(current, undefined)).not.toThrow();
    let error: unknown;
    try {
      checkVersion(current, 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TicketError);
    expect(error).toMatchObject({
      kind: 'stale_version',
      currentVersion: 4,
      message:
        'ticket CMP-1 is at version 4, not 3: it changed since you read it (last by bob: assignee → user:bob); reload it and try again',
    });
  });

  it('When the backend resolves an active ticket, then it is resolved by nocai; a done ticket is left as it is', () => {
    const engine = { by: 'nocai', atMs: T0 + 1 };
    expect(resolveBySystem(ticket({ status: 'in_progress' }), 'resolved', engine, T0 - 5)).toMatchObject({
      status: 'resolved',
      resolvedAtMs: T0 - 5,
      change: { by: 'nocai', kind: 'status' },
    });
    const closed = ticket({ status: 'closed' });
    expect(resolveBySystem(closed, 'auto_resolved', engine)).toBe(closed);
  });
});
