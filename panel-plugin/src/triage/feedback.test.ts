import { applyFeedback, feedbackErrors, feedbackReducer, type FeedbackState, INITIAL_FEEDBACK_STATE } from './feedback';
import type { TriageRow } from './rows';

const ROW: TriageRow = {
  key: 'T-1',
  ticketId: 'T-1',
  status: 'needs_review',
  needsReview: true,
  explanation: [],
  similar: [],
};

const reduce = (...actions: Array<Parameters<typeof feedbackReducer>[1]>): FeedbackState =>
  actions.reduce(feedbackReducer, INITIAL_FEEDBACK_STATE);

describe('feedback state', () => {
  it('When Validate is clicked, then the row shows the verdict at once, as pending', () => {
    const state = reduce({ type: 'submitted', ticketId: 'T-1', verdict: 'valid' });

    expect(applyFeedback([ROW], state)[0]).toMatchObject({ feedbackVerdict: 'valid', feedbackProgress: 'pending' });
  });

  it('When the backend accepts, then the row shows what the backend returned (verdict, status, review flag)', () => {
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', verdict: 'valid' },
      {
        type: 'saved',
        ticketId: 'T-1',
        ticket: { status: 'open', needsReview: false, feedback: { verdict: 'valid', comment: 'ok', atMs: 1 } },
      }
    );

    expect(applyFeedback([ROW], state)[0]).toMatchObject({
      feedbackVerdict: 'valid',
      feedbackComment: 'ok',
      status: 'open',
      needsReview: false,
      feedbackProgress: 'saved',
    });
  });

  it('When the backend refuses, then the row rolls back to what the query returned and the error is listed', () => {
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', verdict: 'invalid' },
      { type: 'refused', ticketId: 'T-1', message: 'no ticket T-1' }
    );

    expect(applyFeedback([{ ...ROW, feedbackVerdict: 'avoided' }], state)[0]).toMatchObject({
      feedbackVerdict: 'avoided',
      status: 'needs_review',
      feedbackProgress: 'refused',
    });
    expect(feedbackErrors(state)).toEqual([{ ticketId: 'T-1', message: 'no ticket T-1' }]);
  });

  it('When a second verdict is refused after a first was saved, then the row rolls back to the saved one', () => {
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', verdict: 'valid' },
      {
        type: 'saved',
        ticketId: 'T-1',
        ticket: { status: 'open', needsReview: false, feedback: { verdict: 'valid', atMs: 1 } },
      },
      { type: 'submitted', ticketId: 'T-1', verdict: 'invalid' },
      { type: 'refused', ticketId: 'T-1', message: 'backend unavailable' }
    );

    expect(applyFeedback([ROW], state)[0]).toMatchObject({ feedbackVerdict: 'valid', status: 'open' });
  });

  it('When the operator dismisses the error, then it disappears and the row keeps its rolled-back state', () => {
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', verdict: 'valid' },
      { type: 'refused', ticketId: 'T-1', message: 'nope' },
      { type: 'dismissed', ticketId: 'T-1' }
    );

    expect(feedbackErrors(state)).toEqual([]);
    const [shown] = applyFeedback([ROW], state);
    expect(shown.feedbackVerdict).toBeUndefined();
    expect(shown.feedbackProgress).toBe('idle');
  });

  it('When the operator tries again after a refusal, then the old error goes away while the new request runs', () => {
    const state = reduce(
      { type: 'submitted', ticketId: 'T-1', verdict: 'valid' },
      { type: 'refused', ticketId: 'T-1', message: 'nope' },
      { type: 'submitted', ticketId: 'T-1', verdict: 'valid' }
    );

    expect(feedbackErrors(state)).toEqual([]);
  });

  it('When other tickets get feedback, then rows without feedback are left as the query returned them', () => {
    const state = reduce({ type: 'submitted', ticketId: 'T-9', verdict: 'valid' });

    expect(applyFeedback([ROW], state)[0]).toEqual({ ...ROW, feedbackProgress: 'idle' });
  });
});
