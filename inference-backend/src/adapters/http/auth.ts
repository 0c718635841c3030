import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  abilitiesOf,
  DEFAULT_GRAFANA_ROLE_MAPPING,
  hasRole,
  lesserRole,
  mapGrafanaRole,
  type GrafanaRoleMapping,
  type Role,
} from '../../domain/security/roles';
import type { TokenCheck } from '../security/fileTokenStore';
import { IdTokenRefusedError, type IdTokenVerifier } from '../security/grafanaIdToken';
import { BadRequestError, ForbiddenError, UnauthorizedError, UnavailableError } from './errors';

/**
 * Who may call the API and as whom. The bearer token says which client calls (the bootstrap token
 * from the environment, a per-client token, the webhook token); a Grafana user is named only on
 * requests that carry the Grafana data source's token, and never acts above that token's role.
 */
export interface AuthOptions {
  /** NOCAI_API_TOKEN: the bootstrap token, an admin. */
  apiToken?: string;
  /** Opens the Grafana alert webhook and nothing else. */
  webhookToken?: string;
  /** A closed test network: no token needed, every caller an admin. */
  allowAnonymous: boolean;
  /** Per-client tokens (`nocai tokens`). */
  tokens?: { check(secret: string): Promise<TokenCheck | undefined> };
  grafana?: GrafanaIdentityOptions;
}

export interface GrafanaIdentityOptions {
  /** Set when Grafana's ID tokens are configured: then `X-Grafana-User` is never read. */
  verifyIdToken?: IdTokenVerifier;
  /** Grafana organisation role → product role. */
  roleMapping?: GrafanaRoleMapping;
  /**
   * The role of a Grafana user whose Grafana role is not known: named by `X-Grafana-User` only, or
   * by an ID token without a `role` claim. plugin.json's `reqRole` gates are the first check then.
   */
  userRole?: Role;
  /** The bootstrap token is the one the provisioned data source sends (default true). */
  bootstrapIsGrafana?: boolean;
}

/** The caller of one request, as the routes and the audit trail see it. */
export interface Caller {
  /** A Grafana login, or the token's name (`bootstrap` for NOCAI_API_TOKEN). */
  name: string;
  role: Role;
  /** How the name is known. */
  via: 'token' | 'bootstrap' | 'webhook' | 'anonymous' | 'grafana-id' | 'grafana-user';
  /** The token's name and role, when a Grafana user acts through it. */
  token: { name: string; role: Role };
  /** Through Grafana's token in header mode: a body may name the person (a complaint's reporter). */
  mayNamePerson: boolean;
}

export const DEFAULT_GRAFANA_USER_ROLE: Role = 'operator';
const BOOTSTRAP_NAME = 'bootstrap';
const WEBHOOK_NAME = 'grafana-webhook';

interface Principal {
  name: string;
  role: Role;
  via: Caller['via'];
  grafana: boolean;
}

/** The caller of a request that passed `authenticate`. */
export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  // authenticate() runs before every route that reads the caller; without it this is a wiring bug.
  if (!caller) throw new Error('no caller: the route is not behind authenticate()');
  return caller;
}

/**
 * The person a change is recorded for: the caller, or, on Grafana's token in header mode with no
 * user named, the person the request body names (a complaint's reporter), at the Grafana user role.
 */
export function personOf(res: Response, named: string | undefined, options: AuthOptions): Caller {
  const caller = callerOf(res);
  const name = named === undefined ? '' : cleanUserName(named);
  if (!caller.mayNamePerson || name === '') return caller;
  const role = lesserRole(options.grafana?.userRole ?? DEFAULT_GRAFANA_USER_ROLE, caller.token.role);
  return { ...caller, name, role, via: 'grafana-user', mayNamePerson: false };
}

/** A route's minimum role, as a handler; the matrix test reads `requiredRole` off every route. */
// Typed on route parameters of plain strings so that express still infers `req.params` of the route after it.
export type RoleGate = RequestHandler<Record<string, string>> & { requiredRole: Role };

export function requireRole(role: Role): RoleGate {
  const gate = (_req: Request<Record<string, string>>, res: Response, next: NextFunction) => {
    const caller = callerOf(res);
    if (hasRole(caller.role, role)) return next();
    const through =
      caller.via === 'grafana-id' || caller.via === 'grafana-user' ? ` (through token ${caller.token.name})` : '';
    next(new ForbiddenError(`this needs the ${role} role; ${caller.name}${through} has the ${caller.role} role`));
  };
  return Object.assign(gate, { requiredRole: role });
}

/** What `GET /api/whoami` answers. */
export function whoami(caller: Caller) {
  return {
    user: caller.name,
    role: caller.role,
    via: caller.via,
    token: caller.token,
    abilities: abilitiesOf(caller.role),
  };
}

