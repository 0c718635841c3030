/**
 * The browser page of the triage panel test and of the screenshots: the real TriagePanel, in the real @grafana/ui theme, fed by the
 * real NOC AI data source (`query()` → GET /api/tickets → `ticketsToFrame`), whose feedback goes to the real
 * backend. What Grafana would provide around them is stood in for here, minimally: backendSrv.fetch (plain
 * fetch to the same-origin proxy, which adds the token as Grafana's data source proxy does), the data source
 * registry, and template interpolation. With `?dashboard=<name>` the page shows that provisioned dashboard
 * instead (see dashboard/DashboardPage.tsx), the triage panels in it fed by the same data source.
 */
import React, { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { css } from '@emotion/css';
import {
  createTheme,
  type DataFrame,
  type DataQueryRequest,
  type DataSourceInstanceSettings,
  dateTime,
  type GrafanaTheme2,
  LoadingState,
  type PanelData,
  type PanelProps,
  type ScopedVars,
} from '@grafana/data';
import {
  type BackendSrv,
  type BackendSrvRequest,
  type DataSourceSrv,
  type FetchResponse,
  setBackendSrv,
  setDataSourceSrv,
  setTemplateSrv,
  type TemplateSrv,
} from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import { Observable } from 'rxjs';

import { NocaiDataSource } from '../../../datasource-plugin/src/datasource';
import type { NocaiOptions, NocaiQuery } from '../../../datasource-plugin/src/types';
import { TriagePanel } from '../../../panel-plugin/src/components/TriagePanel';
import { DEFAULT_TRIAGE_OPTIONS, type TriageOptions } from '../../../panel-plugin/src/types';
import { HARNESS_DATASOURCE_UID, PROXY_PREFIX } from './constants';
import { DashboardPage } from './dashboard/DashboardPage';

const DAY_MS = 24 * 3_600_000;

/** Grafana's backendSrv.fetch contract: an Observable of the response; failures are `{ status, data }`. */
function fetchLikeGrafana<T>(request: BackendSrvRequest): Observable<FetchResponse<T>> {
  return new Observable((subscriber) => {
    const params = new URLSearchParams(
      Object.entries((request.params ?? {}) as Record<string, string | number>).map(([k, v]) => [k, String(v)])
    ).toString();
    const url = params ? `${request.url}?${params}` : request.url;
    const init: RequestInit = { method: request.method ?? 'GET' };
    if (request.data !== undefined) {
      init.body = JSON.stringify(request.data);
      init.headers = { 'Content-Type': 'application/json' };
    }
    fetch(url, init)
      .then(async (response) => {
        const text = await response.text();
        let data: unknown = text;
        try {
          data = text ? JSON.parse(text) : undefined;
        } catch {
          // Plain-text bodies (e.g. a proxy's 502) stay text, as Grafana leaves them.
        }
        const answer = {
          data,
          status: response.status,
          statusText: response.statusText,
          ok: response.ok,
          config: request,
        };
        if (response.ok) {
          subscriber.next(answer as unknown as FetchResponse<T>);
          subscriber.complete();
        } else {
          subscriber.error(answer);
        }
      })
      .catch((error: unknown) => subscriber.error(error));
  });
}

const settings = {
  id: 1,
  uid: HARNESS_DATASOURCE_UID,
  type: 'nocai-inference-datasource',
  name: 'NOC AI',
  url: PROXY_PREFIX,
  jsonData: { url: 'http://backend-behind-the-proxy' },
  meta: { id: 'nocai-inference-datasource' },
  access: 'proxy',
  readOnly: true,
} as unknown as DataSourceInstanceSettings<NocaiOptions>;
const datasource = new NocaiDataSource(settings);

/**
 * Grafana's template service as far as the data source uses it: `$name`, `${name}`, `${name:format}` and
 * `[[name]]` become the variable's value from `scopedVars`, given to the format function the data source passes
 * (its list syntax), or else a list joined by commas; All is `$__all`. An unknown name stays as written.
 */
function replaceVariables(value?: string, scopedVars?: ScopedVars, format?: unknown): string {
  return (value ?? '').replace(
    /\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]/g,
    (written: string, plain?: string, braced?: string, bracketed?: string) => {
      const chosen: unknown = scopedVars?.[plain ?? braced ?? bracketed ?? '']?.value;
      if (chosen === undefined) {
        return written;
      }
      if (typeof format === 'function') {
        return String(format(chosen));
      }
      return Array.isArray(chosen) ? chosen.join(',') : String(chosen);
    }
  );
}

