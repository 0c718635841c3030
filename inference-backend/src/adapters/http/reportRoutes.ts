import express, { type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../domain/series';
import type { ReportGenerator } from '../report/reportGenerator';
import { parseReportRange, REPORT_TIME_HELP, ReportRangeError } from '../report/reportRange';
import type { StoredReport } from '../report/reportStore';
import { parse } from './app';
import { requireRole } from './auth';
import { BadRequestError, NotFoundError } from './errors';

/** A time in a request body: ISO 8601, epoch milliseconds (a number or digits), or now-7d. */
const reportTime = z.union([z.string().min(1).max(64), z.number().int().nonnegative()], {
  error: `must be ${REPORT_TIME_HELP}`,
});
const reportRequestSchema = z.object({ from: reportTime, to: reportTime }).strict();

/**
 * The page serves no script and fetches nothing; this header says so to the browser too, so a report
 * opened through the API (or Grafana's data source proxy, which adds `sandbox`) runs nothing either.
 */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/**
 * The performance reports under `/api/reports`: `GET /` lists the stored ones (newest first),
 * `GET /latest` and `GET /:id` serve one as HTML, `POST /` with `{from, to}` makes one now and
 * answers 201 with where to read it.
 */
export function createReportRouter(deps: { generator: ReportGenerator; clock: Clock }): express.Router {
  const router = express.Router();
  const store = deps.generator.store;
  // Reading a report shows what the Model health dashboard shows; making one runs queries and charts.
  const viewer = requireRole('viewer');

  router.get('/', viewer, async (_req, res) => {
    res.json({ reports: (await store.list()).map(describe) });
  });
  router.get('/latest', viewer, async (_req, res) => {
    const latest = await store.latest();
    const html = latest && (await store.read(latest.id));
    if (!latest || html === undefined) {
      throw new NotFoundError(
        'no report has been generated yet: the weekly one is made after each week ends; POST /api/reports with {"from", "to"} makes one now'
      );
    }
    sendReport(res, latest.id, html);
  });
  router.get('/:id', viewer, async (req, res) => {
    const html = await store.read(req.params.id);
    if (html === undefined) {
      throw new NotFoundError(`no report ${req.params.id.slice(0, 80)}: GET /api/reports lists the stored ones`);
    }
    sendReport(res, req.params.id, html);
  });
  router.post('/', requireRole('analyst'), async (req, res) => {
    const body = parse(reportRequestSchema, req.body);
    let range;
    try {
      range = parseReportRange(String(body.from), String(body.to), deps.clock.nowMs());
    } catch (error) {
      if (error instanceof ReportRangeError) throw new BadRequestError(error.message);
      throw error;
    }
    const stored = await deps.generator.generate(range);
    res
      .status(201)
      .location(`/api/reports/${stored.id}`)
      .json({ report: describe(stored) });
  });
  return router;
}

function describe(report: StoredReport) {
  return {
    id: report.id,
    from: new Date(report.range.fromMs).toISOString(),
    to: new Date(report.range.toMs).toISOString(),
    generatedAt: new Date(report.generatedAtMs).toISOString(),
    bytes: report.bytes,
    url: `/api/reports/${report.id}`,
  };
}

function sendReport(res: Response, id: string, html: string): void {
  res
    .set({
      'Content-Security-Policy': REPORT_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': `inline; filename="${id}.html"`,
      'Cache-Control': 'no-store',
    })
    .type('html')
    .send(html);
}
