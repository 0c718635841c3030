import express from 'express';
import { parseTimeExpression, TIME_EXPRESSION_HELP, wholeNumber } from '@nocai/contract';
import { z } from 'zod';
import { systemClock, type Clock } from '../../domain/series';
import type { AuditFilter, AuditPage } from '../audit/query';
import { parseQuery } from './app';
import { requireRole } from './auth';

/** Where the routes read entries from: the backend's FileAuditTrail. */
export interface AuditReader {
  list(filter: AuditFilter): Promise<AuditPage>;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An instant in a query string: ISO 8601 (`2025-01-06T09:00:00Z`), epoch milliseconds or `now-7d`. */
const instant = (name: string, nowMs: number) =>
  z.string().transform((text, ctx) => {
    const ms = ISO_INSTANT.test(text.trim()) ? Date.parse(text.trim()) : parseTimeExpression(text, nowMs);
    if (ms === undefined || !Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an ISO 8601 time or ${TIME_EXPRESSION_HELP}` });
      return z.NEVER;
    }
    return ms;
  });

/**
 * GET /api/audit query string; another parameter is refused (a typo in a filter would otherwise
 * answer with every entry). `action` is a dotted verb or its first words (`ticket` for `ticket.*`).
 */
export function auditQuerySchema(nowMs: number) {
  return z
    .object({
      since: instant('since', nowMs).optional(),
      until: instant('until', nowMs).optional(),
      action: z
        .string()
        .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, 'action must be a dotted verb such as ticket.update, or ticket')
        .optional(),
      actor: z.string().min(1).max(256).optional(),
      after: wholeNumber(0).optional(),
      before: wholeNumber(1).optional(),
      limit: wholeNumber(1, 10_000).default(1000),
    })
    .strict()
    .refine((q) => q.since === undefined || q.until === undefined || q.since < q.until, {
      message: 'since must be before until',
      path: ['since'],
    })
    .refine((q) => q.after === undefined || q.before === undefined || q.after < q.before - 1, {
      message: 'after must be below before by 2 or more (the entries strictly between them are listed)',
      path: ['after'],
    });
}

/**
 * `/api/audit`: the audit trail's entries, oldest first (the newest `limit` matching), with
 * `truncated` when more matched. Pages go by `seq`, which no two entries share (many share an
 * instant, so `until` cannot page): `before=<the first entry's seq>` is the page before.
 */
export function createAuditRouter(deps: { trail: AuditReader; clock?: Clock }): express.Router {
  const clock = deps.clock ?? systemClock;
  const router = express.Router();
  router.get('/', requireRole('admin'), async (req, res) => {
    const query = parseQuery(auditQuerySchema(clock.nowMs()), req.query);
    const page = await deps.trail.list({
      sinceMs: query.since,
      untilMs: query.until,
      action: query.action,
      actor: query.actor,
      afterSeq: query.after,
      beforeSeq: query.before,
      limit: query.limit,
    });
    res.json(page);
  });
  return router;
}
