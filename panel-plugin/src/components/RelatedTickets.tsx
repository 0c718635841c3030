import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import type { RelatedTicket } from '@nocai/contract';
import { Alert, Badge, Button, useStyles2 } from '@grafana/ui';

import { useRelatedTickets } from '../hooks/useRelatedTickets';
import { testIds } from '../testIds';
import { isLinkedTo, parentResolvedAtMs, relatedTicketFacts } from '../triage/related';
import { statusLabel } from '../triage/workflow';
import { Age, type Clock } from './Age';

/** Opens a related ticket's own row when this panel lists it. */
export interface RelatedTicketLink {
  isListed(ticketId: string): boolean;
  open(ticketId: string): void;
}

interface Props {
  datasourceUid: string;
  ticketId: string;
  clock: Clock;
  /** When the dashboard's query last ran (`data.request.startTime`): the list is asked for again with each run. */
  queryRun?: number;
  link?: RelatedTicketLink;
}

/**
 * The other tickets of this ticket's devices that were open while it was, most urgent first (the backend's order):
 * the outage a complaint is about, or the complaints about an outage.
 */
export function RelatedTickets({ datasourceUid, ticketId, clock, queryRun, link }: Props) {
  const styles = useStyles2(getStyles);
  const { state, retry } = useRelatedTickets(datasourceUid, ticketId, queryRun);

  return (
    <section
      aria-label="Related tickets"
      className={styles.section}
      data-testid={testIds.panel.relatedTickets}
      data-state={state.kind}
    >
      {state.kind === 'loaded' && state.parent && <ParentTicket parent={state.parent} clock={clock} link={link} />}
      <h6 className={styles.heading}>Related tickets (same devices, open at the same time)</h6>
      {state.kind === 'loading' && <span className={styles.muted}>Loading…</span>}
      {state.kind === 'failed' && (
        <Alert severity="error" title="Related tickets could not be loaded" data-testid={testIds.panel.relatedError}>
          <div className={styles.failure}>
            <span>{state.message}</span>
            <Button size="sm" variant="secondary" onClick={retry} aria-label={`Retry related tickets of ${ticketId}`}>
              Retry
            </Button>
          </div>
        </Alert>
      )}
      {state.kind === 'loaded' && state.tickets.length === 0 && (
        <span className={styles.muted} data-testid={testIds.panel.relatedEmpty}>
          None: no other ticket of its devices was open at the same time
        </span>
      )}
      {state.kind === 'loaded' && state.tickets.length > 0 && (
        <ul className={styles.list}>
          {state.tickets.map((ticket) => (
            <li key={ticket.id} data-testid={testIds.panel.relatedTicket} data-ticket-id={ticket.id}>
              <TicketId ticketId={ticket.id} link={link} /> {ticket.title}
              <span className={styles.muted}>
                {' — '}
                {relatedTicketFacts(ticket).join(', ')}, opened <Age timeMs={ticket.openedAtMs} clock={clock} />
              </span>
              {isLinkedTo(ticket, ticketId) && (
                <>
                  {' '}
                  <Badge
                    text="linked"
                    color="blue"
                    tooltip={`A complaint the backend linked to ${ticketId}: once ${ticketId} is resolved, confirm with its reporter`}
                    data-testid={testIds.panel.relatedLinked}
                  />
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The ticket's id, as a link to its row when this panel lists it. */
function TicketId({ ticketId, link }: { ticketId: string; link?: RelatedTicketLink }) {
  const styles = useStyles2(getStyles);
  return link?.isListed(ticketId) ? (
    <Button
      size="sm"
      fill="text"
      className={styles.open}
      aria-label={`Open ${ticketId} in the list`}
      onClick={() => link.open(ticketId)}
    >
      {ticketId}
    </Button>
  ) : (
    <strong>{ticketId}</strong>
  );
}

/**
 * The incident a complaint is linked to, as it is now: still worked on (its status and priority), or resolved,
 * when all the complaint needs is its reporter's word that the fault is gone for them too.
 */
function ParentTicket({ parent, clock, link }: { parent: RelatedTicket; clock: Clock; link?: RelatedTicketLink }) {
  const styles = useStyles2(getStyles);
  const resolvedAtMs = parentResolvedAtMs(parent);
  return (
    <p className={styles.parent} data-testid={testIds.panel.relatedParent} data-ticket-id={parent.id}>
      Linked to incident <TicketId ticketId={parent.id} link={link} />: {parent.title}
      {' — '}
      {resolvedAtMs === undefined ? (
        `${statusLabel(parent.status)}, ${parent.priority}`
      ) : (
        <span className={styles.resolved}>
          {parent.priority}, {statusLabel(parent.status)}{' '}
          {resolvedAtMs !== null && <Age timeMs={resolvedAtMs} clock={clock} />}: confirm with the reporter
        </span>
      )}
    </p>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  // Under the three columns, across the whole row: a ticket's title needs the width.
  section: css({
    gridColumn: '1 / -1',
  }),
  heading: css({
    color: theme.colors.text.secondary,
    marginBottom: theme.spacing(0.5),
  }),
  list: css({
    margin: 0,
    paddingLeft: theme.spacing(2),
    li: { overflowWrap: 'anywhere' },
  }),
  failure: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: theme.spacing(1),
  }),
  // A link inside the line of text, not a button beside it.
  open: css({
    padding: 0,
    height: 'auto',
    fontWeight: theme.typography.fontWeightMedium,
  }),
  // Above the related list: the first thing to know about a linked complaint.
  parent: css({
    margin: 0,
    fontWeight: theme.typography.fontWeightMedium,
    overflowWrap: 'anywhere',
  }),
  resolved: css({
    color: theme.colors.success.text,
  }),
  muted: css({
    color: theme.colors.text.secondary,
  }),
});