/**
 * Finds the caller of each request (`res.locals.caller`) or answers 401; `webhook` also accepts
 * the webhook token (the alert route only).
 */
export function authenticate(options: AuthOptions, { webhook = false } = {}): RequestHandler {
  const bootstrap = options.apiToken ? Buffer.from(options.apiToken) : undefined;
  const webhookToken = options.webhookToken ? Buffer.from(options.webhookToken) : undefined;
  return (req, res, next) => {
    principalOf(req)
      .then((principal) => identify(req, principal))
      .then((caller) => {
        res.locals.caller = caller;
        next();
      }, next);
  };

  async function principalOf(req: Request): Promise<Principal> {
    if (options.allowAnonymous) return { name: 'anonymous', role: 'admin', via: 'anonymous', grafana: true };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match) throw new UnauthorizedError();
    const secret = match[1];
    const given = Buffer.from(secret);
    if (bootstrap && same(given, bootstrap)) {
      return {
        name: BOOTSTRAP_NAME,
        role: 'admin',
        via: 'bootstrap',
        grafana: options.grafana?.bootstrapIsGrafana ?? true,
      };
    }
    if (webhookToken && same(given, webhookToken)) {
      if (!webhook) throw new UnauthorizedError('the webhook token opens only POST /api/alerts/grafana');
      return { name: WEBHOOK_NAME, role: 'operator', via: 'webhook', grafana: false };
    }
    const checked = await options.tokens?.check(secret);
    if (checked === undefined)
      throw new UnauthorizedError('the bearer token is not known: ask an admin for one (nocai tokens create)');
    if (!checked.ok) throw new UnauthorizedError(checked.reason);
    const { token } = checked;
    return { name: token.name, role: token.role, via: 'token', grafana: token.grafana };
  }

  async function identify(req: Request, principal: Principal): Promise<Caller> {
    const self: Caller = {
      name: principal.name,
      role: principal.role,
      via: principal.via,
      token: { name: principal.name, role: principal.role },
      mayNamePerson: false,
    };
    // Only Grafana's own token may name a user: any other holder is recorded as itself.
    if (!principal.grafana) return self;
    const grafana = options.grafana ?? {};
    const userRole = grafana.userRole ?? DEFAULT_GRAFANA_USER_ROLE;
    if (grafana.verifyIdToken) {
      const idToken = req.get('x-grafana-id')?.trim();
      if (!idToken) return self;
      let identity;
      try {
        identity = await grafana.verifyIdToken(idToken);
      } catch (error) {
        if (error instanceof IdTokenRefusedError) throw new UnauthorizedError(error.message);
        throw new UnavailableError((error as Error).message);
      }
      let role = userRole;
      if (identity.grafanaRole !== undefined) {
        const mapped = mapGrafanaRole(grafana.roleMapping ?? DEFAULT_GRAFANA_ROLE_MAPPING, identity.grafanaRole);
        if (mapped === undefined) {
          throw new ForbiddenError(
            `the Grafana role ${identity.grafanaRole.slice(0, 32)} of ${identity.login} maps to no role here (NOCAI_GRAFANA_ROLES)`
          );
        }
        role = mapped;
      }
      return { ...self, name: identity.login, role: lesserRole(role, principal.role), via: 'grafana-id' };
    }
    const header = req.get('x-grafana-user');
    if (header === undefined || header.trim() === '') return { ...self, mayNamePerson: true };
    // A user named but not readable is refused: dropping the header would let the request act
    // as the token itself, above the user's role.
    const login = utf8Header(header).trim();
    const user = cleanUserName(login);
    if (user === '') {
      const got = login.length > MAX_USER_NAME ? `${login.length} characters` : 'a control character';
      throw new BadRequestError(
        `X-Grafana-User must be a login of 1 to ${MAX_USER_NAME} printable characters (got ${got})`
      );
    }
    return { ...self, name: user, role: lesserRole(userRole, principal.role), via: 'grafana-user' };
  }
}

function same(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const MAX_USER_NAME = 256;

/** A user name from a header or body: printable, at most 256 characters; '' when it is not one. */
function cleanUserName(raw: string): string {
  const user = raw.trim();
  return user !== '' && user.length <= MAX_USER_NAME && !/[\u0000-\u001f\u007f]/.test(user) ? user : '';
}

/**
 * A header value as the sender wrote it. Node reads header bytes as latin1, while Grafana sends a
 * login in UTF-8 (`zoë` arrives as `zoÃ«`); bytes that are not UTF-8 are kept as they came.
 */
function utf8Header(raw: string): string {
  if (!/[\u0080-\u00ff]/.test(raw) || /[^\u0000-\u00ff]/.test(raw)) return raw;
  const decoded = Buffer.from(raw, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? raw : decoded;
}
