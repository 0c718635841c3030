import type {
  RoutingField,
  SettableStatus,
  Ticket,
  TicketComment,
  TicketRouting,
  TicketUpdateRequest,
} from '@nocai/contract';
import { ASSIGNEE_FORMAT, ASSIGNEE_PATTERN, isTicketStatus, STATUS_MOVES } from '@nocai/contract/dist/ticketWorkflow';

import { isCurrent, newestVersion, type RowWithFeedback } from './feedback';
import type { TriageRow } from './rows';

/** A workflow change as the panel asks for it; the version comes from the row. */
export type WorkflowChange = Omit<TicketUpdateRequest, 'version'>;

/** What a ticket looks like after a workflow change: the fields a change can touch. */
interface WorkflowOverlay {
  status?: string;
  needsReview?: boolean;
  /** `null`: unassigned. */
  assignee?: string | null;
  eventClass?: string;
  department?: string;
  priority?: string;
  comments?: TicketComment[];
  /** `null`: nothing is corrected (any more). */
  predicted?: Partial<TicketRouting> | null;
  corrected?: RoutingField[] | null;
  changedBy?: string;
  changeSummary?: string;
  version?: number;
  /** The time to resolve as the backend answered: a correction of the routing estimates it again. */
  mttr?: Pick<TriageRow, 'mttrP50Seconds' | 'mttrP90Seconds' | 'mttrNote' | 'mttrFactors'>;
}

/**
 * Workflow changes of one ticket in this panel, like verdicts (`feedback.ts`): `pending` is shown at once
 * while the request runs, `confirmed` is the backend's answer (shown until the data holds a later version),
 * and a refusal drops `pending` (the row rolls back) and keeps the backend's message in `error`.
 */
export interface TicketWorkflowState {
  pending?: WorkflowOverlay;
  confirmed?: WorkflowOverlay;
  error?: string;
}

export type WorkflowState = Readonly<Record<string, TicketWorkflowState>>;

export type WorkflowAction =
  | { type: 'submitted'; ticketId: string; change: WorkflowChange }
  | { type: 'commented'; ticketId: string }
  | { type: 'saved'; ticketId: string; ticket: Ticket }
  | { type: 'refused'; ticketId: string; message: string }
  | { type: 'dismissed'; ticketId: string };

export const INITIAL_WORKFLOW_STATE: WorkflowState = {};

export function workflowReducer(state: WorkflowState, action: WorkflowAction): WorkflowState {
  const current = state[action.ticketId] ?? {};
  switch (action.type) {
    case 'submitted':
      return { ...state, [action.ticketId]: { confirmed: current.confirmed, pending: pendingOverlay(action.change) } };
    case 'commented':
      // A comment changes nothing the row shows until the backend answers; it is pending all the same.
      return { ...state, [action.ticketId]: { confirmed: current.confirmed, pending: {} } };
    case 'saved':
      return { ...state, [action.ticketId]: { confirmed: savedOverlay(action.ticket) } };
    case 'refused':
      return { ...state, [action.ticketId]: { confirmed: current.confirmed, error: action.message } };
    case 'dismissed':
      return { ...state, [action.ticketId]: { confirmed: current.confirmed } };
  }
}

function pendingOverlay(change: WorkflowChange): WorkflowOverlay {
  const overlay: WorkflowOverlay = {};
  if (change.status !== undefined) {
    overlay.status = change.status;
    overlay.needsReview = false;
  }
  if (change.assignee !== undefined) {
    overlay.assignee = change.assignee;
  }
  for (const field of ['eventClass', 'department', 'priority'] as const) {
    if (change[field] !== undefined) {
      overlay[field] = change[field];
    }
  }
  return overlay;
}

function savedOverlay(ticket: Ticket): WorkflowOverlay {
  return {
    status: ticket.status,
    needsReview: ticket.needsReview,
    assignee: ticket.assignee ?? null,
    eventClass: ticket.eventClass,
    department: ticket.department,
    priority: ticket.priority,
    comments: ticket.comments ?? [],
    predicted: ticket.predicted ?? null,
    corrected: ticket.corrected ?? null,
    changedBy: ticket.change?.by,
    changeSummary: ticket.change?.summary,
    version: ticket.version,
    mttr:
      typeof ticket.mttrP50Seconds === 'number'
        ? {
            mttrP50Seconds: ticket.mttrP50Seconds,
            mttrP90Seconds: ticket.mttrP90Seconds,
            mttrNote: ticket.mttrNote,
            mttrFactors: ticket.mttrFactors,
          }
        : undefined,
  };
}

export type WorkflowProgress = 'idle' | 'pending' | 'saved' | 'refused';

export interface RowWithWorkflow extends RowWithFeedback {
  workflowProgress: WorkflowProgress;
}

