import pluginJson from './plugin.json';
import { PROXY_ROUTE_PATH } from './backendClient';

type GrafanaRole = 'Viewer' | 'Editor' | 'Admin';
interface PluginRoute {
  path: string;
  method?: string;
  reqRole?: GrafanaRole;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

const ROLE_ORDER: GrafanaRole[] = ['Viewer', 'Editor', 'Admin'];
const routes = (pluginJson as { routes: PluginRoute[] }).routes;
const BACKEND = 'http://nocai:8080';

/**
 * What Grafana's data source proxy does with a request (pkg/api/pluginproxy/ds_proxy.go): the first
 * route whose method matches and whose path prefixes the proxy path wins; a user below its reqRole
 * is refused there (no later route is tried); otherwise the rest of the path goes after its url.
 */
function proxy(
  method: string,
  backendPath: string,
  role: GrafanaRole
): { denied: true } | { url: string; auth?: string } {
  const proxyPath = `${PROXY_ROUTE_PATH}${backendPath}`;
  const route = routes.find(
    (r) => (!r.method || r.method === '*' || r.method === method) && proxyPath.startsWith(r.path)
  );
  if (!route) {throw new Error(`no route for ${method} ${proxyPath}: Grafana would send it without the token`);}
  if (route.reqRole && ROLE_ORDER.indexOf(role) < ROLE_ORDER.indexOf(route.reqRole)) {return { denied: true };}
  const url = route.url.replace('{{ .JsonData.url }}', BACKEND) + proxyPath.slice(route.path.length);
  return { url, auth: route.headers?.find((h) => h.name === 'Authorization')?.content };
}

describe('plugin.json routes: Grafana roles as the first gate', () => {
  it('When any route is used, then it carries the API token and reaches the backend path the client asked for', () => {
    const calls: Array<[string, string]> = [
      ['GET', '/healthz'],
      ['GET', '/api/whoami'],
      ['GET', '/api/values/department'],
      ['GET', '/api/audit'],
      ['PATCH', '/api/tickets/T-1'],
      ['POST', '/api/tickets/T-1/feedback'],
      ['POST', '/api/models/department/promote'],
      ['POST', '/api/predict/churn'],
      ['POST', '/api/reports'],
      ['POST', '/api/retraining'],
      ['PUT', '/api/problems/disk-full'],
      ['DELETE', '/api/problems/disk-full'],
    ];
    for (const [method, path] of calls) {
      expect(proxy(method, path, 'Admin')).toEqual({
        url: `${BACKEND}${path}`,
        auth: 'Bearer {{ .SecureJsonData.apiToken }}',
      });
    }
  });

  it.each<[string, string, GrafanaRole]>([
    ['GET', '/api/tickets', 'Viewer'],
    ['GET', '/api/values/department', 'Viewer'],
    ['GET', '/api/models', 'Viewer'],
    ['GET', '/api/reports/latest', 'Viewer'],
    ['PATCH', '/api/tickets/T-1', 'Editor'],
    ['POST', '/api/tickets/T-1/feedback', 'Editor'],
    ['POST', '/api/tickets/T-1/comments', 'Editor'],
    ['POST', '/api/complaints', 'Editor'],
    ['POST', '/api/predict/churn', 'Editor'],
    ['POST', '/api/reports', 'Editor'],
    ['POST', '/api/retraining', 'Editor'],
    ['POST', '/api/models/department/promote', 'Admin'],
    ['POST', '/api/models/department/rollback', 'Admin'],
    ['GET', '/api/problems', 'Viewer'],
    ['POST', '/api/problems', 'Admin'],
    ['PUT', '/api/problems/disk-full', 'Admin'],
    ['DELETE', '/api/problems/disk-full', 'Admin'],
    ['POST', '/api/problems/disk-full/train', 'Admin'],
  ])('When a user calls %s %s, then the least Grafana role let through is %s', (method, path, least) => {
    for (const role of ROLE_ORDER) {
      const allowed = ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(least);
      expect([role, 'denied' in proxy(method, path, role)]).toEqual([role, !allowed]);
    }
  });

  it('When the routes are read in order, then no route is hidden behind an earlier one with the same method', () => {
    routes.forEach((route, i) => {
      const shadow = routes
        .slice(0, i)
        .find((earlier) => (earlier.method ?? '*') === (route.method ?? '*') && route.path.startsWith(earlier.path));
      expect([route.method, route.path, shadow?.path]).toEqual([route.method, route.path, undefined]);
    });
  });
});
