import MiniSearch from 'minisearch';
import type { SimilarTicket, TicketHistoryRow } from '@nocai/contract';
import type { IncidentSummary } from '../incidents/types';
import { maskMessageTokens } from '../logs/masking';
import { mttrSecondsOfRow } from '../mlops/mttr';

export interface ResolvedTicket {
  id: string;
  title: string;
  description: string;
  resolution: string;
  mttrSeconds: number;
  /** Routing context: a match of the same class, then on the same kind of device, is what a technician wants first. */
  eventClass?: string;
  deviceKind?: string;
}

/** The ticket being worked on, as the index compares it with the past ones. */
export interface SimilarTicketQuery {
  title: string;
  description?: string;
  /** Past tickets of this class come first. */
  eventClass?: string;
  /** Within the class, past tickets on this kind of device (`ups`, `router`, …) come first. */
  deviceKind?: string;
}

/**
 * A past ticket must reach this share of the query's own score to be suggested. Chosen on the
 * simulator's history, January to September (each month's tickets against the months before,
 * every candidate kept): from 0.15 on, a candidate has the query's class more often (22–30%)
 * than a ticket drawn at random (18%); below 0.14 it does no better than chance.
 */
export const DEFAULT_MIN_SIMILARITY = 0.15;

/**
 * Title words count this many times a description word: a title names the problem, a
 * description adds who reported it and how bad it is. Chosen by rolling-origin folds on the
 * simulator's history (each month's tickets against the months before, January to September,
 * class known): 4 put a ticket of the same class and device kind first for 95.9% of them,
 * against 94.6% for 2 and 95.9% for 8.
 */
const TITLE_BOOST = 4;

/**
 * How many of the most recent tickets are searched: four years of the simulator's estate. A
 * search scores every ticket that shares a word with the query, so its time grows with the
 * history: `npm run bench` measured a median of about 70 ms over 10,000 tickets and 0.5 s over
 * 50,000 on two cores.
 */
export const DEFAULT_MAX_TICKETS = 10_000;

/**
 * From this many past tickets on, words in more than half of them are left out of a query. In a
 * smaller history, half is too few tickets to call a word uninformative, and a search is fast anyway.
 */
const COMMON_TERMS_FROM_TICKETS = 1_000;

/** Search results kept for repeated queries: an incident's updates ask again with the same masked words. */
const CACHED_QUERIES = 256;

/** MiniSearch's document: the position in `tickets`, so that duplicate ticket ids cannot clash. */
interface Doc {
  id: number;
  title: string;
  description: string;
}

/** The id of the query while it is scored as a document of its own (never a position). */
const QUERY_ID = -1;

/**
 * "Similar past tickets": BM25 (MiniSearch's BM25+, title and description as fields) over the
 * masked words of resolved tickets, ranked in tiers a technician would choose: same event class
 * and device kind first, then same class, then the rest, each tier best text match first.
 *
 * Masking first means "Link down on gi0/3 at 10.0.0.7" and "Link down on gi0/9 at 10.0.0.8" are
 * the same text, which is what makes a past resolution note reusable.
 *
 * `similarity` is the ticket's BM25 score divided by the score of the query against itself (the
 * best a past ticket worded exactly like it gets), capped at 1: 1 for the same wording, the share
 * of the query's BM25 weight a ticket matches otherwise. MiniSearch multiplies its scores by the
 * number of query terms a ticket matches; that factor is divided out, because on the simulator's
 * history it let tickets sharing many boilerplate words ("reported by phone call from site
 * staff") outrank tickets sharing the few words of the problem.
 */
export class SimilarTicketIndex {
  private readonly tickets: readonly ResolvedTicket[];
  private readonly engine = new MiniSearch<Doc>({
    fields: ['title', 'description'],
    tokenize: ticketTerms,
    // ticketTerms already lowercases and drops stopwords.
    processTerm: (term) => term,
    // Queries arrive as terms already (see informativeTerms).
    searchOptions: { boost: { title: TITLE_BOOST }, tokenize: (terms) => terms.split(' ') },
  });
  /** In how many tickets each term occurs. */
  private readonly documentFrequency = new Map<string, number>();
  private readonly cache = new Map<string, SimilarTicket[]>();
  private readonly wordings = new Map<number, string>();

  constructor(tickets: readonly ResolvedTicket[], maxDocuments = DEFAULT_MAX_TICKETS) {
    // The most recent tickets are the most relevant and bound the memory and the search time.
    this.tickets = tickets.slice(-maxDocuments);
    const docs = this.tickets.map((t, i) => ({ id: i, title: t.title, description: t.description }));
    this.engine.addAll(docs);
    for (const doc of docs) {
      for (const term of new Set(ticketTerms(`${doc.title} ${doc.description}`))) {
        this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
      }
    }
  }

  get size(): number {
    return this.tickets.length;
  }

  /**
   * Up to `k` past tickets like `query`, best first (by tier, then text score), each at least
   * `minSimilarity`, and no two with the same (masked) title and resolution: the most recent stands for the others.
   */
  search(query: SimilarTicketQuery, k = 3, minSimilarity = DEFAULT_MIN_SIMILARITY): SimilarTicket[] {
    const description = query.description ?? '';
    const terms = this.informativeTerms(`${query.title} ${description}`);
    if (k <= 0 || terms.length === 0) return [];
    const key = JSON.stringify([
      ticketTerms(query.title),
      ticketTerms(description),
      query.eventClass,
      query.deviceKind,
      k,
      minSimilarity,
    ]);
    const cached = this.cache.get(key);
    if (cached) {
      // Refreshed as the most recently used.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.map((t) => ({ ...t }));
    }
    const found = this.rank(
      terms.join(' '),
      { id: QUERY_ID, title: query.title, description },
      query,
      k,
      minSimilarity
    );
    if (this.cache.size >= CACHED_QUERIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, found);
    return found.map((t) => ({ ...t }));
  }