/** The rows with pending workflow changes applied and refused ones rolled back (after `applyFeedback`). */
export function applyWorkflow(rows: readonly RowWithFeedback[], state: WorkflowState): RowWithWorkflow[] {
  return rows.map((row) => {
    const entry = row.ticketId === undefined ? undefined : state[row.ticketId];
    const progress: WorkflowProgress = entry?.pending
      ? 'pending'
      : entry?.error
        ? 'refused'
        : entry?.confirmed
          ? 'saved'
          : 'idle';
    let shown: RowWithFeedback = row;
    // A verdict saved after this change (a later version) already shows the newer state.
    if (entry?.confirmed && isCurrent(entry.confirmed.version, row.version)) {
      shown = withOverlay(shown, entry.confirmed);
    }
    if (entry?.pending) {
      shown = withOverlay(shown, entry.pending);
    }
    return { ...shown, workflowProgress: progress };
  });
}

function withOverlay(row: RowWithFeedback, overlay: WorkflowOverlay): RowWithFeedback {
  const shown: RowWithFeedback = { ...row, version: newestVersion(row.version, overlay.version) };
  if (overlay.assignee !== undefined) {
    shown.assignee = overlay.assignee ?? undefined;
  }
  if (overlay.predicted !== undefined) {
    shown.predicted = overlay.predicted ?? undefined;
  }
  if (overlay.corrected !== undefined) {
    shown.corrected = overlay.corrected ?? undefined;
  }
  for (const field of ['status', 'needsReview', 'eventClass', 'department', 'priority'] as const) {
    if (overlay[field] !== undefined) {
      Object.assign(shown, { [field]: overlay[field] });
    }
  }
  for (const field of ['comments', 'changedBy', 'changeSummary'] as const) {
    if (overlay[field] !== undefined) {
      Object.assign(shown, { [field]: overlay[field] });
    }
  }
  if (overlay.mttr !== undefined) {
    Object.assign(shown, overlay.mttr);
  }
  return shown;
}

/** Refusals still on screen. */
export function workflowErrors(state: WorkflowState): Array<{ ticketId: string; message: string }> {
  return Object.entries(state).flatMap(([ticketId, entry]) =>
    entry.error ? [{ ticketId, message: entry.error }] : []
  );
}

const STATUS_ACTIONS: Record<SettableStatus, { label: string; tooltip: string }> = {
  open: { label: 'Reopen', tooltip: 'The fault is back or was not fixed' },
  acknowledged: { label: 'Acknowledge', tooltip: 'Seen: someone is on it' },
  in_progress: { label: 'Start work', tooltip: 'Work on the fault has started' },
  resolved: { label: 'Resolve', tooltip: 'The fault is fixed' },
  closed: { label: 'Close', tooltip: 'Nothing more to do: closed tickets take no more changes' },
};

/**
 * The status buttons of a ticket: exactly the moves the backend accepts from its status (the contract's
 * `STATUS_MOVES`), in workflow order. From review, `open` confirms the ticket rather than reopening it.
 */
export function statusActions(
  status: string | undefined
): Array<{ to: SettableStatus; label: string; tooltip: string }> {
  if (!isTicketStatus(status)) {
    return [];
  }
  return STATUS_MOVES[status].map((to) => {
    const settable = to as SettableStatus;
    const action = STATUS_ACTIONS[settable];
    return status === 'needs_review' && to === 'open'
      ? { to: settable, label: 'Confirm', tooltip: 'The ticket is real: route it as it is' }
      : { to: settable, ...action };
  });
}

/** Why `text` is not an assignee the backend accepts, or undefined when it is (checked before sending). */
export function assigneeProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return 'type who takes it';
  }
  return ASSIGNEE_PATTERN.test(trimmed) ? undefined : `use ${ASSIGNEE_FORMAT}`;
}

/** Statuses shown in words. */
export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

/**
 * "department (was field_technicians)" for each routing field a person corrected, the models' answer being
 * `predicted`; "department (the models now agree)" once their latest answer is the person's, which the field
 * stays whatever they answer next. Rows without `corrected` (states stored before it) name the fields that
 * differ from `predicted`.
 */
export function correctionsOf(
  row: Pick<TriageRow, 'eventClass' | 'department' | 'priority' | 'predicted' | 'corrected'>
): string[] {
  const predicted = row.predicted ?? {};
  const fields =
    row.corrected ??
    (['eventClass', 'department', 'priority'] as const).filter(
      (field) => predicted[field] !== undefined && predicted[field] !== row[field]
    );
  return fields.map((field) => {
    const models = predicted[field];
    if (models === undefined) {
      return field;
    }
    return models === row[field] ? `${field} (the models now agree)` : `${field} (was ${models})`;
  });
}
