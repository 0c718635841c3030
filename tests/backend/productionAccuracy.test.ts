import { MODEL_METRICS_SERIES, type Department, type Ticket } from '@nocai/contract';
import { readFeedback } from '../../inference-backend/src/adapters/influx/feedbackLabels';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { quoteIdentifier } from '../../inference-backend/src/adapters/influx/influxql';
import { TicketsRepository } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { DirectWriter } from '../../inference-backend/src/adapters/influx/writer';
import { systemClock } from '../../inference-backend/src/domain/series';
import { nextState } from '../../inference-backend/src/domain/tickets';
import { AccuracyStage, DEFAULT_ACCURACY_STAGE_OPTIONS } from '../../inference-backend/src/pipeline/accuracyStage';
import { MedianMttrBaseline, RuleTextRouter } from '../../inference-backend/src/services/baselineModels';
import { TicketService } from '../../inference-backend/src/services/ticketService';
import { readYaml } from '../grafana/repo';
import { freshDatabase } from '../support/influx';
import { sampleTicket } from '../../inference-backend/src/domain/tickets/ticketFixture';

/**
 * Production accuracy end to end against a real influxd, without the backend: tickets and
 * operators' verdicts and corrections are stored the way the ticket service stores them, the
 * accuracy stage reads them back from aiops_tickets and aiops_feedback, writes aiops_models, and
 * the provisioned "model accuracy under 0.8" rule's own query is run on what it wrote.
 */

const HOUR = 3_600_000;
const LINES_CHAMPION = 'event-class@v1+event-decision@v1';
const ROUTER_CHAMPION = 'ticket-class@v3+department@v3+priority@v3|mttr@v2';
const ROUTER_NEW = 'ticket-class@v9+department@v9+priority@v9|mttr@v2';
const ALIASES: Record<string, { champion: string }> = {
  'event-class': { champion: 'v1' },
  'event-decision': { champion: 'v1' },
  'ticket-class': { champion: 'v9' },
  department: { champion: 'v3' },
  priority: { champion: 'v3' },
  mttr: { champion: 'v2' },
};

interface RuleFile {
  groups: Array<{
    rules: Array<{ uid: string; data: Array<{ relativeTimeRange?: { from: number }; model: { query?: string } }> }>;
  }>;
}

type Row = Record<string, unknown>;

