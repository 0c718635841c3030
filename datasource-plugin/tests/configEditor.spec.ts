import { expect, test } from '@grafana/plugin-e2e';
import type { Page } from '@playwright/test';

import { TEST_MESSAGES } from '../src/testMessages';

const BACKEND_URL = 'http://inference-backend:8080';

/**
 * The plugin reaches the backend through Grafana's data source proxy route `api` (see plugin.json), so
 * `<proxy>/api/healthz` is the backend's /healthz and `<proxy>/api/api/whoami` its /api/whoami. The
 * browser-side mocks below stand in for the backend; Grafana itself is real.
 */
async function mockBackend(
  page: Page,
  proxyUrl: string,
  answers: { healthz: { status: number; body: string }; whoami?: { status: number; body: string } }
) {
  await page.route(`${proxyUrl}/api/healthz`, (route) =>
    route.fulfill({ status: answers.healthz.status, contentType: 'application/json', body: answers.healthz.body })
  );
  if (answers.whoami) {
    const { status, body } = answers.whoami;
    await page.route(`${proxyUrl}/api/api/whoami`, (route) => route.fulfill({ status, body }));
  }
}

test('smoke: should render config editor', async ({ createDataSourceConfigPage, readProvisionedDataSource, page }) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  await createDataSourceConfigPage({ type: ds.type });
  await expect(page.getByLabel('URL')).toBeVisible();
  await expect(page.getByLabel('API token')).toBeVisible();
});

test('"Save & test" should succeed when the backend is reachable and accepts the token', async ({
  createDataSourceConfigPage,
  readProvisionedDataSource,
  selectors,
  page,
}) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  const configPage = await createDataSourceConfigPage({ type: ds.type });
  const proxyUrl = selectors.apis.DataSource.proxy(configPage.datasource.uid, configPage.datasource.id.toString());
  await mockBackend(page, proxyUrl, {
    healthz: { status: 200, body: '{"status":"ok"}' },
    whoami: { status: 200, body: '{"ok":true}' },
  });

  await page.getByLabel('URL').fill(BACKEND_URL);
  await page.getByLabel('API token').fill('e2e-token');

  await expect(configPage.saveAndTest({ path: `${proxyUrl}/api/api/whoami` })).toBeOK();
  await expect(configPage).toHaveAlert('success', { hasText: TEST_MESSAGES.success });
});

test('"Save & test" should say the token was refused when the backend answers 401', async ({
  createDataSourceConfigPage,
  readProvisionedDataSource,
  selectors,
  page,
}) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  const configPage = await createDataSourceConfigPage({ type: ds.type });
  const proxyUrl = selectors.apis.DataSource.proxy(configPage.datasource.uid, configPage.datasource.id.toString());
  // What Grafana's proxy turns a backend 401 into, so that the browser session is not logged out.
  await mockBackend(page, proxyUrl, {
    healthz: { status: 200, body: '{"status":"ok"}' },
    whoami: { status: 400, body: 'Authentication to data source failed' },
  });

  await page.getByLabel('URL').fill(BACKEND_URL);
  await page.getByLabel('API token').fill('wrong-token');

  await expect(configPage.saveAndTest({ path: `${proxyUrl}/api/api/whoami` })).not.toBeOK();
  await expect(configPage).toHaveAlert('error', { hasText: TEST_MESSAGES.unauthorized });
});

test('"Save & test" should say the backend cannot be reached when the proxy gets no answer', async ({
  createDataSourceConfigPage,
  readProvisionedDataSource,
  selectors,
  page,
}) => {
  const ds = await readProvisionedDataSource({ fileName: 'datasources.yml' });
  const configPage = await createDataSourceConfigPage({ type: ds.type });
  const proxyUrl = selectors.apis.DataSource.proxy(configPage.datasource.uid, configPage.datasource.id.toString());
  await mockBackend(page, proxyUrl, { healthz: { status: 502, body: '' } });

  await page.getByLabel('URL').fill(BACKEND_URL);

  await expect(configPage.saveAndTest({ path: `${proxyUrl}/api/healthz` })).not.toBeOK();
  await expect(configPage).toHaveAlert('error', { hasText: TEST_MESSAGES.unreachable });
});
