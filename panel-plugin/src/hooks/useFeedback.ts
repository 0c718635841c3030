import { useCallback, useReducer } from 'react';
import { getDataSourceSrv } from '@grafana/runtime';
import type { FeedbackVerdict } from '@nocai/contract';

import { isFeedbackDataSource } from '../feedbackDatasource';
import { type FeedbackState, feedbackReducer, INITIAL_FEEDBACK_STATE } from '../triage/feedback';

export interface FeedbackControls {
  state: FeedbackState;
  submit(datasourceUid: string, ticketId: string, verdict: FeedbackVerdict, comment?: string): Promise<void>;
  dismiss(ticketId: string): void;
}

/** Sends verdicts through the NOC AI data source; `triage/feedback.ts` decides what the rows show meanwhile. */
export function useFeedback(): FeedbackControls {
  const [state, dispatch] = useReducer(feedbackReducer, INITIAL_FEEDBACK_STATE);

  const submit = useCallback(
    async (datasourceUid: string, ticketId: string, verdict: FeedbackVerdict, comment?: string) => {
      dispatch({ type: 'submitted', ticketId, verdict, comment });
      try {
        const datasource = await getDataSourceSrv().get(datasourceUid);
        if (!isFeedbackDataSource(datasource)) {
          throw new Error(
            `the data source "${datasource.name}" cannot take feedback: choose a NOC AI data source in the panel options`
          );
        }
        const ticket = await datasource.postFeedback(ticketId, verdict, comment);
        dispatch({ type: 'saved', ticketId, ticket });
      } catch (err) {
        dispatch({ type: 'refused', ticketId, message: err instanceof Error ? err.message : String(err) });
      }
    },
    []
  );

  const dismiss = useCallback((ticketId: string) => dispatch({ type: 'dismissed', ticketId }), []);

  return { state, submit, dismiss };
}
