import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { GrafanaWebhook, Ticket } from '@nocai/contract';
import { grafanaAlertPlace } from '../../services/ticketService';
import { UnavailableError } from './errors';
import { refundRateLimit } from './limits';

/**
 * With several replicas, each ticket has one owner: the replica of its site's shard, whose pipeline
 * opens and updates it. A person's change to a ticket (workflow, comment, verdict) made through
 * another replica is forwarded to the owner, so that every change to one ticket is made by one
 * process, one after the other, against its latest version: two people changing one ticket through
 * two replicas within one poll interval no longer lose the earlier change (before, each replica
 * wrote its own next version and the later point won).
 *
 * The forwarded request carries the caller's own credentials (bearer token, Grafana's ID token or
 * user header, If-Match), which the owner checks itself: replicas share the bootstrap and webhook
 * tokens (one Secret) and the per-client tokens (NOCAI_TOKENS_DIR on a shared volume), and verify
 * Grafana's ID tokens against the same JWKS. Nothing is trusted for being forwarded: the header
 * that marks a forwarded request only stops it from being forwarded again.
 */

/** Set on a forwarded request (the forwarding shard): the owner handles it whatever it thinks. */
export const FORWARDED_BY_HEADER = 'x-nocai-forwarded-by';
/** Set on every answer of a sharded replica: which shard handled the request. */
export const SHARD_HEADER = 'x-nocai-shard';

/** The request headers a forwarded change keeps: who calls, against which version, what it sends. */
const FORWARDED_REQUEST_HEADERS = ['authorization', 'content-type', 'if-match', 'x-grafana-id', 'x-grafana-user'];
/** The owner's answer headers passed back to the caller. */
const RELAYED_RESPONSE_HEADERS = ['content-type', 'etag', 'retry-after', SHARD_HEADER];

/** `http://nocai-backend-{i}.nocai-backend:8080` → the base URL of shard `i` (no trailing slash). */
export function peerUrlOf(template: string, shard: number): string {
  return template.replaceAll('{i}', String(shard)).replace(/\/+$/, '');
}

/** A peer URL template as the configuration accepts it: one sentence on what is wrong, or undefined. */
export function peerTemplateProblem(template: string): string | undefined {
  if (!template.includes('{i}')) {
    return `NOCAI_SHARD_PEER_URL must contain {i} where the shard's index goes (http://nocai-backend-{i}.nocai-backend:8080), got "${template.slice(0, 200)}"`;
  }
  let url: URL;
  try {
    url = new URL(peerUrlOf(template, 0));
  } catch {
    return `NOCAI_SHARD_PEER_URL is not a URL once {i} is replaced: "${template.slice(0, 200)}"`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `NOCAI_SHARD_PEER_URL must be an http:// or https:// URL, got "${template.slice(0, 200)}"`;
  }
  return undefined;
}

export interface TicketOwnership {
  /** This replica's shard. */
  self: number;
  /** The shard whose replica owns a ticket: its site's (or, without a site, its host's). */
  ownerOf(ticket: Pick<Ticket, 'site' | 'host'>): number;
  /** The base URL of shard `i`'s API (NOCAI_SHARD_PEER_URL with `{i}` replaced). */
  peerUrl(shard: number): string;
  /** The ticket as this replica knows it; undefined when it does not (yet). */
  find(id: string): Promise<Ticket | undefined>;
  /** Reads what the other replicas stored since the last poll (a ticket opened there moments ago). */
  refresh?: () => Promise<unknown>;
  /** How long the owner may take to answer (the request deadline, or 10 s). */
  timeoutMs: number;
}

/**
 * The route handler placed before a ticket change's own (after authentication and the role check,
 * which every replica makes alike): a ticket another replica owns is changed there, and its answer
 * returned as it is. A ticket this replica does not know is looked for once more after reading
 * what the others stored since its last poll; still unknown, it is handled here (a 404). The owner not answering is a 503 with
 * Retry-After: the change is not made here, where it could overwrite one the owner made.
 */
export function forwardTicketChange(ownership: TicketOwnership): RequestHandler<{ id: string }> {
  return (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
    if (req.get(FORWARDED_BY_HEADER) !== undefined) return next();
    const id = req.params.id;
    ownership
      .find(id)
      .then(async (known) => (known || !ownership.refresh ? known : ownership.refresh().then(() => ownership.find(id))))
      .then(async (ticket) => {
        if (!ticket) return next();
        const owner = ownership.ownerOf(ticket);
        if (owner === ownership.self) return next();
        await relay(req, res, owner, ownership);
      })
      .catch(next);
  };
}

