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

async function fetchRelatedTickets(
  datasourceUid: string,
  ticketId: string
): Promise<{ tickets: RelatedTicket[]; parent?: RelatedTicket }> {
  const datasource = await getDataSourceSrv().get(datasourceUid);
  if (!isTicketDetailDataSource(datasource)) {
    throw new Error(
      `the data source "${datasource.name}" cannot show related tickets: choose a NOC AI data source in the panel options`
    );
  }
  const detail = await datasource.getTicketDetail(ticketId);
  return { tickets: detail.relatedTickets, parent: detail.parent };
}

/**
 * Asks the NOC AI data source for a ticket's related tickets (and the incident it is linked to) when an expanded row mounts, again each time the
 * dashboard's query runs (`queryRun` changes: a complaint filed since then is listed) and on `retry`. Each answer
 * is kept with the request it answers, and one that comes after the row closed is dropped. Until the current
 * request is answered the list is loading, except that a list already shown for this ticket stays while it is
 * asked for again, rather than blinking to "Loading…" on every refresh.
 */
export function useRelatedTickets(
  datasourceUid: string,
  ticketId: string,
  queryRun: number | undefined
): RelatedTicketsControls {
  const [attempt, setAttempt] = useState(0);
  const [answer, setAnswer] = useState<{ ticket: string; request: string; state: RelatedTicketsState }>();
  const ticket = JSON.stringify([datasourceUid, ticketId]);
  const request = JSON.stringify([datasourceUid, ticketId, attempt, queryRun ?? null]);

  useEffect(() => {
    let current = true;
    fetchRelatedTickets(datasourceUid, ticketId).then(
      ({ tickets, parent }) => current && setAnswer({ ticket, request, state: { kind: 'loaded', tickets, parent } }),
      (err: unknown) =>
        current &&
        setAnswer({
          ticket,
          request,
          state: { kind: 'failed', message: err instanceof Error ? err.message : String(err) },
        })
    );
    return () => {
      current = false;
    };
  }, [datasourceUid, ticketId, ticket, request]);

  const retry = useCallback(() => setAttempt((count) => count + 1), []);
  const shown =
    answer?.request === request || (answer?.ticket === ticket && answer.state.kind === 'loaded')
      ? answer.state
      : LOADING;
  return { state: shown, retry };
}
