import React from 'react';
import type { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen } from '@testing-library/react';

import { testIds } from '../testIds';
import type { NocaiOptions, NocaiSecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';

type Settings = DataSourceSettings<NocaiOptions, NocaiSecureJsonData>;

// `database` is required by the type but deprecated; a data source like this one never has it.
function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'nocai',
    orgId: 1,
    name: 'NOC AI',
    type: 'nocai-inference-datasource',
    typeName: 'NOC AI Inference',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    jsonData: { url: 'http://inference-backend:8080' },
    secureJsonFields: {},
    secureJsonData: {},
    ...overrides,
  } as Settings;
}

function renderEditor(options: Settings) {
  const onOptionsChange = jest.fn();
  render(<ConfigEditor options={options} onOptionsChange={onOptionsChange} />);
  return onOptionsChange;
}

describe('ConfigEditor', () => {
  it('shows the configured backend URL', () => {
    renderEditor(settings());

    expect(screen.getByLabelText(/^URL/)).toHaveValue('http://inference-backend:8080');
  });

  it('stores a new URL in jsonData', () => {
    const onOptionsChange = renderEditor(settings());

    fireEvent.change(screen.getByTestId(testIds.configEditor.url), { target: { value: 'https://nocai.example:8443' } });

    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ jsonData: { url: 'https://nocai.example:8443' } })
    );
  });

  it('flags a URL without http:// or https://', () => {
    renderEditor(settings({ jsonData: { url: 'inference-backend:8080' } }));

    expect(screen.getByText('Enter an http:// or https:// URL')).toBeInTheDocument();
  });

  it('stores a typed API token in secureJsonData only', () => {
    const onOptionsChange = renderEditor(settings());

    fireEvent.change(screen.getByLabelText(/^API token/), { target: { value: 's3cret' } });

    const saved: Settings = onOptionsChange.mock.calls[0][0];
    expect(saved.secureJsonData).toEqual({ apiToken: 's3cret' });
    expect(JSON.stringify(saved.jsonData)).not.toContain('s3cret');
  });

  it('shows a saved token as configured without its value, and resets it on request', () => {
    const onOptionsChange = renderEditor(settings({ secureJsonFields: { apiToken: true } }));

    expect(screen.getByTestId(testIds.configEditor.apiToken)).toHaveValue('configured');
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));

    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ secureJsonFields: { apiToken: false }, secureJsonData: { apiToken: '' } })
    );
  });
});
