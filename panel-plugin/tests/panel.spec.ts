import { expect, test } from '@grafana/plugin-e2e';

import { testIds } from '../src/testIds';

test('should display "No data" in case panel data is empty', async ({
  gotoPanelEditPage,
  readProvisionedDashboard,
}) => {
  const dashboard = await readProvisionedDashboard({ fileName: 'dashboard.json' });
  const panelEditPage = await gotoPanelEditPage({ dashboard, id: '2' });
  await expect(panelEditPage.panel.locator).toContainText('No data');
});

test('should render a triage row per data point when data is passed to the panel', async ({
  panelEditPage,
  readProvisionedDataSource,
  page,
}) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  await panelEditPage.datasource.set(ds.name);
  await panelEditPage.setVisualization('NOC AI Triage');
  await expect(page.getByTestId(testIds.panel.table)).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Age' })).toBeVisible();
  await expect(page.getByTestId(testIds.panel.row).first()).toBeVisible();
});

test('should page the rows when "Rows per page" is lower than the row count', async ({
  gotoPanelEditPage,
  readProvisionedDashboard,
  page,
}) => {
  // Panel 1 receives two raw frames of five rows each.
  const dashboard = await readProvisionedDashboard({ fileName: 'dashboard.json' });
  const panelEditPage = await gotoPanelEditPage({ dashboard, id: '1' });
  const rowsPerPage = panelEditPage.getCustomOptions('Triage table').getNumberInput('Rows per page');

  await rowsPerPage.fill('4');
  await rowsPerPage.blur();

  await expect(page.getByTestId(testIds.panel.row)).toHaveCount(4);
  await expect(page.getByTestId(testIds.panel.pagination)).toBeVisible();
});
