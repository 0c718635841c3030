import { expect, test } from '@grafana/plugin-e2e';

const EVENT = {
  timeUs: 1_767_225_660_000_000,
  hostname: 'sw-core-1',
  appname: 'kernel',
  facility: 'kern',
  severity: 'err',
  site: 'factory-east',
  siteKind: 'factory',
  deviceKind: 'network_switch',
  eventClass: 'network',
  decision: 'alert',
  templateId: 't-2',
  template: 'link <*> down',
  message: 'link ge-0/0/1 down',
  confidence: 0.81,
  modelVersion: 'events-2026.01.1',
};

test('smoke: should render query editor', async ({ panelEditPage, readProvisionedDataSource }) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  await panelEditPage.datasource.set(ds.name);
  const row = panelEditPage.getQueryEditorRow('A');
  await expect(row.getByRole('combobox', { name: 'Query type' })).toHaveValue('Events');
  await expect(row.getByRole('textbox', { name: 'Host' })).toBeVisible();
});

test('events query should return the events as a table', async ({ panelEditPage, readProvisionedDataSource, page }) => {
  // The backend is mocked in the browser, behind Grafana's proxy route (`api` + the backend's /api/events).
  await page.route(/\/api\/datasources\/proxy\/.+\/api\/api\/events\?/, (route) =>
    route.fulfill({ status: 200, json: { events: [EVENT] } })
  );
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  await panelEditPage.datasource.set(ds.name);
  await panelEditPage.setVisualization('Table');

  await expect(panelEditPage.panel.fieldNames).toContainText(['time', 'hostname', 'site', 'eventClass', 'decision']);
  await expect(panelEditPage.panel.data).toContainText(['sw-core-1', 'link ge-0/0/1 down']);
});

test('a query type the backend does not serve yet should show an explanation, not data', async ({
  panelEditPage,
  readProvisionedDataSource,
  page,
}) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  await panelEditPage.datasource.set(ds.name);
  const row = panelEditPage.getQueryEditorRow('A');

  await row.getByRole('combobox', { name: 'Query type' }).click();
  await page.getByRole('option', { name: /Forecasts/ }).click();

  await expect(row.getByText('Forecasts queries arrive with a later version of the backend')).toBeVisible();
  await expect(panelEditPage.panel.getErrorIcon()).toBeVisible();
});
