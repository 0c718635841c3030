import { useCallback, useEffect, useState } from 'react';
import { getDataSourceSrv } from '@grafana/runtime';
import type { RelatedTicket } from '@nocai/contract';

import { isTicketDetailDataSource } from '../feedbackDatasource';
import type { RelatedTicketsState } from '../triage/related';

export interface RelatedTicketsControls {
  state: RelatedTicketsState;
  retry(): void;
}

const LOADING: RelatedTicketsState = { kind: 'loading' };

async function fetchRelatedTickets(datasourceUid: string, ticketId: string): Promise<RelatedTicket[]> {
  const datasource = await getDataSourceSrv().get(datasourceUid);
  if (!isTicketDetailDataSource(datasource)) {
    throw new Error(
      `the data source "${datasource.name}" cannot show related tickets: choose a NOC AI data source in the panel options`
    );
  }
  return (await datasource.getTicketDetail(ticketId)).relatedTickets;
}

/**
 * Asks the NOC AI data source for a ticket's related tickets when an expanded row mounts (and again on `retry`),
 * so the list is as fresh as the opening of the row. Each answer is kept with the request it answers: until the
 * current request is answered the list is loading, and an answer to an earlier one, or one that comes after the
 * row closed, is dropped.
 */
export function useRelatedTickets(datasourceUid: string, ticketId: string): RelatedTicketsControls {
  const [attempt, setAttempt] = useState(0);
  const [answer, setAnswer] = useState<{ request: string; state: RelatedTicketsState }>();
  const request = JSON.stringify([datasourceUid, ticketId, attempt]);

  useEffect(() => {
    let current = true;
    fetchRelatedTickets(datasourceUid, ticketId).then(
      (tickets) => current && setAnswer({ request, state: { kind: 'loaded', tickets } }),
      (err: unknown) =>
        current &&
        setAnswer({ request, state: { kind: 'failed', message: err instanceof Error ? err.message : String(err) } })
    );
    return () => {
      current = false;
    };
  }, [datasourceUid, ticketId, request]);

  const retry = useCallback(() => setAttempt((count) => count + 1), []);
  return { state: answer?.request === request ? answer.state : LOADING, retry };
}
