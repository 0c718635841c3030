import type { SimilarTicket } from '@nocai/contract';
import { maskMessageTokens } from '../logs/masking';

export interface ResolvedTicket {
  id: string;
  title: string;
  description: string;
  resolution: string;
  mttrSeconds: number;
  /** Optional routing context; a match in the same class is what a technician wants first. */
  eventClass?: string;
}

interface Indexed {
  ticket: ResolvedTicket;
  weights: Map<string, number>;
}

/**
 * "Similar past tickets": TF-IDF cosine similarity over masked title + description tokens of
 * resolved tickets. Masking first means "Link down on gi0/3 at 10.0.0.7" and "Link down on gi0/9
 * at 10.0.0.8" are the same text, which is what makes a past resolution note reusable.
 */
export class SimilarTicketIndex {
  private readonly docs: Indexed[] = [];
  private readonly idf = new Map<string, number>();

  constructor(tickets: readonly ResolvedTicket[], private readonly maxDocuments = 50_000) {
    // The most recent tickets are the most relevant and bound the memory.
    const kept = tickets.slice(-maxDocuments);
    const tokenised = kept.map((t) => tokens(`${t.title} ${t.description}`));
    const df = new Map<string, number>();
    for (const toks of tokenised) for (const tok of new Set(toks)) df.set(tok, (df.get(tok) ?? 0) + 1);
    for (const [tok, n] of df) this.idf.set(tok, Math.log((1 + kept.length) / (1 + n)) + 1);
    kept.forEach((ticket, i) => this.docs.push({ ticket, weights: this.vector(tokenised[i]) }));
  }

  get size(): number {
    return this.docs.length;
  }

  /** Up to `k` resolved tickets most similar to `text`, best first, above `minSimilarity`. */
  search(text: string, k = 3, options: { eventClass?: string; minSimilarity?: number } = {}): SimilarTicket[] {
    const query = this.vector(tokens(text));
    if (query.size === 0) return [];
    const scored: Array<{ doc: Indexed; score: number }> = [];
    for (const doc of this.docs) {
      let score = cosine(query, doc.weights);
      // A same-class match is preferred over an equally worded one from another domain.
      if (options.eventClass && doc.ticket.eventClass === options.eventClass) score = Math.min(1, score * 1.1);
      if (score >= (options.minSimilarity ?? 0.1)) scored.push({ doc, score });
    }
    scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, k).map(({ doc, score }) => ({
      id: doc.ticket.id,
      title: doc.ticket.title,
      resolution: doc.ticket.resolution,
      mttrSeconds: doc.ticket.mttrSeconds,
      similarity: Math.round(score * 1000) / 1000,
    }));
  }

  private vector(toks: readonly string[]): Map<string, number> {
    const tf = new Map<string, number>();
    for (const tok of toks) if (this.idf.has(tok)) tf.set(tok, (tf.get(tok) ?? 0) + 1);
    let norm = 0;
    for (const [tok, n] of tf) {
      const w = (1 + Math.log(n)) * (this.idf.get(tok) ?? 0);
      tf.set(tok, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [tok, w] of tf) tf.set(tok, w / norm);
    return tf;
  }
}

function tokens(text: string): string[] {
  return maskMessageTokens(text.toLowerCase()).filter((t) => t.length > 1 && !STOP_WORDS.has(t));
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [tok, w] of small) dot += w * (large.get(tok) ?? 0);
  return dot;
}

const STOP_WORDS = new Set(['the', 'on', 'at', 'of', 'in', 'to', 'a', 'an', 'and', 'by', 'for', 'is', 'was', 'from', 'with']);
