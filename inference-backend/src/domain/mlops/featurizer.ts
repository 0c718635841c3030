import { createMasker, MASKING_VERSION } from '../logs/masking';
import { WordTable } from './wordTable';

/**
 * Text → TF-IDF features for the linear classifiers. ONNX cannot mask or tokenise, so this
 * runs in TypeScript at training and at serving time; the parameters it learns (vocabulary,
 * idf) are stored with the model, and any change to what a text turns into (tokenising,
 * n-grams, weighting) must bump FEATURIZER_VERSION so old models refuse to load.
 *
 * v2: four blocks, each L2-normalised on its own as scikit-learn's FeatureUnion of
 * TfidfVectorizers does: word n-grams, character n-grams within word boundaries (`char_wb`),
 * the lead (the first words' n-grams again, at half length) and categorical context. Words are
 * Unicode letters and digits (German umlauts and ß stay inside their words), tf is sublinear
 * (1 + ln tf) by default, and each text block has its own cap.
 */
export const FEATURIZER_VERSION = 2;

/** The largest vocabulary a block may keep unless told otherwise; the CV chooses among smaller caps too. */
export const DEFAULT_MAX_FEATURES = 200_000;

/** One example as the featurizer sees it: free text plus categorical context (`site_kind` → `hospital`). */
export interface FeatureInput {
  text: string;
  context: Readonly<Record<string, string>>;
  /**
   * `text` as `maskMessage` (domain/logs/masking) masks it, when the caller has it already (the
   * log stage's template miner masked the line): featurizing reads it instead of masking again.
   */
  maskedText?: string;
}

export interface FeaturizerOptions {
  /** Vocabulary cap per block (word n-grams, char n-grams): the K features found in the most training documents. */
  maxFeatures: number;
  /** Word n-gram lengths, e.g. [1, 2] for unigrams and bigrams. */
  wordNgrams: readonly number[];
  /** Character n-gram lengths inside space-padded words (e.g. [3, 4, 5]); empty for none. */
  charNgrams: readonly number[];
  /** Features seen in fewer training documents are dropped (typos, one-off ids). */
  minDocumentFrequency: number;
  /** tf → 1 + ln(tf): a word said five times is not five times the evidence. Absent: true. */
  sublinearTf?: boolean;
  /**
   * The first N words again, as word n-grams of their own block (`^reset password`): a
   * ticket's subject, a log line's program and verb, say more than the rest. 0 or absent: none.
   */
  leadWords?: number;
  /** Length of the lead block's vector (the other text blocks have length 1). Absent: 0.5. */
  leadWeight?: number;
}

export const DEFAULT_FEATURIZER_OPTIONS: FeaturizerOptions = {
  maxFeatures: DEFAULT_MAX_FEATURES,
  wordNgrams: [1, 2],
  charNgrams: [3, 4, 5],
  minDocumentFrequency: 2,
  sublinearTf: true,
  leadWords: 6,
  leadWeight: 0.5,
};

/** Everything needed to featurize exactly as at training time; plain JSON, stored in the manifest. */
export interface FeaturizerParams {
  version: number;
  maskingVersion: number;
  options: FeaturizerOptions;
  /**
   * Feature names; position = column of the feature matrix. Word n-grams as they are
   * (`link down`), character n-grams as `#` + the gram (`# li`), context as `ctx:name=value`.
   */
  vocabulary: string[];
  /** Inverse document frequency per vocabulary entry. */
  idf: number[];
}

/** A row of the feature matrix: distinct column indices (in no particular order) and their values. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

export const CONTEXT_PREFIX = 'ctx:';
export const CHAR_PREFIX = '#';
export const LEAD_PREFIX = '^';

/** The block a feature belongs to; each block is L2-normalised on its own. */
export const Block = { Word: 0, Char: 1, Context: 2, Lead: 3 } as const;
export type Block = (typeof Block)[keyof typeof Block];
const BLOCKS = 4;

/** The blocks of a row's ids in the order FeatureCounter counts them (its `ends`). */
const ROW_BLOCKS = [Block.Word, Block.Lead, Block.Context, Block.Char] as const;

export function blockOf(feature: string): Block {
  if (feature.startsWith(CONTEXT_PREFIX)) return Block.Context;
  if (feature.startsWith(LEAD_PREFIX)) return Block.Lead;
  // A word feature never starts with '#': words are letters, digits, '_' or a <placeholder>.
  return feature.startsWith(CHAR_PREFIX) ? Block.Char : Block.Word;
}

const masker = createMasker();
const WORD_RE = /<[a-z*]+>|[\p{L}\p{N}_]+/gu;

/**
 * Lower-cased words of the masked text; placeholders such as `<num>` stay whole. Single
 * characters are dropped, as scikit-learn's default token pattern does: `a`, `I`, `-`.
 */
export function words(text: string): string[] {
  return wordsOfMasked(masker.mask(text));
}

/** `words` of a text whose masked form (`maskMessage`) is `masked`: for callers that masked it already. */
export function wordsOfMasked(masked: string): string[] {
  const all = masked.toLowerCase().match(WORD_RE) ?? [];
  return all.filter((w) => w.length > 1);
}

/** Character n-grams of one word inside ` word ` (like `char_wb`); a word shorter than n gives itself once. */
function charGrams(word: string, lengths: readonly number[], out: string[]): void {
  const padded = ` ${word} `;
  for (const n of lengths) {
    if (padded.length <= n) {
      out.push(CHAR_PREFIX + padded);
      continue;
    }
    for (let i = 0; i + n <= padded.length; i++) out.push(CHAR_PREFIX + padded.slice(i, i + n));
  }
}

function wordGrams(ws: readonly string[], lengths: readonly number[], out: string[]): void {
  for (const n of lengths) {
    for (let i = 0; i + n <= ws.length; i++) out.push(n === 1 ? ws[i] : ws.slice(i, i + n).join(' '));
  }
}

function contextFeatures(context: Readonly<Record<string, string>>, out: string[]): void {
  for (const [name, value] of Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (value !== '') out.push(`${CONTEXT_PREFIX}${name}=${value.toLowerCase()}`);
  }
}

