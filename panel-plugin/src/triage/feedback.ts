import type { FeedbackVerdict, Ticket } from '@nocai/contract';

import type { TriageRow } from './rows';

/** What a ticket looks like after a verdict: the verdict itself and what the backend changed with it. */
interface FeedbackOverlay {
  verdict: FeedbackVerdict;
  comment?: string;
  status?: string;
  needsReview?: boolean;
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
  | { type: 'saved'; ticketId: string; ticket: Pick<Ticket, 'status' | 'needsReview' | 'feedback'> }
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

/** The rows as the operator should see them: pending verdicts applied, refused ones rolled back. */
export function applyFeedback(rows: readonly TriageRow[], state: FeedbackState): RowWithFeedback[] {
  return rows.map((row) => {
    const entry = row.ticketId === undefined ? undefined : state[row.ticketId];
    const overlay = entry?.pending ?? entry?.confirmed;
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
      feedbackProgress: progress,
    };
  });
}

/** Refusals still on screen, oldest ticket first in the order they were recorded. */
export function feedbackErrors(state: FeedbackState): Array<{ ticketId: string; message: string }> {
  return Object.entries(state).flatMap(([ticketId, entry]) =>
    entry.error ? [{ ticketId, message: entry.error }] : []
  );
}
