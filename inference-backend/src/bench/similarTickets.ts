import type { TicketHistoryRow } from '@nocai/contract';
import { DEFAULT_MAX_TICKETS, resolvedTicketOf, SimilarTicketIndex } from '../domain/recommendations/similarTickets';
import { generateInventory } from '../simulator/inventory';
import { Simulation } from '../simulator/simulation';
import { generateTicketHistory } from '../simulator/tickets';
import { fmt, percent, progress, quantile, say } from './report';

const DAY_US = 86_400_000_000;
/** The end of the simulated histories: fixed, so that every run measures the same tickets. */
const END_US = Date.UTC(2025, 0, 1) * 1000;
const SEARCHES = 40;

/**
 * Similar past tickets on the simulator's history (seed 42): how often the top suggestion for
 * each ticket of the last quarter, searched among the tickets before it, has that ticket's class
 * (by its words alone) and its class and device kind (as the backend asks), then the time of a
 * search as the history grows from one estate-year to the default bound and five times it.
 */
export function benchSimilarTickets(): void {
  const year = simulatedHistory(4, 365);
  const cut = year.findIndex((row) => Date.parse(row.opened_at) * 1000 >= END_US - 92 * DAY_US);
  const index = new SimilarTicketIndex(year.slice(0, cut).map(resolvedTicketOf));
  const byId = new Map(year.map((row) => [row.id, row]));
  const queries = year.slice(cut);
  let sameClass = 0;
  let sameClassAndKind = 0;
  for (const row of queries) {
    const query = { title: row.title, description: row.description };
    if (byId.get(index.search(query, 1)[0]?.id ?? '')?.class === row.class) sameClass++;
    const top = byId.get(
      index.search({ ...query, eventClass: row.class, deviceKind: row.device_kind }, 1)[0]?.id ?? ''
    );
    if (top?.class === row.class && top.device_kind === row.device_kind) sameClassAndKind++;
  }
  say(
    `similar tickets (simulator history, ${fmt(queries.length)} tickets of the last quarter against the ${fmt(cut)} before): ` +
      `top suggestion of the same class by words alone ${percent(sameClass / queries.length)}, ` +
      `of the same class and device kind when both are known ${percent(sameClassAndKind / queries.length)}`
  );

  let baseline: { tickets: number; p50Ms: number } | undefined;
  for (const sites of [4, 16, 80]) {
    progress(`similar tickets: a year of ${sites} sites`);
    const rows = simulatedHistory(sites, 365);
    const started = performance.now();
    const sized = new SimilarTicketIndex(rows.map(resolvedTicketOf), rows.length);
    const buildSeconds = (performance.now() - started) / 1000;
    const timesMs: number[] = [];
    // Each query is new to the index (its cache answers repeated ones in microseconds).
    for (const row of rows.slice(-SEARCHES)) {
      const t0 = performance.now();
      sized.search({
        title: `${row.title} ${row.id}`,
        description: row.description,
        eventClass: row.class,
        deviceKind: row.device_kind,
      });
      timesMs.push(performance.now() - t0);
    }
    const p50Ms = quantile(timesMs, 0.5);
    baseline ??= { tickets: sized.size, p50Ms };
    say(
      `similar tickets search over ${fmt(sized.size)} tickets (${sites} sites × 1 year): index built in ${buildSeconds.toFixed(1)} s, ` +
        `search p50 ${p50Ms.toFixed(1)} ms, p99 ${quantile(timesMs, 0.99).toFixed(1)} ms ` +
        `(${(p50Ms / baseline.p50Ms).toFixed(1)}× the p50 over ${fmt(baseline.tickets)}); the backend keeps the ${fmt(DEFAULT_MAX_TICKETS)} most recent`
    );
  }
}

function simulatedHistory(sites: number, days: number): TicketHistoryRow[] {
  const inventory = generateInventory({ seed: 42, sites });
  const sim = new Simulation({ seed: 42, inventory });
  const fromUs = END_US - days * DAY_US;
  return generateTicketHistory({
    seed: 42,
    topology: sim.topology,
    fromUs,
    toUs: END_US,
    incidents: sim.incidentsBetween(fromUs, END_US),
  });
}