/**
 * Two inputs with the same key have the same features, hence the same prediction: the key is
 * what featurizing reads of an input (its words, its non-empty context). Serving memoises by it
 * (syslog lines differ mostly in what masking replaces). `wordsOf` may cache `words` by text.
 */
export function featureKey(input: FeatureInput, wordsOf: (text: string) => string = (t) => words(t).join(' ')): string {
  const context: string[] = [];
  contextFeatures(input.context, context);
  return `${wordsOf(input.text)}\u0000${JSON.stringify(context)}`;
}

function hasEntries(record: Readonly<Record<string, string>>): boolean {
  for (const name in record) if (Object.hasOwn(record, name)) return true;
  return false;
}

/**
 * Every feature of one input, repeated as often as it occurs (term counts): word n-grams,
 * character n-grams of each word, context. Placeholders have no character n-grams: `<num>` is
 * one feature, not five.
 */
export function featureTokens(input: FeatureInput, options: FeaturizerOptions): string[] {
  const ws = words(input.text);
  const out: string[] = [];
  wordGrams(ws, options.wordNgrams, out);
  if (options.charNgrams.length > 0) for (const w of ws) if (!w.startsWith('<')) charGrams(w, options.charNgrams, out);
  leadFeatures(ws, options, out);
  contextFeatures(input.context, out);
  return out;
}

/** Word n-grams of the first `leadWords` words, prefixed: a block of their own. */
function leadFeatures(ws: readonly string[], options: FeaturizerOptions, out: string[]): void {
  const lead = ws.slice(0, options.leadWords ?? 0);
  const grams: string[] = [];
  wordGrams(lead, options.wordNgrams, grams);
  for (const g of grams) out.push(LEAD_PREFIX + g);
}

/**
 * A distinct word as the counter knows it: the ids of its unigram, its character n-grams, its
 * lead unigram and the bigrams it starts, found once per distinct word instead of once per
 * occurrence.
 */
interface WordEntry {
  /** The word itself. */
  text: string;
  /** Feature id of the word as a unigram; -1 when unknown. */
  unigram: number;
  /** Training: ids of the word's known character n-grams, in the order charGrams lists them; set on first use. */
  chars: Int32Array | undefined;
  /**
   * Serving: where the ids of the word's known character n-grams are in GramPool.grams, -1 until
   * first use (and again when the pool is emptied); and how many there are.
   */
  gramAt: number;
  gramCount: number;
  /**
   * Serving: an entry for one occurrence of a word met for the first time (see WordTable), its
   * grams in GramPool.scratch, where the row being counted alone keeps them.
   */
  transient: boolean;
  /** Small-integer key of the word, by which the word before it finds their bigram; -1: in no known bigram. */
  key: number;
  /** Training: bigram ids by the key of the word after this one (serving has a PairTable). */
  next: Map<number, number> | undefined;
  /** Id of the lead unigram `^word`; -1 when unknown, undefined until looked up. */
  lead: number | undefined;
  /** Training: lead bigram ids (`^word next`) by the key of the word after this one. */
  leadNext: Map<number, number> | undefined;
  /** Scratch of the counter: the input the word was last met in, and how often it occurs there. */
  lastInput: number;
  timesInInput: number;
}

/**
 * How words and feature strings become ids. Training interns every feature it meets; serving
 * only looks them up in the vocabulary (-1 when unknown) and never grows beyond a cache.
 */
interface FeatureIds {
  /**
   * The entries of the words of `text` (see words()), in order, into `out` (its length set to their
   * number); from `masked` when given (`text` as maskMessage masks it: see FeatureInput.maskedText).
   */
  tokens(text: string, out: WordEntry[], masked?: string): void;
  /**
   * How many known character n-grams the word of `entry` has, found on first use: training keeps
   * their ids in entry.chars, serving in `pool` (entry.gramAt).
   */
  chars(entry: WordEntry): number;
  /** Serving: the character n-gram ids of the words met, and the refs to their idf. */
  readonly pool?: GramPool;
  readonly weights?: WeightTable;
  /**
   * The ids of the bigrams of `entries[i]`, `entries[i + 1]` for i < count - 1 into ids[i], and
   * at serving time their idf into weights[i] (training: left as they are). All of a row's pairs
   * are looked up before any is counted: lookups that do not wait on each other, so that their
   * cache misses overlap (issue 9: predict throughput).
   */
  bigrams(entries: readonly WordEntry[], count: number, ids: Int32Array, weights: Float64Array): void;
  /** Id of the lead unigram `^a`; -1 when unknown. */
  leadUnigram(a: WordEntry): number;
  /** Id of the lead bigram `^a b`; -1 when unknown. */
  leadBigram(a: WordEntry, b: WordEntry): number;
  /** Id of any other feature (longer word n-grams, context). */
  feature(name: string): number;
  /** Every id given so far is below this (the vocabulary's size at serving time). */
  bound(): number;
  /** Serving: how many words outside the vocabulary are cached now (training: none). */
  cachedWords?(): number;
}

/**
 * Counts an input's features by id without building most feature strings: words repeat (Zipf),
 * so a word's unigram, lead and character n-gram ids are found once per distinct word, a
 * bigram is looked up by the pair of word keys, and counts go to a dense scratch array. This is
 * where the cost of featurizing is, at training and at serving time (issue 9: predict
 * throughput).
 *
 * The features of a row come in a fixed order (word n-grams, lead n-grams, context, character
 * n-grams; each distinct feature where it first occurs): the order of a row's terms is the
 * order onnxruntime sums them in, so it is part of what makes a prediction reproducible.
 */
class FeatureCounter {
  private counts = new Int32Array(1024);
  /** Distinct ids of the row being counted, in order of first occurrence: touched[0 .. size). */
  private touched = new Int32Array(1024);
  /** Serving: idf of each of them (rowIdf[e] of touched[e]), written as they are met, read in order by weighInto. */
  private rowIdf = new Float64Array(1024);
  private size = 0;
  /**
   * Where each block's ids end in touched, in the order they are counted: word n-grams, lead,
   * context, character n-grams. A feature id is in one block only, so a row's ids come grouped
   * by block, each group in order of first occurrence (see ROW_BLOCKS).
   */
  private readonly ends = new Int32Array(ROW_BLOCKS.length);
  /** Serial number of the input being counted (WordEntry.lastInput). */
  private serial = 0;
  private distinct: WordEntry[] = [];
  /** The entries of the input's words, in order. */
  private entries: WordEntry[] = [];
  /** Scratch: the bigram ids of the row's word pairs, and (serving) their idf. */
  private pairIds = new Int32Array(256);
  private pairIdf = new Float64Array(256);