setBackendSrv({ fetch: fetchLikeGrafana } as unknown as BackendSrv);
setTemplateSrv({ replace: replaceVariables } as unknown as TemplateSrv);
setDataSourceSrv({ get: async () => datasource } as unknown as DataSourceSrv);

async function queryTickets(): Promise<PanelData> {
  const to = dateTime(Date.now() + 60_000);
  const from = dateTime(Date.now() - DAY_MS);
  const timeRange = { from, to, raw: { from: 'now-24h', to: 'now' } };
  const request = {
    requestId: 'harness',
    targets: [{ refId: 'A', queryType: 'tickets' }],
    range: timeRange,
    scopedVars: {},
  } as unknown as DataQueryRequest<NocaiQuery>;
  const response = await datasource.query(request);
  return {
    series: response.data as DataFrame[],
    errors: response.errors,
    state: response.errors?.length ? LoadingState.Error : LoadingState.Done,
    timeRange,
  };
}

function Harness({ theme }: { theme: GrafanaTheme2 }) {
  const [data, setData] = useState<PanelData | undefined>();
  useEffect(() => {
    queryTickets().then(setData, (error: unknown) => {
      document.body.dataset.harnessError = String(error);
    });
  }, []);
  useEffect(() => {
    if (data) {
      document.body.dataset.harnessReady = 'true';
    }
  }, [data]);

  const styles = getStyles(theme);
  if (!data) {
    return null;
  }
  const props = {
    id: 1,
    data,
    timeRange: data.timeRange,
    timeZone: 'browser',
    options: { ...DEFAULT_TRIAGE_OPTIONS, pageSize: 10 } satisfies TriageOptions,
    transparent: false,
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    fieldConfig: { defaults: {}, overrides: [] },
    renderCounter: 0,
    title: 'Triage',
    eventBus: undefined,
    onOptionsChange: () => undefined,
    onFieldConfigChange: () => undefined,
    replaceVariables: (value: string) => value,
    onChangeTimeRange: () => undefined,
  } as unknown as PanelProps<TriageOptions>;
  return (
    <section className={styles.panel} aria-label="Triage panel">
      <h2 className={styles.title}>NOC triage</h2>
      <TriagePanel {...props} />
    </section>
  );
}

// A full-width row of a dashboard on a 1920-pixel screen.
const PANEL_WIDTH = 1840;
// A whole dashboard on the same screen, inside the page's padding.
const DASHBOARD_WIDTH = 1888;
// Tall enough for the screenshots' tickets with one of them expanded.
const PANEL_HEIGHT = 660;

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({
    width: PANEL_WIDTH + 2 * 16,
    padding: theme.spacing(1, 2, 2),
    background: theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
  title: css({
    fontSize: theme.typography.h5.fontSize,
    margin: theme.spacing(0, 0, 1),
  }),
});

const params = new URLSearchParams(window.location.search);
const mode = params.get('theme') === 'dark' ? 'dark' : 'light';
const dashboard = params.get('dashboard');
const theme = createTheme({ colors: { mode } });
document.body.style.margin = '0';
document.body.style.padding = '16px';
// Grafana's global styles make the body a viewport-high scroll box; grown to its content, a full-page
// screenshot holds the whole dashboard.
document.body.style.height = 'auto';

const container = document.getElementById('root');
if (container) {
  createRoot(container).render(
    <ThemeContext.Provider value={theme}>
      {/* Grafana's own global stylesheet (element defaults, uPlot, legends): what every panel renders inside. */}
      <GlobalStyles />
      {dashboard ? (
        <DashboardPage name={dashboard} theme={theme} datasource={datasource} width={DASHBOARD_WIDTH} />
      ) : (
        <Harness theme={theme} />
      )}
    </ThemeContext.Provider>
  );
}
