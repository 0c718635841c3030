import { useCallback, useReducer } from 'react';
import { getDataSourceSrv } from '@grafana/runtime';
import type { Ticket } from '@nocai/contract';

import { isWorkflowDataSource, type WorkflowDataSource } from '../feedbackDatasource';
import { INITIAL_WORKFLOW_STATE, type WorkflowChange, workflowReducer, type WorkflowState } from '../triage/workflow';

export interface WorkflowControls {
  state: WorkflowState;
  /** Resolves true once the backend stored the change, false when it refused (the row rolled back). */
  change(
    datasourceUid: string,
    ticketId: string,
    change: WorkflowChange,
    version: number | undefined
  ): Promise<boolean>;
  comment(datasourceUid: string, ticketId: string, text: string): Promise<boolean>;
  dismiss(ticketId: string): void;
}

/** Sends workflow changes through the NOC AI data source; `triage/workflow.ts` decides what the rows show. */
export function useWorkflow(): WorkflowControls {
  const [state, dispatch] = useReducer(workflowReducer, INITIAL_WORKFLOW_STATE);

  const send = useCallback(
    async (ticketId: string, datasourceUid: string, request: (ds: WorkflowDataSource) => Promise<Ticket>) => {
      try {
        const datasource = await getDataSourceSrv().get(datasourceUid);
        if (!isWorkflowDataSource(datasource)) {
          throw new Error(
            `the data source "${datasource.name}" cannot change tickets: choose a NOC AI data source in the panel options`
          );
        }
        dispatch({ type: 'saved', ticketId, ticket: await request(datasource) });
        return true;
      } catch (err) {
        dispatch({ type: 'refused', ticketId, message: err instanceof Error ? err.message : String(err) });
        return false;
      }
    },
    []
  );

  const change = useCallback(
    (datasourceUid: string, ticketId: string, change: WorkflowChange, version: number | undefined) => {
      dispatch({ type: 'submitted', ticketId, change });
      return send(ticketId, datasourceUid, (ds) => ds.updateTicket(ticketId, { ...change, version }));
    },
    [send]
  );

  const comment = useCallback(
    (datasourceUid: string, ticketId: string, text: string) => {
      dispatch({ type: 'commented', ticketId });
      return send(ticketId, datasourceUid, (ds) => ds.addComment(ticketId, text));
    },
    [send]
  );

  const dismiss = useCallback((ticketId: string) => dispatch({ type: 'dismissed', ticketId }), []);

  return { state, change, comment, dismiss };
}