  /** `idf` per id at serving time (the counter fills rowIdf); absent when training counts. */
  constructor(
    private readonly options: FeaturizerOptions,
    private readonly ids: FeatureIds,
    private readonly idf?: Float64Array
  ) {}

  /** Room for `capacity` distinct ids in a row. */
  private growRow(capacity: number): void {
    const size = Math.max(capacity, this.touched.length * 2);
    const touched = new Int32Array(size);
    touched.set(this.touched.subarray(0, this.size));
    this.touched = touched;
    const rowIdf = new Float64Array(size);
    rowIdf.set(this.rowIdf.subarray(0, this.size));
    this.rowIdf = rowIdf;
  }

  private add(id: number, times = 1): void {
    if (id >= 0) this.addWeighed(id, this.idf ? this.idf[id] : 0, times);
  }

  /** add of an id whose idf the caller has at hand (`weight`; training: anything). */
  private addWeighed(id: number, weight: number, times = 1): void {
    if (id < 0) return;
    if (id >= this.counts.length) {
      const grown = new Int32Array(Math.max(id + 1, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    if (this.counts[id] === 0) {
      if (this.size === this.touched.length) this.growRow(this.size + 1);
      this.rowIdf[this.size] = weight;
      this.touched[this.size++] = id;
    }
    this.counts[id] += times;
  }

  /** Room in counts for ids below `bound`, and in the row for `more` ids. */
  private makeRoom(bound: number, more: number): void {
    if (bound > this.counts.length) {
      const grown = new Int32Array(Math.max(bound, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    if (this.size + more > this.touched.length) this.growRow(this.size + more);
  }

  /**
   * Adds `ids[0 .. n)` once each (-1: none), their idf in `weights` (training: anything), each
   * below `bound`: room is made once, and a new id is appended without a branch (the unigrams and
   * bigrams of every row go through here).
   */
  private addAll(ids: Int32Array, weights: Float64Array, n: number, bound: number): void {
    this.makeRoom(bound, n);
    const { counts, touched, rowIdf } = this;
    let size = this.size;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      if (id < 0) continue;
      const count = counts[id];
      // Written always, kept only when the id is new to the row (count 0 → 1, else 0).
      touched[size] = id;
      rowIdf[size] = weights[i];
      size += (count - 1) >>> 31;
      counts[id] = count + 1;
    }
    this.size = size;
  }

  /**
   * Adds the character n-grams of `distinct` words (ids set, `grams` of them in all, each below
   * `bound`), each gram `timesInInput` times: the loop most of a row's features go through, so
   * room is made once for all of them and a new id is appended without a branch.
   */
  private addGrams(distinct: readonly WordEntry[], grams: number, bound: number): void {
    this.makeRoom(bound, grams);
    const { counts, touched, rowIdf } = this;
    let size = this.size;
    const pool = this.ids.pool;
    if (pool) {
      // Serving: a word's ids and their idf refs lie next to each other in one pool (GramPool).
      const { grams: cached, scratch } = pool;
      const values = this.ids.weights?.values as Float64Array;
      for (let d = 0; d < distinct.length; d++) {
        const entry = distinct[d];
        const times = entry.timesInInput;
        const grams = entry.transient ? scratch : cached;
        const end = entry.gramAt + 2 * entry.gramCount;
        for (let e = entry.gramAt; e < end; e += 2) {
          const id = grams[e];
          const count = counts[id];
          // Written always, kept only when the id is new to the row (count 0 → 1, else 0).
          touched[size] = id;
          rowIdf[size] = values[grams[e + 1]];
          size += (count - 1) >>> 31;
          counts[id] = count + times;
        }
      }
    } else {
      for (let d = 0; d < distinct.length; d++) {
        const entry = distinct[d];
        const ids = entry.chars as Int32Array;
        const times = entry.timesInInput;
        for (let e = 0; e < ids.length; e++) {
          const id = ids[e];
          const count = counts[id];
          touched[size] = id;
          size += (count - 1) >>> 31;
          counts[id] = count + times;
        }
      }
    }
    this.size = size;
  }

  /**
   * Counts `input`: its distinct ids in touched[0 .. size) (in order of first occurrence: sorting
   * them cost more than all the rest of featurizing, and nothing downstream needs an order), their
   * counts in counts[id], and where each block ends in `ends`. The caller reads them, then sets
   * the counts of those ids back to 0 for the next input.
   */
  private countRow(input: FeatureInput): void {
    const { wordNgrams, charNgrams } = this.options;
    const { ids, entries, idf } = this;
    ids.tokens(input.text, entries, input.maskedText);
    const count = entries.length;
    const phrase = (from: number, n: number) =>
      entries
        .slice(from, from + n)
        .map((e) => e.text)
        .join(' ');
    this.size = 0;
    if (this.pairIds.length < count) {
      this.pairIds = new Int32Array(count * 2);
      this.pairIdf = new Float64Array(count * 2);
    }
    const { pairIds, pairIdf } = this;
    for (const n of wordNgrams) {
      if (n === 1) {
        for (let i = 0; i < count; i++) {
          const id = entries[i].unigram;
          pairIds[i] = id;
          if (idf && id >= 0) pairIdf[i] = idf[id];
        }
        this.addAll(pairIds, pairIdf, count, ids.bound());
      } else if (n === 2) {
        ids.bigrams(entries, count, pairIds, pairIdf);
        this.addAll(pairIds, pairIdf, count - 1, ids.bound());
      } else {
        for (let i = 0; i + n <= count; i++) this.add(ids.feature(phrase(i, n)));
      }
    }
    // The lead block: word n-grams of the first words again, as leadFeatures lists them.
    this.ends[0] = this.size;
    const lead = Math.min(count, this.options.leadWords ?? 0);
    for (const n of wordNgrams) {
      if (n === 1) {
        for (let i = 0; i < lead; i++) this.add(ids.leadUnigram(entries[i]));
      } else if (n === 2) {
        for (let i = 0; i + 1 < lead; i++) this.add(ids.leadBigram(entries[i], entries[i + 1]));
      } else {
        for (let i = 0; i + n <= lead; i++) this.add(ids.feature(LEAD_PREFIX + phrase(i, n)));
      }
    }
    // Only inputs with context pay for listing and sorting it.
    this.ends[1] = this.size;
    if (hasEntries(input.context)) {
      const context: string[] = [];
      contextFeatures(input.context, context);
      for (const feature of context) this.add(ids.feature(feature));
    }
    this.ends[2] = this.size;
    if (charNgrams.length > 0) {
      // Once per distinct word, times its occurrences: a repeated word's n-grams were all met
      // at its first occurrence, so the order of first occurrence is the same.
      const serial = ++this.serial;
      const distinct = this.distinct;
      distinct.length = 0;
      for (let i = 0; i < count; i++) {
        const entry = entries[i];
        if (entry.lastInput === serial) entry.timesInInput++;
        else {
          entry.lastInput = serial;
          entry.timesInInput = 1;
          distinct.push(entry);
        }
      }
      let grams = 0;
      for (let d = 0; d < distinct.length; d++) grams += ids.chars(distinct[d]);
      this.addGrams(distinct, grams, ids.bound());
    }
    this.ends[3] = this.size;
  }

  /** Distinct feature ids, in order of first occurrence, and their counts. */
  count(input: FeatureInput): { ids: Int32Array; counts: Float32Array } {
    this.countRow(input);
    const { counts, size } = this;
    const ids = this.touched.slice(0, size);
    const out = new Float32Array(size);
    for (let e = 0; e < size; e++) {
      out[e] = counts[ids[e]];
      counts[ids[e]] = 0;
    }
    return { ids, counts: out };
  }

  /**
   * Appends the input's tf-idf row to `sink` (its distinct columns in order of first occurrence,
   * and their values, each block scaled to its length as weighRow does); the number appended.
   * The row's blocks are its runs of ids (ends), so no per-column block lookup, counts are
   * weighed as they are read, and idf comes in row order (rowIdf) instead of from a random
   * column of a table of them (a cache miss per term): the serving path (issue 9: predict
   * throughput). Only for a counter given the idf. The sums of
   * squares run over each block's values in the same order as weighRow's, so the values are
   * bit for bit those of transform and transformCorpus.
   */
  weighInto(input: FeatureInput, sink: RowSink, weights: RowWeights): number {
    this.countRow(input);
    const { touched, rowIdf, counts, size, ends } = this;
    sink.reserve(size);
    const { columns, values, length: at } = sink;
    const { sublinear, lengths } = weights;
    let from = 0;
    for (let b = 0; b < ROW_BLOCKS.length; b++) {
      const to = ends[b];
      let sum = 0;
      for (let e = from; e < to; e++) {
        const id = touched[e];
        const c = counts[id];
        counts[id] = 0;
        const v = (sublinear ? (c < SUBLINEAR_TF.length ? SUBLINEAR_TF[c] : 1 + Math.log(c)) : c) * rowIdf[e];
        columns[at + e] = id;
        values[at + e] = v;
        sum += v * v;
      }
      if (to > from) {
        const scale = sum > 0 ? lengths[ROW_BLOCKS[b]] / Math.sqrt(sum) : 0;
        for (let e = at + from; e < at + to; e++) values[e] *= scale;
      }
      from = to;
    }
    sink.length += size;
    return size;
  }
}

/** What weighs a row's counts besides the idf the counter was given: sublinear tf or not, and each block's length. */
interface RowWeights {
  sublinear: boolean;
  lengths: Float64Array;
}

/** Growing buffers of (column, value) pairs: the rows of a batch, back to back. */
class RowSink {
  columns = new Int32Array(1 << 16);
  values = new Float32Array(1 << 16);
  length = 0;

  reserve(more: number): void {
    if (this.length + more <= this.columns.length) return;
    const capacity = Math.max(this.length + more, this.columns.length * 2);
    const columns = new Int32Array(capacity);
    columns.set(this.columns.subarray(0, this.length));
    const values = new Float32Array(capacity);
    values.set(this.values.subarray(0, this.length));
    this.columns = columns;
    this.values = values;
  }
}

/** Rows a batch featurizes before it reserves room for the rest, at their mean width plus a quarter. */
const PROJECT_AFTER_ROWS = 256;

/** What transformBatch writes into; one per caller, so that overlapping callers never share them. */
export class BatchBuffers {
  readonly rows = new RowSink();
}

/** `<`: placeholders (`<num>`) have no character n-grams. */
const PLACEHOLDER_START = 60;

/** Known character n-gram ids of a word, through `idOf` (-1: unknown, left out); none for a placeholder (`<num>`). */
function charIds(w: string, lengths: readonly number[], idOf: (feature: string) => number): Int32Array {
  if (lengths.length === 0 || w.charCodeAt(0) === PLACEHOLDER_START) return NO_IDS;
  const grams: string[] = [];
  charGrams(w, lengths, grams);
  const ids: number[] = [];
  for (const g of grams) {
    const id = idOf(g);
    if (id >= 0) ids.push(id);
  }
  return Int32Array.from(ids);
}

const NO_IDS = new Int32Array(0);

/**
 * A model's idf values, each distinct one once (there is one per document frequency: a few
 * thousand for a vocabulary of hundreds of thousands), and which of them each column has: a
 * lookup table that stays in the cache, where tables keyed by word (bigrams, character n-grams)
 * would otherwise carry a float64 per entry (issue 9: predict throughput).
 */
class WeightTable {
  /** Which of `values` each column's idf is. */
  readonly refs: Int32Array;
  readonly values: Float64Array;

  constructor(idf: Float64Array) {
    this.refs = new Int32Array(idf.length);
    const values: number[] = [];
    const refOf = new Map<number, number>();
    for (let column = 0; column < idf.length; column++) {
      let ref = refOf.get(idf[column]);
      if (ref === undefined) {
        ref = values.length;
        values.push(idf[column]);
        refOf.set(idf[column], ref);
      }
      this.refs[column] = ref;
    }
    this.values = Float64Array.from(values);
  }
}

/**
 * Serving: the character n-gram ids of the words met, each with its WeightTable ref, a word's
 * run of them in one int32 array (id, ref, id, ref, ...) instead of two small typed arrays per
 * word: a word's grams are one or two cache lines of one array rather than two objects and their
 * two stores elsewhere in the heap (issue 9: predict throughput), and the cache of words grows no
 * JS objects. Emptied, never shrunk, when the word cache is forgotten.
 */
class GramPool {
  /** (id, ref) pairs of the cached words. */
  grams = new Int32Array(1 << 15);
  /** Int32 slots used. */
  private used = 0;
  /** (id, ref) pairs of the transient words of the row being counted (WordEntry.transient). */
  scratch = new Int32Array(1 << 10);
  private scratchUsed = 0;

  /** Stores `ids` with the ref of each (`weights`); where they start. */
  add(ids: Int32Array, weights: WeightTable): number {
    const at = this.used;
    this.grams = withPairs(this.grams, at, ids, weights);
    this.used = at + 2 * ids.length;
    return at;
  }

  /** add into `scratch`, for the row being counted only. */
  addScratch(ids: Int32Array, weights: WeightTable): number {
    const at = this.scratchUsed;
    this.scratch = withPairs(this.scratch, at, ids, weights);
    this.scratchUsed = at + 2 * ids.length;
    return at;
  }

  clear(): void {
    this.used = 0;
  }

  clearScratch(): void {
    this.scratchUsed = 0;
  }
}

/** `pairs` (or a larger copy of its first `at` slots) with (id, ref) pairs of `ids` written from `at`. */
function withPairs(
  pairs: Int32Array<ArrayBuffer>,
  at: number,
  ids: Int32Array,
  weights: WeightTable
): Int32Array<ArrayBuffer> {
  const end = at + 2 * ids.length;
  if (end > pairs.length) {
    const grown = new Int32Array(Math.max(end, pairs.length * 2));
    grown.set(pairs.subarray(0, at));
    pairs = grown;
  }
  for (let e = 0; e < ids.length; e++) {
    pairs[at + 2 * e] = ids[e];
    pairs[at + 2 * e + 1] = weights.refs[ids[e]];
  }
  return pairs;
}

const newEntry = (text: string, unigram: number, key: number, lead: number | undefined): WordEntry => ({
  text,
  unigram,
  chars: undefined,
  gramAt: -1,
  gramCount: 0,
  transient: false,
  key,
  next: undefined,
  lead,
  leadNext: undefined,
  lastInput: -1,
  timesInInput: 0,
});

/** Training: every feature met gets an id, in order of appearance. */
function internIds(options: FeaturizerOptions, terms: string[]): FeatureIds {
  const idOf = new Map<string, number>();
  const intern = (feature: string) => {
    let id = idOf.get(feature);
    if (id === undefined) {
      id = terms.length;
      terms.push(feature);
      idOf.set(feature, id);
    }
    return id;
  };
  const seen = new Map<string, WordEntry>();
  const hasUnigrams = options.wordNgrams.includes(1);
  const pair = (a: WordEntry, b: WordEntry, name: () => string, table: 'next' | 'leadNext') => {
    const byKey = (a[table] ??= new Map());
    let id = byKey.get(b.key);
    if (id === undefined) {
      id = intern(name());
      byKey.set(b.key, id);
    }
    return id;
  };
  const word = (w: string) => {
    let entry = seen.get(w);
    if (!entry) {
      entry = newEntry(w, hasUnigrams ? intern(w) : -1, seen.size, undefined);
      seen.set(w, entry);
    }
    return entry;
  };
  return {
    tokens(text, out, masked) {
      const ws = masked === undefined ? words(text) : wordsOfMasked(masked);
      out.length = ws.length;
      for (let i = 0; i < ws.length; i++) out[i] = word(ws[i]);
    },
    chars: (entry) => (entry.chars ??= charIds(entry.text, options.charNgrams, intern)).length,
    bigrams(entries, count, ids) {
      for (let i = 0; i + 1 < count; i++) {
        const a = entries[i];
        const b = entries[i + 1];
        ids[i] = pair(a, b, () => `${a.text} ${b.text}`, 'next');
      }
    },
    leadUnigram: (a) => (a.lead ??= intern(LEAD_PREFIX + a.text)),
    leadBigram: (a, b) => pair(a, b, () => `${LEAD_PREFIX}${a.text} ${b.text}`, 'leadNext'),
    feature: intern,
    bound: () => terms.length,
  };
}

/**
 * Feature ids of word pairs by the pair of word keys, in one flat typed array (open addressing,
 * linear probing): a bigram is looked up at every word of every input, and one probe into one
 * array costs far less than a Map per word (issue 9: predict throughput). The table is read at
 * random and is larger than the cache, so its size is what a lookup costs: when the keys and ids
 * allow it (at most 46,340 words, and id and idf ref in 32 bits together), a slot is two int32
 * (8 bytes, eight to a cache line): the pair as one number `a * words + b`, then the id with its
 * idf's ref in a WeightTable in the bits above it. Else a slot is four int32: first key, second
 * key, id, ref. Both give the same ids and weights.
 */
class PairTable {
  /** The slots; an empty one starts with -1. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Whether slots are packed (two int32) or wide (four). */
  private readonly packed: boolean;
  /** Packed: the number of word keys (a pair is a * words + b), and the bits of the id below its ref. */
  private readonly words: number;
  private readonly idBits: number;
  private readonly idMask: number;

  /**
   * `pairs` are (a, b, id), each key below `words`. With `weights`, each pair's idf ref is stored
   * with it (weightAt); else weightAt is 0.
   */
  constructor(
    pairs: ReadonlyArray<readonly [number, number, number]>,
    words: number,
    private readonly weights: WeightTable = NO_WEIGHTS
  ) {
    let maxId = 0;
    for (const pair of pairs) maxId = Math.max(maxId, pair[2]);
    this.words = Math.max(1, words);
    this.idBits = 32 - Math.clz32(maxId);
    this.idMask = 2 ** this.idBits - 1;
    const refBits = 32 - Math.clz32(weights.values.length - 1);
    this.packed = this.words * this.words <= 2 ** 31 && this.idBits + refBits <= 32;
    let size = 16;
    while (size < pairs.length * 2) size *= 2;
    this.mask = size - 1;
    const stride = this.packed ? 2 : 4;
    const slots = new Int32Array(size * stride).fill(-1);
    for (const [a, b, id] of pairs) {
      const ref = weights === NO_WEIGHTS ? 0 : weights.refs[id];
      if (this.packed) {
        const key = a * this.words + b;
        let slot = this.packedSlotOf(key);
        while (slots[slot * 2] !== -1) slot = (slot + 1) & this.mask;
        slots[slot * 2] = key;
        slots[slot * 2 + 1] = id | (ref << this.idBits);
      } else {
        let slot = this.wideSlotOf(a, b);
        while (slots[slot * 4] !== -1) slot = (slot + 1) & this.mask;
        slots[slot * 4] = a;
        slots[slot * 4 + 1] = b;
        slots[slot * 4 + 2] = id;
        slots[slot * 4 + 3] = ref;
      }
    }
    this.slots = slots;
  }

  private packedSlotOf(key: number): number {
    const h = Math.imul(key, 0x9e3779b1);
    return (h ^ (h >>> 15)) & this.mask;
  }

  private wideSlotOf(a: number, b: number): number {
    const h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    return (h ^ (h >>> 15)) & this.mask;
  }

  /** The slot of (a, b) (keys ≥ 0); -1 when there is none. */
  find(a: number, b: number): number {
    const slots = this.slots;
    if (this.packed) {
      const key = a * this.words + b;
      for (let slot = this.packedSlotOf(key); ; slot = (slot + 1) & this.mask) {
        const first = slots[slot * 2];
        if (first === key) return slot;
        if (first === -1) return -1;
      }
    }
    for (let slot = this.wideSlotOf(a, b); ; slot = (slot + 1) & this.mask) {
      const first = slots[slot * 4];
      if (first === -1) return -1;
      if (first === a && slots[slot * 4 + 1] === b) return slot;
    }
  }

  /** The id of the pair in `slot` (found by find). */
  idAt(slot: number): number {
    return this.packed ? this.slots[slot * 2 + 1] & this.idMask : this.slots[slot * 4 + 2];
  }

  /** The weight stored with the pair in `slot`. */
  weightAt(slot: number): number {
    const ref = this.packed ? this.slots[slot * 2 + 1] >>> this.idBits : this.slots[slot * 4 + 3];
    return this.weights.values[ref];
  }

  /** The id of (a, b) (keys ≥ 0); -1 when there is none. */
  get(a: number, b: number): number {
    const slot = this.find(a, b);
    return slot < 0 ? -1 : this.idAt(slot);
  }
}

const NO_WEIGHTS = new WeightTable(Float64Array.of(0));

/**
 * Serving: ids are vocabulary columns. Words of the vocabulary's word and lead features are a
 * fixed table (their bigrams and lead bigrams hang off them); other words only need their
 * character n-grams and are kept in a bounded cache from their second sighting on (a word met
 * once has its n-grams found into scratch space for its row alone). Character n-gram ids are found when a
 * word is first met, so loading a model does not pay for the words no input uses. Words are
 * found by scanning char codes (WordTable), and a text that masking leaves as it is is read
 * as it is, never copied masked and lower-cased.
 */
function vocabularyIds(
  options: FeaturizerOptions,
  vocabulary: readonly string[],
  index: ReadonlyMap<string, number>,
  idf: Float64Array,
  cachedWords: number
): FeatureIds {
  const lookup = (feature: string) => index.get(feature) ?? -1;
  const hasUnigrams = options.wordNgrams.includes(1);
  const known = new Map<string, WordEntry>();
  const knownEntry = (w: string) => {
    let entry = known.get(w);
    if (!entry) {
      entry = newEntry(w, hasUnigrams ? lookup(w) : -1, known.size, -1);
      known.set(w, entry);
    }
    return entry;
  };
  const bigrams: Array<[WordEntry, WordEntry, number]> = [];
  const leadBigrams: Array<[WordEntry, WordEntry, number]> = [];
  vocabulary.forEach((feature, column) => {
    const block = blockOf(feature);
    if (block === Block.Word) {
      const parts = feature.split(' ');
      if (parts.length === 2) bigrams.push([knownEntry(parts[0]), knownEntry(parts[1]), column]);
      else parts.forEach(knownEntry);
    } else if (block === Block.Lead) {
      // Longer lead n-grams are looked up by name.
      const parts = feature.slice(LEAD_PREFIX.length).split(' ');
      if (parts.length === 1) knownEntry(parts[0]).lead = column;
      else if (parts.length === 2) leadBigrams.push([knownEntry(parts[0]), knownEntry(parts[1]), column]);
    }
  });
  const weights = new WeightTable(idf);
  const bigramTable = new PairTable(
    bigrams.map(([a, b, column]) => [a.key, b.key, column]),
    known.size,
    weights
  );
  const leadBigramTable = new PairTable(leadBigrams.map(([a, b, column]) => [a.key, b.key, column]), known.size);
  const pool = new GramPool();
  const table = new WordTable<WordEntry>(
    (w, transient) => {
      const entry = newEntry(w, hasUnigrams ? lookup(w) : -1, -1, -1);
      entry.transient = transient;
      return entry;
    },
    cachedWords,
    // The grams go with the cached words; every word (a forgotten one may still be in the row
    // being read) finds its grams again when next met.
    (entries) => {
      pool.clear();
      for (const entry of entries) entry.gramAt = -1;
    },
    // Words met once (ids, random tokens) are not cached: see WordTable.
    { secondSighting: true }
  );
  for (const entry of known.values()) table.addPermanent(entry);
  return {
    tokens: (text, out, masked) => {
      // A new row: the transient words' grams of the row before are not read again.
      pool.clearScratch();
      if (masked !== undefined) table.scan(masked.toLowerCase(), out);
      else if (!table.scanIfMaskedAsIs(text, out)) table.scan(masker.mask(text).toLowerCase(), out);
    },
    chars(entry) {
      if (entry.gramAt < 0) {
        const found = charIds(entry.text, options.charNgrams, lookup);
        entry.gramAt = entry.transient ? pool.addScratch(found, weights) : pool.add(found, weights);
        entry.gramCount = found.length;
      }
      return entry.gramCount;
    },
    pool,
    weights,
    bigrams(entries, count, ids, weights) {
      for (let i = 0; i + 1 < count; i++) {
        const a = entries[i].key;
        const b = entries[i + 1].key;
        const slot = a >= 0 && b >= 0 ? bigramTable.find(a, b) : -1;
        if (slot < 0) ids[i] = -1;
        else {
          ids[i] = bigramTable.idAt(slot);
          weights[i] = bigramTable.weightAt(slot);
        }
      }
    },
    leadUnigram: (a) => a.lead ?? -1,
    leadBigram: (a, b) => (a.key >= 0 && b.key >= 0 ? leadBigramTable.get(a.key, b.key) : -1),
    feature: lookup,
    bound: () => vocabulary.length,
    cachedWords: () => table.cachedCount,
  };
}

/**
 * Distinct words whose character n-gram columns a serving featurizer remembers (each met twice at
 * least: see WordTable); when that many are cached, it forgets them all.
 */
const CHAR_CACHE_WORDS = 200_000;

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Term counts of a corpus, tokenised once: cross-validation fits a vocabulary per fold from
 * these instead of tokenising every document again for every fold and candidate.
 */
export interface TokenizedCorpus {
  options: FeaturizerOptions;
  /** Every distinct feature seen; ids index it. */
  terms: string[];
  /** Per document: distinct term ids and their counts. */
  ids: Int32Array[];
  counts: Float32Array[];
}

export function tokenizeCorpus(
  inputs: readonly FeatureInput[],
  options: Partial<FeaturizerOptions> = {}
): TokenizedCorpus {
  const opts: FeaturizerOptions = { ...DEFAULT_FEATURIZER_OPTIONS, ...options };
  const terms: string[] = [];
  const counter = new FeatureCounter(opts, internIds(opts, terms));
  const ids: Int32Array[] = [];
  const counts: Float32Array[] = [];
  for (const input of inputs) {
    const counted = counter.count(input);
    ids.push(counted.ids);
    counts.push(counted.counts);
  }
  return { options: opts, terms, ids, counts };
}

/**
 * Learns the vocabulary of the documents `rows` of a tokenised corpus: per block, the features
 * in at least `minDocumentFrequency` documents, the `maxFeatures` most frequent of them (ties by
 * name, so the result never depends on input order), and smoothed idf ln((1+N)/(1+df)) + 1 as
 * scikit-learn computes it. `weights` counts a document several times (deduplicated rows).
 */
export function fitVocabulary(
  corpus: TokenizedCorpus,
  rows: ArrayLike<number>,
  options: Partial<FeaturizerOptions> = {},
  weights?: ArrayLike<number>
): FeaturizerParams {
  const opts: FeaturizerOptions = { ...corpus.options, ...options };
  const df = new Float64Array(corpus.terms.length);
  let documents = 0;
  for (let r = 0; r < rows.length; r++) {
    const doc = rows[r];
    const w = weights ? weights[r] : 1;
    documents += w;
    const ids = corpus.ids[doc];
    for (let e = 0; e < ids.length; e++) df[ids[e]] += w;
  }
  const kept: number[][] = [[], [], [], []];
  for (let id = 0; id < df.length; id++) {
    if (df[id] > 0 && df[id] >= opts.minDocumentFrequency) kept[blockOf(corpus.terms[id])].push(id);
  }
  const vocabulary: string[] = [];
  const idf: number[] = [];
  kept.forEach((block, b) => {
    block.sort((x, y) => df[y] - df[x] || byName(corpus.terms[x], corpus.terms[y]));
    // Context values are few and each is a fact about the row: never capped.
    const cap = b === Block.Context ? block.length : opts.maxFeatures;
    for (const id of block.slice(0, cap)) {
      vocabulary.push(corpus.terms[id]);
      idf.push(Math.log((1 + documents) / (1 + df[id])) + 1);
    }
  });
  return { version: FEATURIZER_VERSION, maskingVersion: MASKING_VERSION, options: opts, vocabulary, idf };
}

/**
 * Learns the vocabulary and idf of `inputs` (see fitVocabulary); `weights` counts a document
 * several times (deduplicated training rows).
 */
export function fitFeaturizer(
  inputs: readonly FeatureInput[],
  options: Partial<FeaturizerOptions> = {},
  weights?: readonly number[]
): FeaturizerParams {
  const corpus = tokenizeCorpus(inputs, options);
  return fitVocabulary(
    corpus,
    Int32Array.from(inputs, (_, i) => i),
    {},
    weights
  );
}

/** Compressed sparse rows: row r is indices/values[rowPtr[r] .. rowPtr[r + 1]), each column once. */
export interface SparseMatrix {
  rows: number;
  cols: number;
  rowPtr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** 1 + ln(tf) of the small counts almost every term has, computed once (Math.log gives the same double). */
const SUBLINEAR_TF = Float64Array.from({ length: 256 }, (_, c) => 1 + Math.log(c));
/** Per-block sums of squares of the row being weighed. */
const blockNorms = new Float64Array(4);

/**
 * tf-idf of one row's (column, count) pairs `columns[at..at+length)`, `counts[at..]`, into
 * `out[at..]`, each block scaled to its length (`lengths[block]`). The float32 rounding steps
 * are part of the model's numerics: changing them changes predictions in the last digits.
 */
function weighRow(
  columns: Int32Array,
  counts: Float32Array,
  at: number,
  length: number,
  idf: Float64Array,
  blocks: Uint8Array,
  sublinear: boolean,
  lengths: Float64Array,
  out: Float32Array
): void {
  const norms = blockNorms.fill(0);
  const end = at + length;
  for (let e = at; e < end; e++) {
    const c = counts[e];
    const tf = sublinear ? (c < SUBLINEAR_TF.length ? SUBLINEAR_TF[c] : 1 + Math.log(c)) : c;
    const v = tf * idf[columns[e]];
    out[e] = v;
    norms[blocks[columns[e]]] += v * v;
  }
  for (let b = 0; b < BLOCKS; b++) norms[b] = norms[b] > 0 ? lengths[b] / Math.sqrt(norms[b]) : 0;
  for (let e = at; e < end; e++) out[e] *= norms[blocks[columns[e]]];
}

export interface Featurizer {
  readonly params: FeaturizerParams;
  /** Number of columns of the feature matrix. */
  readonly dimension: number;
  /** TF-IDF of the input's known features, each block L2-normalised (all zeros when none is known). */
  transform(input: FeatureInput): SparseVector;
  /**
   * transform of many inputs at once, as one sparse matrix (the serving path: no per-row arrays).
   * Its arrays are views of `buffers`: a caller featurizing block after block passes the same
   * buffers each time (no allocation per block) and reads a block's matrix before the next.
   */
  transformBatch(inputs: readonly FeatureInput[], buffers?: BatchBuffers): SparseMatrix;
  /** The same as transform, row by row, for the rows of a tokenised corpus (cross-validation). */
  transformCorpus(corpus: TokenizedCorpus, rows: ArrayLike<number>): SparseMatrix;
  /**
   * How many words outside the vocabulary it remembers the character n-grams of now: those met
   * at least twice since it last forgot them (see WordTable).
   */
  cachedWords(): number;
}

export class FeaturizerVersionError extends Error {}

/**
 * The featurizer of a model's parameters. `cachedWords`: how many words outside the vocabulary
 * it remembers the character n-grams of before it forgets them all (tests make it small).
 */
export function createFeaturizer(params: FeaturizerParams, cachedWords = CHAR_CACHE_WORDS): Featurizer {
  if (params.version !== FEATURIZER_VERSION || params.maskingVersion !== MASKING_VERSION) {
    throw new FeaturizerVersionError(
      `model featurizes with v${params.version} (masking v${params.maskingVersion}); ` +
        `this build has v${FEATURIZER_VERSION} (masking v${MASKING_VERSION}): retrain the model`
    );
  }
  const index = new Map(params.vocabulary.map((token, i) => [token, i] as const));
  const idf = Float64Array.from(params.idf);
  const blocks = Uint8Array.from(params.vocabulary, blockOf);
  const sublinear = params.options.sublinearTf ?? true;
  const lengths = Float64Array.of(1, 1, 1, params.options.leadWeight ?? 0.5);
  const dimension = params.vocabulary.length;
  const ids = vocabularyIds(params.options, params.vocabulary, index, idf, cachedWords);
  const counter = new FeatureCounter(params.options, ids, idf);
  const weights: RowWeights = { sublinear, lengths };
  return {
    params,
    dimension,
    transform(input) {
      const { ids: columns, counts } = counter.count(input);
      const values = new Float32Array(columns.length);
      weighRow(columns, counts, 0, columns.length, idf, blocks, sublinear, lengths, values);
      return { indices: Array.from(columns), values: Array.from(values) };
    },
    transformBatch(inputs, buffers = new BatchBuffers()) {
      const sink = buffers.rows;
      sink.length = 0;
      const rowPtr = new Int32Array(inputs.length + 1);
      for (let r = 0; r < inputs.length; r++) {
        // The block's size projected from its first rows: one growth instead of one per doubling.
        if (r === PROJECT_AFTER_ROWS) sink.reserve(Math.ceil(((sink.length / r) * (inputs.length - r) * 5) / 4));
        rowPtr[r + 1] = rowPtr[r] + counter.weighInto(inputs[r], sink, weights);
      }
      const nnz = sink.length;
      return {
        rows: inputs.length,
        cols: dimension,
        rowPtr,
        indices: sink.columns.subarray(0, nnz),
        values: sink.values.subarray(0, nnz),
      };
    },
    transformCorpus(corpus, rows) {
      // Corpus term id → column, -1 when the vocabulary dropped it.
      const columnOf = new Int32Array(corpus.terms.length).fill(-1);
      corpus.terms.forEach((term, id) => {
        const column = index.get(term);
        if (column !== undefined) columnOf[id] = column;
      });
      let nnz = 0;
      for (let r = 0; r < rows.length; r++) {
        const ids = corpus.ids[rows[r]];
        for (let e = 0; e < ids.length; e++) if (columnOf[ids[e]] >= 0) nnz++;
      }
      const rowPtr = new Int32Array(rows.length + 1);
      const indices = new Int32Array(nnz);
      const values = new Float32Array(nnz);
      const tf = new Float32Array(nnz);
      let at = 0;
      for (let r = 0; r < rows.length; r++) {
        const doc = rows[r];
        const ids = corpus.ids[doc];
        const counts = corpus.counts[doc];
        let length = 0;
        for (let e = 0; e < ids.length; e++) {
          const column = columnOf[ids[e]];
          if (column < 0) continue;
          indices[at + length] = column;
          tf[at + length++] = counts[e];
        }
        weighRow(indices, tf, at, length, idf, blocks, sublinear, lengths, values);
        at += length;
        rowPtr[r + 1] = at;
      }
      return { rows: rows.length, cols: dimension, rowPtr, indices, values };
    },
    cachedWords: () => ids.cachedWords?.() ?? 0,
  };
}

/** Row r of a sparse matrix as a SparseVector. */
export function rowOf(matrix: SparseMatrix, r: number): SparseVector {
  const from = matrix.rowPtr[r];
  const to = matrix.rowPtr[r + 1];
  return {
    indices: Array.from(matrix.indices.subarray(from, to)),
    values: Array.from(matrix.values.subarray(from, to)),
  };
}

/** Rows as one sparse matrix (the shape the trainer takes). */
export function toSparseMatrix(rows: readonly SparseVector[], dimension: number): SparseMatrix {
  const nnz = rows.reduce((sum, r) => sum + r.indices.length, 0);
  const rowPtr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let at = 0;
  rows.forEach((row, r) => {
    indices.set(row.indices, at);
    values.set(row.values, at);
    at += row.indices.length;
    rowPtr[r + 1] = at;
  });
  return { rows: rows.length, cols: dimension, rowPtr, indices, values };
}
