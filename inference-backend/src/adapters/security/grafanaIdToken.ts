import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/**
 * What a Grafana ID token (`X-Grafana-Id`, signed by Grafana with ES256 and published at
 * `<grafana>/api/signing-keys/keys`) says about the signed-in user. Grafana sets `iss` to its
 * root_url, `aud` to `org:<id>`, `sub` to `user:<uid>`, and `username`, `email`, `name` and, since
 * the ID token carries the basic role, `role` (Viewer, Editor, Admin, None).
 */
export interface GrafanaIdentity {
  login: string;
  /** Grafana's organisation role; undefined when the token does not carry it (older Grafana). */
  grafanaRole?: string;
  subject: string;
}

export interface GrafanaIdTokenOptions {
  /** Where the keys are: Grafana's `/api/signing-keys/keys` (or any JWKS URL). */
  jwksUrl: string;
  /** Grafana's root_url as it signs it (`iss`). */
  issuer: string;
  /** `org:1`: only this organisation's users; undefined accepts any organisation. */
  audience?: string;
}

export class IdTokenRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdTokenRefusedError';
  }
}

/** Grafana signs with ES256; RS256 is accepted for JWKS served by other signers in front of Grafana. */
const ALGORITHMS = ['ES256', 'RS256'];
/** Clocks of Grafana and the backend may differ a little. */
const CLOCK_TOLERANCE_S = 30;

/** Grafana's keys could not be fetched: not the caller's fault, try again. */
export class IdTokenUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdTokenUnavailableError';
  }
}

export type IdTokenVerifier = (token: string) => Promise<GrafanaIdentity>;

/** Verifies ID tokens against Grafana's JWKS (fetched once, refetched when a token names an unknown key). */
export function grafanaIdTokenVerifier(options: GrafanaIdTokenOptions, keys?: JWTVerifyGetKey): IdTokenVerifier {
  const getKey =
    keys ?? createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  return async (token) => {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        throw new IdTokenUnavailableError(
          `Grafana's signing keys (${options.jwksUrl}) cannot be read: ${reasonOf(error)}`
        );
      }
      throw new IdTokenRefusedError(`the Grafana ID token (X-Grafana-Id) is refused: ${reasonOf(error)}`);
    }
    const login = [payload.username, payload.login, payload.email, payload.sub].find(
      (v): v is string => typeof v === 'string' && v.trim() !== ''
    );
    if (login === undefined || typeof payload.sub !== 'string') {
      throw new IdTokenRefusedError('the Grafana ID token (X-Grafana-Id) names no user');
    }
    return {
      login: login.slice(0, 256),
      subject: payload.sub,
      grafanaRole: typeof payload.role === 'string' && payload.role !== '' ? payload.role : undefined,
    };
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of Grafana signed it';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `its ${error.claim} claim does not match (${error.reason})`;
  if (error instanceof errors.JWKSTimeout) return "Grafana's signing keys could not be fetched in time";
  if (error instanceof errors.JOSEError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
