import React, { useId, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { EVENT_CLASSES, PRIORITIES } from '@nocai/contract/dist/vocabulary';
import { Button, Combobox, type ComboboxOption, InlineField, useStyles2 } from '@grafana/ui';

import { useDepartments } from '../hooks/useDepartments';
import { testIds } from '../testIds';
import { departmentChoices } from '../triage/departments';
import type { RowWithWorkflow, WorkflowChange } from '../triage/workflow';

type RoutingField = 'eventClass' | 'department' | 'priority';

/** In grid units: fits "Department", so the three correction fields line up. */
export const LABEL_WIDTH = 12;

interface Props {
  row: RowWithWorkflow;
  busy: boolean;
  /** The NOC AI data source the change goes to, asked for the departments the backend accepts. */
  datasourceUid: string;
  onSave: (change: WorkflowChange) => void;
  onCancel: () => void;
}

/**
 * A correction of class, department or priority (a label for the next training). The departments are those the
 * backend accepts, the organisation's own included (asked for when the form opens); the six with a note when they
 * could not be had.
 */
export function CorrectionForm({ row, busy, datasourceUid, onSave, onCancel }: Props) {
  const styles = useStyles2(getStyles);
  const id = useId();
  const ticketId = row.ticketId ?? '';
  const { departments, note } = departmentChoices(useDepartments(datasourceUid), row.department);
  const [routing, setRouting] = useState<Partial<Record<RoutingField, string>>>({});
  const fields: ReadonlyArray<{ field: RoutingField; label: string; values: readonly string[] }> = [
    { field: 'eventClass', label: 'Class', values: EVENT_CLASSES },
    { field: 'department', label: 'Department', values: departments },
    { field: 'priority', label: 'Priority', values: PRIORITIES },
  ];
  const correction = Object.fromEntries(
    fields.flatMap(({ field }) => (routing[field] && routing[field] !== row[field] ? [[field, routing[field]]] : []))
  ) as WorkflowChange;

  return (
    <div className={styles.form} data-testid={testIds.panel.correction}>
      <div className={styles.line}>
        {fields.map(({ field, label, values }) => (
          <InlineField key={field} label={label} labelWidth={LABEL_WIDTH} htmlFor={`${id}-${field}`}>
            <Combobox
              id={`${id}-${field}`}
              options={values.map((value): ComboboxOption<string> => ({ value, label: value }))}
              value={routing[field] ?? row[field] ?? null}
              onChange={(option: ComboboxOption<string> | null | undefined) => {
                if (option) {
                  setRouting((current) => ({ ...current, [field]: option.value }));
                }
              }}
              width={20}
            />
          </InlineField>
        ))}
        <Button
          size="sm"
          aria-label={`Save correction of ${ticketId}`}
          tooltip="The models got it wrong: the correction is a label for their next training"
          disabled={busy || Object.keys(correction).length === 0}
          onClick={() => onSave(correction)}
        >
          Save correction
        </Button>
        <Button size="sm" variant="secondary" fill="text" onClick={onCancel}>
          Cancel
        </Button>
      </div>
      {note && (
        <span role="status" className={styles.note} data-testid={testIds.panel.departmentsNote}>
          {note}
        </span>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  form: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
  }),
  line: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-start',
    gap: theme.spacing(1),
  }),
  note: css({
    color: theme.colors.warning.text,
  }),
});
