import { userInfo } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { FileAuditTrail } from '../adapters/audit/fileAuditTrail';
import { printable } from '../adapters/files/csv';
import { FileTokenStore, TokenNotFoundError, type TokenChanger } from '../adapters/security/fileTokenStore';
import type { AuditSink } from '../domain/audit/audit';
import { isRole, ROLES, type Role } from '../domain/security/roles';
import { parseLifetime, TokenInputError, type ApiTokenView } from '../domain/security/tokens';
import { processIo, type CommandIo } from './commandInput';
import { table } from './textTable';

export type TokensRequest =
  | {
      action: 'create';
      stateDir: string;
      tokensDir?: string;
      name: string;
      role: Role;
      expires: string;
      grafana?: boolean;
      json?: boolean;
    }
  | { action: 'list'; stateDir: string; tokensDir?: string; json?: boolean }
  | { action: 'revoke'; stateDir: string; tokensDir?: string; id: string; json?: boolean };

/** Who runs the command, for the audit trail: writing the state folder is the permission (admin). */
function cliChanger(): TokenChanger {
  let actor = process.env.USER ?? 'unknown';
  try {
    actor = userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): $USER or unknown.
  }
  return { actor, role: 'admin', from: 'cli' };
}

const TOKEN_COLUMNS = ['ID', 'STATUS', 'ROLE', 'GRAFANA', 'CREATED', 'EXPIRES', 'NAME'];

function tokenCells(t: ApiTokenView): string[] {
  const expires = t.expiresAt ?? 'never';
  return [t.id, t.status, t.role, t.grafana ? 'grafana' : '-', t.createdAt, expires, printable(t.name, 64)];
}

/**
 * Runs one `nocai tokens` action: 0 done, 2 refused (bad name, role or lifetime, unknown id; one
 * sentence on stderr), 1 anything else. `audit` replaces the trail of the state folder (tests).
 */
export async function runTokens(request: TokensRequest, io: CommandIo = processIo, audit?: AuditSink): Promise<number> {
  const store = new FileTokenStore(request.tokensDir ?? request.stateDir);
  const trail = () => audit ?? FileAuditTrail.inStateDir(request.stateDir);
  try {
    switch (request.action) {
      case 'create': {
        const lifetimeMs = parseLifetime(request.expires);
        const { token, secret } = await store.create(
          { name: request.name, role: request.role, grafana: request.grafana, lifetimeMs },
          cliChanger(),
          trail()
        );
        if (request.json) io.stdout(`${JSON.stringify({ token, secret }, null, 2)}\n`);
        else {
          io.stdout(`${secret}\n`);
          io.stderr(
            `nocai tokens: created ${token.id} "${printable(token.name, 64)}" (${token.role}, expires ${token.expiresAt ?? 'never'}); ` +
              'the secret above is shown only this once.\n'
          );
        }
        return 0;
      }
      case 'list': {
        const tokens = await store.list();
        if (request.json) io.stdout(`${JSON.stringify({ tokens }, null, 2)}\n`);
        else if (tokens.length === 0) io.stdout('no tokens (NOCAI_API_TOKEN is the bootstrap admin token)\n');
        else io.stdout(table([TOKEN_COLUMNS, ...tokens.map(tokenCells)]));
        return 0;
      }
      case 'revoke': {
        const { token, changed } = await store.revoke(request.id, cliChanger(), trail());
        if (request.json) io.stdout(`${JSON.stringify({ token, changed }, null, 2)}\n`);
        else
          io.stdout(
            changed
              ? `revoked ${token.id} "${printable(token.name, 64)}"\n`
              : `${token.id} was already revoked at ${token.revokedAt}\n`
          );
        return 0;
      }
    }
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const hint = error instanceof TokenNotFoundError ? ': nocai tokens list shows the ids' : '';
    const message = printable(`${text}${hint}`, Number.POSITIVE_INFINITY);
    io.stderr(`nocai tokens: ${message.endsWith('.') ? message : `${message}.`}\n`);
    return error instanceof TokenInputError ? 2 : 1;
  }
}

const roleArgument = (value: string): Role => {
  if (!isRole(value)) throw new InvalidArgumentError(`--role must be one of ${ROLES.join(', ')}.`);
  return value;
};

export function registerTokens(program: Command): void {
  const tokens = program
    .command('tokens')
    .addHelpText(
      'after',
      '\nExamples:\n  nocai tokens create --name itsm --role operator --expires 90d --state-dir .state\n' +
        '  nocai tokens create --name grafana --role admin --grafana --expires never\n' +
        '  nocai tokens list\n  nocai tokens revoke 3f9a0c1b2d4e'
    );
  const stateDir = () =>
    new Option('--state-dir <folder>', "the backend's state folder (tokens.json and the audit trail)")
      .env('NOCAI_STATE_DIR')
      .default('.state');
  // Sharded replicas share one tokens folder (NOCAI_TOKENS_DIR), each keeping its own audit trail.
  const tokensDir = () =>
    new Option('--tokens-dir <folder>', 'where tokens.json is kept, when not in the state folder').env(
      'NOCAI_TOKENS_DIR'
    );
  const exit = async (request: TokensRequest) => {
    process.exitCode = await runTokens(request);
  };
  tokens
    .command('create')
    .description('create a token for an API client and print its secret once (stored as its sha256 only)')
    .requiredOption('--name <name>', 'who holds it (shown in the audit trail)')
    .addOption(
      new Option('--role <role>', `its role: ${ROLES.join(', ')}`).argParser(roleArgument).makeOptionMandatory()
    )
    .option('--expires <lifetime>', 'lifetime: 90m, 12h, 30d, 2w, or never', '30d')
    .option('--grafana', "the token of Grafana's data source: its requests may name the Grafana user")
    .option('--json', 'print the token and its secret as JSON')
    .addOption(stateDir())
    .addOption(tokensDir())
    .action((flags: Omit<Extract<TokensRequest, { action: 'create' }>, 'action'>) =>
      exit({ action: 'create', ...flags })
    );
  tokens
    .command('list')
    .description('list the tokens: id, status (active, expired, revoked), role, created, expires, name')
    .option('--json', 'print JSON')
    .addOption(stateDir())
    .addOption(tokensDir())
    .action((flags: { stateDir: string; tokensDir?: string; json?: boolean }) => exit({ action: 'list', ...flags }));
  tokens
    .command('revoke')
    .description('revoke a token by its id: the backend refuses it from the next request on')
    .argument('<id>', 'the token id (nocai tokens list)')
    .option('--json', 'print JSON')
    .addOption(stateDir())
    .addOption(tokensDir())
    .action((id: string, flags: { stateDir: string; tokensDir?: string; json?: boolean }) =>
      exit({ action: 'revoke', id, ...flags })
    );
}