  private rank(terms: string, self: Doc, query: SimilarTicketQuery, k: number, minSimilarity: number): SimilarTicket[] {
    const { selfScore, hits } = this.scoreAgainstSelf(terms, self);
    if (selfScore <= 0) return [];
    const candidates: Array<{ position: number; tier: number; similarity: number }> = [];
    for (const hit of hits) {
      const similarity = Math.min(1, hit.score / selfScore);
      if (similarity >= minSimilarity) {
        candidates.push({ position: hit.position, tier: tierOf(this.tickets[hit.position], query), similarity });
      }
    }
    // Ties (the same wording, common in ticket histories) go to the most recent ticket.
    candidates.sort((a, b) => a.tier - b.tier || b.similarity - a.similarity || b.position - a.position);
    const found: SimilarTicket[] = [];
    // A second ticket worded and resolved like one already suggested would tell the technician nothing new.
    const seen = new Set<string>();
    for (const { position, similarity } of candidates) {
      if (found.length === k) break;
      const ticket = this.tickets[position];
      const key = this.wordingOf(position);
      if (seen.has(key)) continue;
      seen.add(key);
      found.push({
        id: ticket.id,
        title: ticket.title,
        resolution: ticket.resolution,
        mttrSeconds: ticket.mttrSeconds,
        similarity: Math.round(similarity * 1000) / 1000,
      });
    }
    return found;
  }

  /** A ticket's masked title and resolution, computed when first needed. */
  private wordingOf(position: number): string {
    let wording = this.wordings.get(position);
    if (wording === undefined) {
      const ticket = this.tickets[position];
      wording = JSON.stringify([ticketTerms(ticket.title), ticket.resolution.trim().toLowerCase()]);
      this.wordings.set(position, wording);
    }
    return wording;
  }

  /**
   * The query's terms, without those in more than half of the past tickets once there are
   * `COMMON_TERMS_FROM_TICKETS` of them: classic BM25 gives such a term no weight (its idf,
   * log((N − n + 0.5) / (n + 0.5)), is ≤ 0), and searching for it scores nearly every ticket,
   * which made a search over 50,000 tickets nearly three times slower. On the simulator's history
   * (the folds above), dropping them left the share of top suggestions with the ticket's class and
   * device kind unchanged; dropping words in more than a fifth of the tickets already lowered it.
   */
  private informativeTerms(text: string): string[] {
    const terms = ticketTerms(text);
    if (this.tickets.length < COMMON_TERMS_FROM_TICKETS) return terms;
    const half = this.tickets.length / 2;
    return terms.filter((term) => (this.documentFrequency.get(term) ?? 0) <= half);
  }

  /**
   * The past tickets' BM25 scores for `terms`, and that of the query's own document: it is added
   * as one more document while it is scored, so that both come from the same collection
   * statistics, and removed before returning (the index is the same afterwards; this is
   * synchronous, so no other search sees it).
   */
  private scoreAgainstSelf(
    terms: string,
    self: Doc
  ): { selfScore: number; hits: Array<{ position: number; score: number }> } {
    this.engine.add(self);
    try {
      let selfScore = 0;
      const hits: Array<{ position: number; score: number }> = [];
      for (const result of this.engine.search(terms)) {
        // MiniSearch's score is the BM25 sum times the number of query terms matched.
        const score = result.score / Math.max(1, result.queryTerms.length);
        const position = result.id as number;
        if (position === QUERY_ID) selfScore = score;
        else hits.push({ position, score });
      }
      return { selfScore, hits };
    } finally {
      this.engine.remove(self);
    }
  }
}

/** A row of a ticket history (history/tickets.jsonl or .csv) as the index keeps it. */
export function resolvedTicketOf(row: TicketHistoryRow): ResolvedTicket {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    resolution: row.resolution,
    mttrSeconds: mttrSecondsOfRow(row),
    eventClass: row.class,
    deviceKind: row.device_kind,
  };
}

/** What an incident's ticket is compared on: its title, the root cause the engine found, its class and device kind. */
export function similarTicketQueryOf(incident: IncidentSummary): SimilarTicketQuery {
  return {
    title: incident.title,
    description: incident.rootCause?.description,
    eventClass: incident.eventClass,
    deviceKind: incident.deviceKind,
  };
}

/** 0: same class and device kind, 1: same class, 2: anything else (or no class to compare). */
function tierOf(ticket: ResolvedTicket, query: SimilarTicketQuery): number {
  if (!query.eventClass || ticket.eventClass !== query.eventClass) return 2;
  return query.deviceKind && ticket.deviceKind === query.deviceKind ? 0 : 1;
}

/**
 * Masked, lowercased word terms without stopwords: `hosp-01-ps-01,` gives `hosp <num> ps <num>`
 * and `down,` is `down`, so punctuation never makes two spellings of a word differ.
 */
export function ticketTerms(text: string): string[] {
  const terms: string[] = [];
  for (const token of maskMessageTokens(text)) {
    for (const term of token.toLowerCase().match(TERM) ?? []) {
      if (term.length > 1 && !STOP_WORDS.has(term)) terms.push(term);
    }
  }
  return terms;
}

/** A placeholder such as `<num>` (masking's tokens, lowercased) or a run of letters and digits. */
const TERM = /<[a-z]+>|[\p{L}\p{N}]+/gu;

const STOP_WORDS = new Set('the on at of in to an and by for is was from with it or'.split(' '));
