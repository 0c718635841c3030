import React, { type ChangeEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Field, Input, SecretInput } from '@grafana/ui';

import { testIds } from '../testIds';
import type { NocaiOptions, NocaiSecureJsonData } from '../types';

type Props = DataSourcePluginOptionsEditorProps<NocaiOptions, NocaiSecureJsonData>;

const FIELD_WIDTH = 60;

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields, secureJsonData } = options;
  const url = jsonData.url ?? '';

  const onUrlChange = (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, jsonData: { ...jsonData, url: event.target.value } });
  };

  const onApiTokenChange = (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, apiToken: event.target.value } });
  };

  // Only Grafana's server knows the saved token; resetting tells it to drop the stored value on save.
  const onApiTokenReset = () => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, apiToken: false },
      secureJsonData: { ...secureJsonData, apiToken: '' },
    });
  };

  return (
    <>
      <Field
        label="URL"
        description="Base URL of the NOC AI inference backend as the Grafana server reaches it, e.g. http://inference-backend:8080"
        invalid={!isHttpUrl(url)}
        error="Enter an http:// or https:// URL"
        required
      >
        <Input
          id="nocai-config-url"
          data-testid={testIds.configEditor.url}
          value={url}
          onChange={onUrlChange}
          placeholder="http://inference-backend:8080"
          width={FIELD_WIDTH}
        />
      </Field>
      <Field
        label="API token"
        description="Bearer token the backend expects. Stored encrypted by Grafana and only added to requests by its data source proxy: it never reaches the browser."
        required
      >
        <SecretInput
          id="nocai-config-api-token"
          data-testid={testIds.configEditor.apiToken}
          isConfigured={Boolean(secureJsonFields.apiToken)}
          value={secureJsonData?.apiToken ?? ''}
          onChange={onApiTokenChange}
          onReset={onApiTokenReset}
          placeholder="Paste the backend API token"
          width={FIELD_WIDTH}
        />
      </Field>
    </>
  );
}

/** An empty URL is not flagged while the user has not typed anything yet. */
function isHttpUrl(value: string): boolean {
  return value === '' || /^https?:\/\/\S+$/i.test(value.trim());
}
