import React, { useId, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, InlineField, Input, useStyles2 } from '@grafana/ui';

import { testIds } from '../testIds';
import { assigneeProblem, type RowWithWorkflow, statusActions, type WorkflowChange } from '../triage/workflow';
import { CorrectionForm, LABEL_WIDTH } from './CorrectionForm';

interface Props {
  row: RowWithWorkflow;
  /** The NOC AI data source the changes go to. */
  datasourceUid: string;
  /** A verdict or a workflow change of this ticket is on its way: no second one until it is answered. */
  busy: boolean;
  onChange: (change: WorkflowChange) => void;
}

/**
 * The ticket workflow in the expanded row: status moves the backend accepts from the current status, the
 * assignee, and a correction of class, department or priority (a label for the next training). Every
 * control is a native button or input (or Grafana's keyboard-driven Combobox), reachable with Tab.
 */
export function WorkflowControls({ row, datasourceUid, busy, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const id = useId();
  const ticketId = row.ticketId ?? '';
  const [assignee, setAssignee] = useState(row.assignee ?? '');
  const [touched, setTouched] = useState(false);
  // A refresh (another operator, or this change saved or rolled back) brings a new assignee: the field
  // follows it unless the operator has typed something else in it meanwhile.
  const [shownAssignee, setShownAssignee] = useState(row.assignee ?? '');
  if ((row.assignee ?? '') !== shownAssignee) {
    setShownAssignee(row.assignee ?? '');
    if (assignee.trim() === shownAssignee) {
      setAssignee(row.assignee ?? '');
      setTouched(false);
    }
  }
  const [correcting, setCorrecting] = useState(false);
  const problem = touched ? assigneeProblem(assignee) : undefined;

  if (row.status === 'closed') {
    return (
      <section aria-label="Workflow" className={styles.section} data-testid={testIds.panel.workflow}>
        <h6 className={styles.heading}>Workflow</h6>
        <span className={styles.muted}>Closed: a closed ticket takes no more changes.</span>
      </section>
    );
  }

  const assign = () => {
    setTouched(true);
    if (assigneeProblem(assignee) === undefined) {
      onChange({ assignee: assignee.trim() });
    }
  };

  return (
    <section aria-label="Workflow" className={styles.section} data-testid={testIds.panel.workflow}>
      <h6 className={styles.heading}>Workflow</h6>
      <div className={styles.line}>
        <div className={styles.buttons} data-testid={testIds.panel.statusButtons}>
          {statusActions(row.status).map(({ to, label, tooltip }) => (
            <Button
              key={to}
              size="sm"
              variant="secondary"
              aria-label={`${label} ${ticketId}`}
              tooltip={tooltip}
              disabled={busy}
              onClick={() => onChange({ status: to })}
            >
              {label}
            </Button>
          ))}
        </div>
        <InlineField
          label="Assignee"
          labelWidth={LABEL_WIDTH}
          tooltip="user:<login> or team:<name>"
          htmlFor={`${id}-assignee`}
          invalid={problem !== undefined}
          error={problem}
          className={styles.field}
        >
          <Input
            id={`${id}-assignee`}
            data-testid={testIds.panel.assigneeInput}
            value={assignee}
            placeholder="user:alice or team:network_ops"
            width={32}
            onChange={(event) => setAssignee(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') {
                assign();
              }
            }}
          />
        </InlineField>
        <Button size="sm" aria-label={`Assign ${ticketId}`} disabled={busy} onClick={assign}>
          Assign
        </Button>
        {row.assignee && (
          <Button
            size="sm"
            variant="secondary"
            fill="text"
            aria-label={`Unassign ${ticketId}`}
            disabled={busy}
            onClick={() => {
              setAssignee('');
              setTouched(false);
              onChange({ assignee: null });
            }}
          >
            Unassign
          </Button>
        )}
      </div>
      {correcting ? (
        <CorrectionForm
          row={row}
          busy={busy}
          datasourceUid={datasourceUid}
          onSave={(correction) => {
            onChange(correction);
            setCorrecting(false);
          }}
          onCancel={() => setCorrecting(false)}
        />
      ) : (
        <div className={styles.line}>
          <Button
            size="sm"
            variant="secondary"
            icon="pen"
            aria-label={`Correct routing of ${ticketId}`}
            aria-expanded={false}
            tooltip="Class, department or priority is wrong"
            disabled={busy}
            onClick={() => setCorrecting(true)}
          >
            Correct class, department or priority
          </Button>
        </div>
      )}
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
  }),
  heading: css({
    color: theme.colors.text.secondary,
    margin: 0,
  }),
  line: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-start',
    gap: theme.spacing(1),
  }),
  buttons: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5),
    marginRight: theme.spacing(2),
  }),
  field: css({
    marginBottom: 0,
    marginRight: 0,
  }),
  muted: css({
    color: theme.colors.text.secondary,
  }),
});