describe('production accuracy from verdicts, on a real influxd', () => {
  let client: InfluxClient;
  let database: string;
  let rows: Row[];
  let paged: Array<{ model: string; version: string; accuracy: number }>;
  let serial = 0;

  const base = (patch: Partial<Ticket>): Ticket =>
    sampleTicket({
      id: `T-${++serial}`,
      openedAtMs: systemClock.nowMs() - 2 * HOUR,
      updatedAtMs: systemClock.nowMs() - 2 * HOUR,
      modelVersion: ROUTER_CHAMPION,
      version: 0,
      ...patch,
    });

  beforeAll(async () => {
    ({ client, database } = await freshDatabase('accuracy'));
    const sink = new DirectWriter(client, { database });
    const repository = new TicketsRepository(client, database, sink, systemClock);
    const service = new TicketService({
      tickets: repository,
      events: { related: async () => [] },
      router: new RuleTextRouter(),
      mttr: new MedianMttrBaseline([]),
      similar: () => undefined,
      clock: systemClock,
      options: { reviewThreshold: 0 },
    });
    const open = async (count: number, patch: (i: number) => Partial<Ticket>) =>
      repository.save(
        Array.from({ length: count }, (_, i) =>
          nextState(
            base(patch(i)),
            {},
            { kind: 'opened', summary: 'opened' },
            { by: 'nocai', atMs: systemClock.nowMs() - 2 * HOUR }
          )
        )
      );
    const judge = (ticket: Ticket, verdict: 'valid' | 'invalid' | 'avoided') =>
      service.feedback(ticket.id, { verdict }, 'operator');
    const reroute = (ticket: Ticket, department: Department) =>
      service.update(ticket.id, { department }, ticket.version ?? 0, 'operator');
    const reclass = (ticket: Ticket) =>
      service.update(ticket.id, { eventClass: 'network' }, ticket.version ?? 0, 'operator');

    // The line champion's 30 judged tickets: hospital 10 valid, 8 avoided, 2 invalid; school 5, 2, 3.
    const hospital = await open(20, () => ({ source: 'logs', modelVersion: LINES_CHAMPION }));
    const school = await open(10, () => ({
      source: 'logs',
      modelVersion: LINES_CHAMPION,
      site: 'sch-01',
      siteKind: 'school',
      deviceKind: 'switch',
    }));
    for (const [i, t] of hospital.entries()) await judge(t, i < 10 ? 'valid' : i < 18 ? 'avoided' : 'invalid');
    for (const [i, t] of school.entries()) await judge(t, i < 5 ? 'valid' : i < 7 ? 'avoided' : 'invalid');
    // The routers' champions: 25 complaints, 8 sent to the wrong department, 17 confirmed.
    const complaints = await open(25, () => ({}));
    for (const [i, t] of complaints.entries()) {
      if (i < 8) await reroute(t, 'network_ops');
      else await judge(t, 'valid');
    }
    // A newer ticket-class champion with only 5 tickets judged so far, 3 of them reclassed.
    const fresh = await open(5, () => ({ modelVersion: ROUTER_NEW }));
    for (const [i, t] of fresh.entries()) {
      if (i < 3) await reclass(t);
      else await judge(t, 'valid');
    }

    // The stage reads what is stored, as a backend starting now would.
    const stored = new TicketsRepository(client, database, sink, systemClock);
    await stored.load(systemClock.nowMs());
    const stage = new AccuracyStage({
      tickets: stored,
      readVerdicts: (sinceMs) => readFeedback(client, database, sinceMs),
      aliases: async (model) => ALIASES[model] ?? {},
      sink,
      clock: systemClock,
      options: DEFAULT_ACCURACY_STAGE_OPTIONS,
    });
    await stage.runNow();

    const M = MODEL_METRICS_SERIES;
    rows =
      (await client.query(database, `SELECT * FROM ${quoteIdentifier(M.measurement)} WHERE "source" = 'production'`))[0]
        ?.rows ?? [];

    // The provisioned rule's query over its own time range, then its threshold (last value under the floor).
    const rule = readYaml<RuleFile>('provisioning', 'alerting', 'rules.yaml')
      .groups.flatMap((g) => g.rules)
      .find((r) => r.uid === 'nocai-model-accuracy-low');
    const query = rule?.data[0].model.query ?? '';
    const range = `time >= now() - ${rule?.data[0].relativeTimeRange?.from ?? 0}s`;
    const series = await client.query(database, query.replace('$timeFilter', range));
    paged = series
      .map((s) => ({ model: s.tags?.model ?? '', version: s.tags?.version ?? '', accuracy: Number(s.rows[0]?.last) }))
      .filter((s) => s.accuracy < 0.8);
  });

  const find = (model: string, version: string, segment = 'all') =>
    rows.filter((r) => r.model === model && r.version === version && r.segment === segment);

  it('When operators mark tickets avoided, then the line model precision counts them as true positives', () => {
    const [all] = find('event-decision', 'v1');
    // (15 valid + 10 avoided) / 30; were avoided counted as misses it would be 15/30 and page.
    expect(all).toMatchObject({
      alias: 'champion',
      valid_count: 15,
      avoided_count: 10,
      invalid_count: 5,
      holdout_size: 30,
    });
    expect(all.precision).toBeCloseTo(25 / 30, 12);
    expect(all.accuracy).toBeCloseTo(25 / 30, 12);
  });

  it('When verdicts come from two site kinds, then each has its own row and the worst gap is on the overall row', () => {
    expect(find('event-decision', 'v1', 'site_kind=hospital')[0]).toMatchObject({ precision: 0.9, holdout_size: 20 });
    expect(find('event-decision', 'v1', 'site_kind=school')[0]).toMatchObject({ precision: 0.7, holdout_size: 10 });
    expect(find('event-decision', 'v1', 'device_kind=switch')[0]).toMatchObject({ precision: 0.7 });
    const [all] = find('event-decision', 'v1');
    expect(all.worst_segment_gap).toBeCloseTo(25 / 30 - 0.7, 12);
    expect(all.worst_segment_ratio).toBeCloseTo(0.7 / (25 / 30), 12);
  });

  it('When departments are corrected, then the department champion is under 0.8 with its count, and the other routers are not', () => {
    expect(find('department', 'v3')[0]).toMatchObject({
      accuracy: 0.68,
      holdout_size: 25,
      corrected_count: 8,
      alias: 'champion',
    });
    expect(find('ticket-class', 'v3')[0]).toMatchObject({ accuracy: 1, alias: 'none' });
    expect(find('priority', 'v3')[0]).toMatchObject({ accuracy: 1, corrected_count: 0 });
    expect(find('ticket-class', 'v9')[0]).toMatchObject({ accuracy: 0.4, holdout_size: 5, alias: 'champion' });
  });

  it('When the provisioned rule evaluates, then it pages for the champion under 0.8 with enough verdicts only', () => {
    // Not event-decision v1 (0.83), not ticket-class v9 (0.4 from 5 verdicts), not v3 routers (not champion or fine).
    expect(paged).toEqual([{ model: 'department', version: 'v3', accuracy: 0.68 }]);
  });
});
