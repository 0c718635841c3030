import type { PanelOptionsEditorBuilder } from '@grafana/data';

import { TRIAGE_SORTS, type TriageSort } from './triage/rows';
import { DEFAULT_TRIAGE_OPTIONS, type TriageOptions } from './types';

const SORT_LABELS: Record<TriageSort, string> = {
  priority: 'Priority, oldest first',
  oldest: 'Oldest first',
  newest: 'Newest first',
  confidence: 'Lowest confidence first',
};

const TABLE_CATEGORY = ['Triage table'];

export function addTriageOptions(builder: PanelOptionsEditorBuilder<TriageOptions>) {
  addTableOptions(builder);
}

function addTableOptions(builder: PanelOptionsEditorBuilder<TriageOptions>) {
  builder
    .addNumberInput({
      path: 'pageSize',
      name: 'Rows per page',
      category: TABLE_CATEGORY,
      defaultValue: DEFAULT_TRIAGE_OPTIONS.pageSize,
      settings: { min: 1, max: 500, integer: true },
    })
    .addRadio({
      path: 'defaultSort',
      name: 'Default sort',
      category: TABLE_CATEGORY,
      defaultValue: DEFAULT_TRIAGE_OPTIONS.defaultSort,
      settings: {
        options: TRIAGE_SORTS.map((value) => ({ value, label: SORT_LABELS[value] })),
      },
    });
}
