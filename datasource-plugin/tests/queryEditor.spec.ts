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

test('a forecasts query should offer its tag filters and show the series as a table', async ({
  panelEditPage,
  readProvisionedDataSource,
  page,
}) => {
  await page.route(/\/api\/datasources\/proxy\/.+\/api\/api\/series\/forecasts\?/, (route) =>
    route.fulfill({
      status: 200,
      json: {
        kind: 'forecasts',
        measurement: 'aiops_forecasts',
        rows: [
          {
            timeMs: 1_767_229_200_000,
            tags: { target: 'tickets', site: 'hosp-01', department: 'network_ops' },
            fields: { predicted: 4.2, lower: 2, upper: 7, level: 0.9, model_version: 'mstl-1' },
          },
        ],
      },
    })
  );
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  await panelEditPage.datasource.set(ds.name);
  await panelEditPage.setVisualization('Table');
  const row = panelEditPage.getQueryEditorRow('A');

  await row.getByRole('combobox', { name: 'Query type' }).click();
  await page.getByRole('option', { name: /Forecasts/ }).click();

  await expect(row.getByRole('textbox', { name: 'department' })).toBeVisible();
  await expect(panelEditPage.panel.fieldNames).toContainText(['Time', 'target', 'department', 'predicted']);
  await expect(panelEditPage.panel.data).toContainText(['network_ops', '4.2']);
});
