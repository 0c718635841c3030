import React from 'react';
import type { StandardEditorProps } from '@grafana/data';
import { DataSourcePicker } from '@grafana/runtime';

import { FEEDBACK_DATASOURCE_TYPE } from '../feedbackDatasource';

type Props = StandardEditorProps<string | undefined>;

/** Options editor: only NOC AI data sources can take feedback, so only they are offered. */
export function FeedbackDatasourcePicker({ value, onChange }: Props) {
  return (
    <DataSourcePicker
      pluginId={FEEDBACK_DATASOURCE_TYPE}
      current={value ?? null}
      noDefault
      onChange={(settings) => onChange(settings.uid)}
      onClear={() => onChange(undefined)}
    />
  );
}
