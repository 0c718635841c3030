import type { Role } from './roles';

/**
 * A per-client API token as stored: never the secret itself, only its sha256. `grafana` marks the
 * token Grafana's data source proxy calls with: only requests carrying it may name a Grafana user.
 */
export interface ApiTokenRecord {
  /** Short random id, also the secret's prefix (`nocai_<id>_…`), so a lookup reads one record. */
  id: string;
  name: string;
  role: Role;
  grafana: boolean;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** ISO 8601 UTC; null: never expires. */
  expiresAt: string | null;
  /** ISO 8601 UTC; null: in force. */
  revokedAt: string | null;
  /** sha256 (hex) of the whole secret. */
  sha256: string;
}

/** A token as `nocai tokens list` and the audit trail show it: everything but its hash. */
export type ApiTokenView = Omit<ApiTokenRecord, 'sha256'> & { status: TokenStatus };

export type TokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(token: ApiTokenRecord, nowMs: number): TokenStatus {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= nowMs) return 'expired';
  return 'active';
}

export function viewOf(token: ApiTokenRecord, nowMs: number): ApiTokenView {
  const { sha256: _hash, ...rest } = token;
  return { ...rest, status: tokenStatus(token, nowMs) };
}

export class TokenInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenInputError';
  }
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
/** Longer than this is a typo, not a lifetime (ten years). */
const MAX_LIFETIME_MS = 3650 * 86_400_000;

/**
 * `30d`, `12h`, `90m`, `2w` → milliseconds; `never` → null. `field` names the input in the refusal:
 * the CLI's `--expires`, the API's `expires`.
 */
export function parseLifetime(text: string, field = '--expires'): number | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'never') return null;
  const match = /^(\d{1,6})([mhdw])$/.exec(trimmed);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]] : NaN;
  if (!match || ms <= 0 || ms > MAX_LIFETIME_MS) {
    throw new TokenInputError(
      `${field} must be a lifetime such as 90m, 12h, 30d or 2w (at most 3650d), or never; got "${text.slice(0, 40)}"`
    );
  }
  return ms;
}

/**
 * Names are shown in audit entries and logs: printable, short, no spaces at the ends. Letters and
 * digits of any script (`Müller-ITSM`, `José`), in NFC so one name is one string; never a control
 * or a bidi character, which could make an audit line read as something else.
 */
export function checkTokenName(name: string): string {
  const trimmed = name.trim().normalize('NFC');
  if (!/^[\p{L}\p{N}][\p{L}\p{M}\p{N} ._@-]{0,63}$/u.test(trimmed)) {
    throw new TokenInputError(
      'a token name is 1 to 64 letters, digits, spaces, dots, dashes, underscores or @, starting with a letter or digit'
    );
  }
  return trimmed;
}
