import type { FeedbackVerdict, Ticket } from '@nocai/contract';

import type { TriageRow } from './rows';

/** What a ticket looks like after a verdict: the verdict itself and what the backend changed with it. */
interface FeedbackOverlay {
  verdict: FeedbackVerdict;
  comment?: string;
  status?: string;
  needsReview?: boolean;
  /** The ticket's version after the verdict: a refreshed row of a later version wins over this overlay. */
  version?: number;
}

/**
 * Feedback of one ticket in this panel. `pending` is shown optimistically while the request runs;
 * `confirmed` is the backend's answer to the last accepted verdict, shown until the data refreshes;
 * a refusal drops `pending` (the row rolls back to `confirmed`, or to what the query returned) and keeps
 * the backend's message in `error` until the operator dismisses it or tries again.
 */
export interface TicketFeedbackState {
  pending?: FeedbackOverlay;
  confirmed?: FeedbackOverlay;
  error?: string;
}

export type FeedbackState = Readonly<Record<string, TicketFeedbackState>>;

export type FeedbackAction =
  | { type: 'submitted'; ticketId: string; verdict: FeedbackVerdict; comment?: string }
  | { type: 'saved'; ticketId: string; ticket: Pick<Ticket, 'status' | 'needsReview' | 'feedback' | 'version'> }
  | { type: 'refused'; ticketId: string; message: string }
  | { type: 'dismissed'; ticketId: string };

export const INITIAL_FEEDBACK_STATE: FeedbackState = {};

export function feedbackReducer(state: FeedbackState, action: FeedbackAction): FeedbackState {
  const current = state[action.ticketId] ?? {};
  switch (action.type) {
    case 'submitted':
      return {
        ...state,
        [action.ticketId]: {
          confirmed: current.confirmed,
          pending: { verdict: action.verdict, comment: action.comment },
        },
      };
    case 'saved': {
      const { ticket } = action;
      const verdict = ticket.feedback?.verdict ?? current.pending?.verdict;
      return {
        ...state,
        [action.ticketId]: {
          confirmed: verdict && {
            verdict,
            comment: ticket.feedback?.comment,
            status: ticket.status,
            needsReview: ticket.needsReview,
            version: ticket.version,
          },
        },
      };
    }
    case 'refused':
      return { ...state, [action.ticketId]: { confirmed: current.confirmed, error: action.message } };
    case 'dismissed':
      return { ...state, [action.ticketId]: { confirmed: current.confirmed } };
  }
}

export type FeedbackProgress = 'idle' | 'pending' | 'saved' | 'refused';

export interface RowWithFeedback extends TriageRow {
  feedbackProgress: FeedbackProgress;
}

/**
 * The rows as the operator should see them: pending verdicts applied, refused ones rolled back. A saved
 * verdict shows until the data holds a later version of the ticket (a refresh after other changes).
 */
export function applyFeedback(rows: readonly TriageRow[], state: FeedbackState): RowWithFeedback[] {
  return rows.map((row) => {
    const entry = row.ticketId === undefined ? undefined : state[row.ticketId];
    const confirmed = entry?.confirmed && isCurrent(entry.confirmed.version, row.version) ? entry.confirmed : undefined;
    const overlay = entry?.pending ?? confirmed;
    const progress: FeedbackProgress = entry?.pending
      ? 'pending'
      : entry?.error
        ? 'refused'
        : entry?.confirmed
          ? 'saved'
          : 'idle';
    if (!overlay) {
      return { ...row, feedbackProgress: progress };
    }
    return {
      ...row,
      feedbackVerdict: overlay.verdict,
      feedbackComment: overlay.comment,
      status: overlay.status ?? row.status,
      needsReview: overlay.needsReview ?? row.needsReview,
      version: newestVersion(row.version, overlay.version),
      feedbackProgress: progress,
    };
  });
}

/** Whether an overlay saved at `overlayVersion` is still news for a row of `rowVersion`. */
export function isCurrent(overlayVersion: number | undefined, rowVersion: number | undefined): boolean {
  return overlayVersion === undefined || rowVersion === undefined || overlayVersion >= rowVersion;
}

export function newestVersion(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** Refusals still on screen, oldest ticket first in the order they were recorded. */
export function feedbackErrors(state: FeedbackState): Array<{ ticketId: string; message: string }> {
  return Object.entries(state).flatMap(([ticketId, entry]) =>
    entry.error ? [{ ticketId, message: entry.error }] : []
  );
}
