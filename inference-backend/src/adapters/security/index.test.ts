import { ConfigError, loadConfig } from '../../config';
import { authOptionsOf, FileTokenStore } from './index';

const base = { NOCAI_API_TOKEN: 'secret' };

describe('authOptionsOf', () => {
  it('When NOCAI_GRAFANA_URL is set, then ID tokens are verified, with the issuer Grafana signs with by default', () => {
    const config = loadConfig({ ...base, NOCAI_GRAFANA_URL: 'http://grafana:3000' });
    expect(config.http.grafana).toMatchObject({
      jwksUrl: 'http://grafana:3000/api/signing-keys/keys',
      issuer: 'http://grafana:3000/',
      roleMapping: { Viewer: 'viewer', Editor: 'operator', Admin: 'admin' },
      userRole: 'operator',
    });
    const options = authOptionsOf(config.http, new FileTokenStore('/tmp/state'));
    expect(options.grafana?.verifyIdToken).toBeInstanceOf(Function);
    expect(options.grafana?.bootstrapIsGrafana).toBe(true);
  });

  it('When no Grafana URL is set, then no ID token is read and X-Grafana-User names the user', () => {
    const options = authOptionsOf(loadConfig(base).http, new FileTokenStore('/tmp/state'));
    expect(options.grafana?.verifyIdToken).toBeUndefined();
  });

  it('When the role mapping is configured, then Grafana roles map as written, case-insensitively', () => {
    const config = loadConfig({ ...base, NOCAI_GRAFANA_ROLES: 'viewer=viewer, EDITOR=analyst, Admin=admin' });
    expect(config.http.grafana.roleMapping).toEqual({ Viewer: 'viewer', Editor: 'analyst', Admin: 'admin' });
  });

  it.each([
    ['NOCAI_GRAFANA_ROLES', 'Editor=boss', /NOCAI_GRAFANA_ROLES: "boss" is not a role/],
    ['NOCAI_GRAFANA_ROLES', 'Editor', /NOCAI_GRAFANA_ROLES: "Editor" is not GrafanaRole=role/],
    ['NOCAI_GRAFANA_ROLES', 'Editor=viewer,editor=admin', /mapped twice/],
    ['NOCAI_GRAFANA_USER_ROLE', 'root', /NOCAI_GRAFANA_USER_ROLE must be one of viewer, operator, analyst, admin/],
    ['NOCAI_GRAFANA_URL', 'grafana:3000', /NOCAI_GRAFANA_URL must be an http\(s\) URL/],
  ])('When %s is %s, then the configuration is refused with one sentence', (name, value, message) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(message);
  });
});