async function relay(req: Request, res: Response, owner: number, ownership: TicketOwnership): Promise<void> {
  const headers: Record<string, string> = { [FORWARDED_BY_HEADER]: String(ownership.self) };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.get(name);
    if (value !== undefined) headers[name] = value;
  }
  const url = `${ownership.peerUrl(owner)}${req.originalUrl}`;
  let answer: globalThis.Response;
  try {
    answer = await fetch(url, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : JSON.stringify(req.body ?? {}),
      signal: AbortSignal.timeout(ownership.timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new UnavailableError(
      `ticket ${req.params.id} belongs to shard ${owner}, whose replica (${ownership.peerUrl(owner)}) does not answer (${cause}): the change was not made; try again`,
      5
    );
  }
  // The owner counted the request against the caller's budget: it counts once, there.
  refundRateLimit(res);
  const body = Buffer.from(await answer.arrayBuffer());
  for (const name of RELAYED_RESPONSE_HEADERS) {
    const value = answer.headers.get(name);
    if (value !== null) res.set(name, value);
  }
  res.status(answer.status).send(body);
}

/** What the alert webhook answers: the tickets opened, reopened or resolved, and the alerts left out. */
export interface AlertIntake {
  tickets: Ticket[];
  ignored: number;
  /** Resolved alerts of no ticket held (their firing never reached the backend, or its ticket is past the retention). */
  unmatched: number;
}

/**
 * Grafana's alert webhook with several replicas: each alert's ticket is opened, reopened and
 * resolved by the replica that owns it (its host's shard, or its site's), like a person's change,
 * so the resolution of an alert and an operator's change to its ticket are made one after the
 * other by one process. The alerts of one notification are split by owner: this replica's are
 * taken in here, the others' sent to their owners as notifications of their own (with Grafana's
 * webhook credentials, which every replica checks), all at once; the answer lists every ticket.
 * An owner not answering is a 503: Grafana sends the notification again, and taking an alert in
 * twice changes nothing (an open ticket stays open, a resolved one resolved).
 */
export async function alertsAtOwners(
  req: Request,
  payload: GrafanaWebhook,
  ownership: TicketOwnership,
  takeIn: (payload: GrafanaWebhook) => Promise<AlertIntake>
): Promise<AlertIntake> {
  if (req.get(FORWARDED_BY_HEADER) !== undefined) return takeIn(payload);
  const byOwner = new Map<number, number[]>();
  payload.alerts.forEach((alert, i) => {
    const place = grafanaAlertPlace(alert);
    const owner = ownership.ownerOf({ site: place.site ?? '', host: place.host ?? '' });
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), i]);
  });
  // The alerts as checked (those refused are left out here), with the notification's other fields as sent.
  const parts = await Promise.allSettled(
    [...byOwner].map(([owner, indices]) => {
      const part = { ...payload, alerts: indices.map((i) => payload.alerts[i]) };
      return owner === ownership.self ? takeIn(part) : sendAlerts(req, owner, part, ownership);
    })
  );
  const failed = parts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
  if (failed) throw failed.reason;
  const done = parts.map((p) => (p as PromiseFulfilledResult<AlertIntake>).value);
  const total = (count: (d: AlertIntake) => number) => done.reduce((sum, d) => sum + count(d), 0);
  return {
    tickets: done.flatMap((d) => d.tickets),
    ignored: total((d) => d.ignored),
    unmatched: total((d) => d.unmatched),
  };
}

async function sendAlerts(req: Request, owner: number, body: object, ownership: TicketOwnership): Promise<AlertIntake> {
  const headers: Record<string, string> = {
    [FORWARDED_BY_HEADER]: String(ownership.self),
    'content-type': 'application/json',
  };
  const authorization = req.get('authorization');
  if (authorization !== undefined) headers.authorization = authorization;
  const url = `${ownership.peerUrl(owner)}${req.originalUrl}`;
  let answer: globalThis.Response;
  try {
    answer = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ownership.timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new UnavailableError(
      `alerts of shard ${owner}, whose replica (${ownership.peerUrl(owner)}) does not answer (${cause}), were not taken in: send the notification again`,
      5
    );
  }
  const text = await answer.text();
  if (answer.status !== 202) {
    throw new UnavailableError(
      `alerts of shard ${owner} were not taken in: its replica (${ownership.peerUrl(owner)}) answered ${answer.status} (${text.slice(0, 200)}): send the notification again`,
      5
    );
  }
  return JSON.parse(text) as AlertIntake;
}
