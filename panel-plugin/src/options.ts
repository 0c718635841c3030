import type { PanelOptionsEditorBuilder, SelectFieldConfigSettings } from '@grafana/data';

import { FeedbackDatasourcePicker } from './components/FeedbackDatasourcePicker';
import { COLUMN_LABELS, TRIAGE_COLUMNS, type TriageColumn } from './triage/columns';
import { TRIAGE_SORTS, type TriageSort } from './triage/rows';
import { DEFAULT_TRIAGE_OPTIONS, type TriageOptions } from './types';

const SORT_LABELS: Record<TriageSort, string> = {
  priority: 'Priority, oldest first',
  oldest: 'Oldest first',
  newest: 'Newest first',
  confidence: 'Lowest confidence first',
};

const TABLE_CATEGORY = ['Triage table'];
const FEEDBACK_CATEGORY = ['Feedback'];

export function addTriageOptions(builder: PanelOptionsEditorBuilder<TriageOptions>) {
  addTableOptions(builder);
  addFeedbackOptions(builder);
}

function addTableOptions(builder: PanelOptionsEditorBuilder<TriageOptions>) {
  builder
    .addMultiSelect<TriageColumn, SelectFieldConfigSettings<TriageColumn>>({
      path: 'columns',
      name: 'Columns',
      description: 'Columns without data in the current frames stay hidden anyway',
      category: TABLE_CATEGORY,
      // @grafana/data 12.4 types a multi-select default as one option, though the editor stores (and the
      // panel reads) an array of them.
      defaultValue: DEFAULT_TRIAGE_OPTIONS.columns as unknown as TriageColumn,
      settings: {
        options: TRIAGE_COLUMNS.map((value) => ({ value, label: COLUMN_LABELS[value] })),
      },
    })
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

function addFeedbackOptions(builder: PanelOptionsEditorBuilder<TriageOptions>) {
  builder.addCustomEditor({
    id: 'feedbackDatasourceUid',
    path: 'feedbackDatasourceUid',
    name: 'Feedback data source',
    description:
      'NOC AI data source that receives Validate, Invalidate and Avoided. Empty: the one that queried the tickets.',
    category: FEEDBACK_CATEGORY,
    editor: FeedbackDatasourcePicker,
  });
}
