import type { Config } from '../../config';
import type { AuthOptions } from '../http/auth';
import type { FileTokenStore } from './fileTokenStore';
import { grafanaIdTokenVerifier } from './grafanaIdToken';

export { FileTokenStore } from './fileTokenStore';

/**
 * The HTTP API's authentication from the configuration: the per-client tokens of `tokens` (the
 * state folder's, shared with `/api/tokens`), Grafana's ID tokens.
 */
export function authOptionsOf(http: Config['http'], tokens: FileTokenStore): AuthOptions {
  const { grafana } = http;
  return {
    apiToken: http.apiToken,
    webhookToken: http.webhookToken,
    allowAnonymous: http.allowAnonymous,
    tokens,
    grafana: {
      verifyIdToken:
        grafana.jwksUrl && grafana.issuer
          ? grafanaIdTokenVerifier({ jwksUrl: grafana.jwksUrl, issuer: grafana.issuer, audience: grafana.audience })
          : undefined,
      roleMapping: grafana.roleMapping,
      userRole: grafana.userRole,
      bootstrapIsGrafana: http.apiTokenIsGrafana,
    },
  };
}
