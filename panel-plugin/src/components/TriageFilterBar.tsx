import React, { useId } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Combobox, type ComboboxOption, InlineField, useStyles2 } from '@grafana/ui';

import { testIds } from '../testIds';
import { FILTER_KEYS, type FilterKey, type TriageFilters } from '../triage/filters';

/** In grid units; fits "Department", so the three filters line up whatever their labels. */
const LABEL_WIDTH = 12;

const LABELS: Record<FilterKey, string> = { priority: 'Priority', department: 'Department', status: 'Status' };

interface Props {
  filters: TriageFilters;
  choices: Record<FilterKey, string[]>;
  onChange: (filters: TriageFilters) => void;
}

export function TriageFilterBar({ filters, choices, onChange }: Props) {
  const id = useId();
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.bar} data-testid={testIds.panel.filters}>
      {FILTER_KEYS.map((key) => (
        <InlineField key={key} label={LABELS[key]} labelWidth={LABEL_WIDTH} htmlFor={`${id}-${key}`}>
          <Combobox
            id={`${id}-${key}`}
            options={choices[key].map((value): ComboboxOption<string> => ({ value, label: value }))}
            value={filters[key] ?? null}
            // `null` is the clear button; Combobox 12.4 may report `undefined` on Enter with nothing highlighted.
            onChange={(option: ComboboxOption<string> | null | undefined) => {
              if (option !== undefined) {
                onChange({ ...filters, [key]: option?.value || undefined });
              }
            }}
            placeholder="Any"
            isClearable
            width="auto"
            minWidth={16}
          />
        </InlineField>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  bar: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    // A shrunk field would let its fixed-width Combobox spill over the next label: wrap instead.
    '& > *': { flexShrink: 0 },
  }),
});
