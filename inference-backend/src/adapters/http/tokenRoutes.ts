import express from 'express';
import { z } from 'zod';
import type { AuditSink } from '../../domain/audit/audit';
import { ROLES } from '../../domain/security/roles';
import { parseLifetime, TokenInputError } from '../../domain/security/tokens';
import type { FileTokenStore } from '../security/fileTokenStore';
import { TokenNotFoundError } from '../security/fileTokenStore';
import { parse } from './app';
import { callerOf, requireRole } from './auth';
import { BadRequestError, NotFoundError } from './errors';

const createTokenSchema = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  /** 90m, 12h, 30d, 2w or never. */
  expires: z.string().max(16).default('30d'),
  grafana: z.boolean().default(false),
});

const TOKEN_ID = /^[0-9a-f]{12}$/;

/**
 * `/api/tokens` (admin): the same per-client tokens as `nocai tokens`, so the bootstrap token can
 * make the others. `POST /` answers 201 with the secret, once; `POST /:id/revoke` revokes.
 */
export function createTokensRouter(deps: { store: FileTokenStore; audit: AuditSink }): express.Router {
  const router = express.Router();
  const admin = requireRole('admin');
  const refused = (error: unknown) => {
    if (error instanceof TokenNotFoundError)
      return new NotFoundError(`${error.message}: GET /api/tokens lists the ids`);
    if (error instanceof TokenInputError) return new BadRequestError(error.message);
    return error;
  };
  const changer = (req: express.Request, res: express.Response) => {
    const caller = callerOf(res);
    return { actor: caller.name, role: caller.role, from: req.ip ?? 'api' };
  };

  router.get('/', admin, async (_req, res) => {
    res.json({ tokens: await deps.store.list() });
  });
  router.post('/', admin, async (req, res) => {
    const body = parse(createTokenSchema, req.body ?? {});
    try {
      const lifetimeMs = parseLifetime(body.expires, 'expires');
      const created = await deps.store.create(
        { name: body.name, role: body.role, grafana: body.grafana, lifetimeMs },
        changer(req, res),
        deps.audit
      );
      res.status(201).set('Cache-Control', 'no-store').json(created);
    } catch (error) {
      throw refused(error);
    }
  });
  router.post('/:id/revoke', admin, async (req, res) => {
    if (!TOKEN_ID.test(req.params.id)) throw new BadRequestError('not a token id: GET /api/tokens lists them');
    try {
      res.json(await deps.store.revoke(req.params.id, changer(req, res), deps.audit));
    } catch (error) {
      throw refused(error);
    }
  });
  return router;
}
