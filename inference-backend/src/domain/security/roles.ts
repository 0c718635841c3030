/**
 * The product's roles, in order of what they may do: each role may do everything the roles before
 * it may. Grafana's organisation roles (Viewer, Editor, Admin, None) are mapped onto them.
 */
export const ROLES = ['viewer', 'operator', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** `role` may do what `needed` allows. */
export function hasRole(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The lesser of two roles: a Grafana user never acts above the token Grafana calls with. */
export function lesserRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

/** What each role may do, in words (for `GET /api/whoami` and docs/api.md); each includes the ones before. */
export const ROLE_ABILITIES: Readonly<Record<Role, readonly string[]>> = {
  viewer: ['read tickets, events, series, models and reports'],
  operator: ['change ticket status and assignee', 'comment', 'give verdicts', 'file complaints', 'post alerts'],
  analyst: ['run imported models (predict)', 'make performance reports', 'ask for a retraining run'],
  admin: [
    'promote, roll back and archive models',
    'define and train alert problems',
    'read the audit trail',
    'manage API tokens',
  ],
};

/** Everything `role` may do: its own abilities and those of every role below it. */
export function abilitiesOf(role: Role): string[] {
  return ROLES.slice(0, ROLES.indexOf(role) + 1).flatMap((r) => ROLE_ABILITIES[r]);
}

/** Grafana organisation role → product role; a Grafana role left out gets no access. */
export type GrafanaRoleMapping = Readonly<Record<string, Role>>;

export const DEFAULT_GRAFANA_ROLE_MAPPING: GrafanaRoleMapping = {
  Viewer: 'viewer',
  Editor: 'operator',
  Admin: 'admin',
};

export class RoleMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleMappingError';
  }
}

/**
 * `Viewer=viewer,Editor=operator,Admin=admin` (Grafana role = product role, comma-separated). Grafana
 * names its roles with a capital (Viewer, Editor, Admin, None); the match is case-insensitive.
 */
export function parseGrafanaRoleMapping(text: string): GrafanaRoleMapping {
  const mapping: Record<string, Role> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const match = /^([A-Za-z]+)\s*=\s*([a-z]+)$/.exec(entry);
    if (!match) throw new RoleMappingError(`"${entry}" is not GrafanaRole=role (e.g. Editor=operator)`);
    const [, grafanaRole, role] = match;
    if (!isRole(role)) throw new RoleMappingError(`"${role}" is not a role: use one of ${ROLES.join(', ')}`);
    const key = canonicalGrafanaRole(grafanaRole);
    if (mapping[key] !== undefined) throw new RoleMappingError(`Grafana role ${key} is mapped twice`);
    mapping[key] = role;
  }
  if (Object.keys(mapping).length === 0) throw new RoleMappingError('the mapping names no Grafana role');
  return mapping;
}

/** The product role of a Grafana organisation role; undefined when the mapping leaves it out. */
export function mapGrafanaRole(mapping: GrafanaRoleMapping, grafanaRole: string): Role | undefined {
  return mapping[canonicalGrafanaRole(grafanaRole)];
}

function canonicalGrafanaRole(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1).toLowerCase();
}
