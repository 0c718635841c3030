import { isCalendarWord } from './logHeader';
import { createMasker, MASKING_VERSION } from './masking';
import type { Masker, MaskRuleSpec } from './masking';

/** The placeholder for a position where the lines of one template differ. */
export const WILDCARD = '<*>';

/**
 * Streaming template mining in the manner of Drain (He et al., ICWS 2017): messages are
 * masked and tokenised, routed through a fixed-depth prefix tree (token count, then the
 * first few tokens) to a small list of clusters, and joined to the most similar one, whose
 * template turns differing positions into `<*>`; when none is similar enough, a new cluster
 * starts.
 *
 * Mining a batch (`addAll`, as `nocai templates` does) goes one step further once every line
 * has been seen: a wildcard position of a cluster where only a few distinct plain words
 * appeared (`stored as bytes|values`, `Transitioned from NEW to RUNNING`) holds an
 * enumeration, not a variable, and each combination of its words is a template of its own.
 * A stream cannot tell yet whether the second user name it sees is the last one, so `add`
 * keeps Drain's clusters, whose ids never split.
 */
export interface TemplateMinerSettings {
  /**
   * Drain's tree depth, counting the root, the token-count layer and the leaf layer, so
   * `depth - 3` leading tokens route a message (4 → the first token). At least 3.
   */
  depth: number;
  /**
   * Share of positions where a message must repeat the template's constant token to join it,
   * in [0, 1]; positions already `<*>` count as misses, as in Drain.
   */
  similarityThreshold: number;
  /** Children per tree node; past it, new tokens share the `<*>` branch. At least 2. */
  maxChildren: number;
  /** Clusters kept; the least recently used is forgotten when a new one would exceed it. */
  maxClusters: number;
  /**
   * Batch mining only: the most distinct plain words a wildcard position may show and still be
   * an enumeration, one template per word; below 2, no position is (Drain's behaviour).
   */
  maxVariantWords: number;
  /**
   * The same for positions whose words are all upper-case names (`RUNNING`, `JOB_SETUP`), the
   * spelling code conventionally gives enumeration constants; the larger of the two applies.
   */
  maxVariantConstants: number;
  /** Dataset-specific substitutions applied before the built-in masking. */
  extraMaskRules: readonly MaskRuleSpec[];
}

/**
 * Defaults for lines of unknown origin, chosen by leave-one-system-out cross-validation over
 * the eight Loghub-2k systems, raw lines (loghubCv.ts; `npm run bench:loghub` prints the
 * table): the candidate with the best mean grouping accuracy over all eight. It sits on a
 * plateau (depth 4–5, threshold 0.55–0.65, 8–16 constants score the same), so no single
 * system pins it. Depth 4 and 0.6 are Drain's usual depth and this miner's earlier threshold;
 * three words split `stored as bytes|values` but not the user names of a login; eight
 * upper-case constants split a state machine's transitions.
 */
export const DEFAULT_TEMPLATE_MINER_SETTINGS: TemplateMinerSettings = {
  depth: 4,
  similarityThreshold: 0.6,
  maxChildren: 100,
  maxClusters: 10_000,
  maxVariantWords: 3,
  maxVariantConstants: 8,
  extraMaskRules: [],
};

export interface MinedTemplate {
  /** Fixed for the life of a cluster, even as its template gains wildcards. */
  templateId: string;
  /** Masked tokens joined by single spaces, `<*>` where the cluster's lines differ. */
  template: string;
}

export interface AddResult extends MinedTemplate {
  /** The message started a new cluster. */
  isNew: boolean;
  /** The message turned some of an existing cluster's tokens into wildcards. */
  changed: boolean;
  /**
   * The message as `maskMessage` masks it (built-in rules, whitespace collapsed), when the miner
   * masks with the built-in rules alone: whoever reads the message next (the classifiers) need not
   * mask it again. Absent with `extraMaskRules`, whose masking differs.
   */
  maskedMessage?: string;
}

export interface TemplateSummary extends MinedTemplate {
  /** Messages joined to the cluster since it started. */
  size: number;
}

export interface TemplateMinerOptions extends Partial<TemplateMinerSettings> {
  /** Called synchronously by `add` when a message starts a new cluster. */
  onNewTemplate?: (template: MinedTemplate) => void;
}

interface TreeNode {
  readonly key: string;
  readonly parent: TreeNode | undefined;
  readonly children: Map<string, TreeNode>;
  /** Only leaves hold clusters; the order decides ties in similarity, so it is part of the state. */
  readonly clusters: Cluster[];
}

interface Cluster {
  readonly id: string;
  readonly tokens: string[];
  template: string;
  size: number;
  wildcards: number;
  readonly leaf: TreeNode;
}

interface SerializedNode {
  children?: Array<[string, SerializedNode]>;
  clusterIds?: string[];
}

/**
 * Everything needed to continue mining exactly where a miner stopped; plain JSON. Format 2
 * routes tokens holding a placeholder down the `<*>` branch; format 1 (still read) did not.
 */
export interface TemplateMinerState {
  format: 1 | 2;
  maskingVersion: number;
  settings: TemplateMinerSettings;
  /** Least recently used first. */
  clusters: Array<{ id: string; tokens: string[]; size: number }>;
  /** The root's children, keyed by token count. */
  tree: Array<[string, SerializedNode]>;
}

function newNode(key: string, parent: TreeNode | undefined): TreeNode {
  return { key, parent, children: new Map(), clusters: [] };
}

/**
 * Tokens that route to the `<*>` branch: Drain sends anything with a digit there. Masking has
 * turned most digits into placeholders, so a token holding one (`<IP>`, `blk_<NUM>`,
 * `task_<NUM>_m_<NUM>`) goes there too, as its unmasked form would have.
 */
function isVariableToken(token: string): boolean {
  if (token === WILDCARD) return true;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code >= 48 && code <= 57) return true;
    if (code === 60 /* < */ && isPlaceholderAt(token, i)) return true;
  }
  return false;
}

/** Whether the `<` at `start` opens a placeholder such as `<NUM>`: capitals up to `>`. */
function isPlaceholderAt(token: string, start: number): boolean {
  for (let i = start + 1; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code === 62 /* > */) return i > start + 1;
    if (code < 65 || code > 90) return false;
  }
  return false;
}

/**
 * How format-1 miners routed: on digits only, placeholders on branches of their own. Miners
 * restored from such a state keep it, so that they still find the clusters they made.
 */
function isVariableTokenBeforeFormat2(token: string): boolean {
  if (token === WILDCARD) return true;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code >= 48 && code <= 57) return true;
  }
  return false;
}

/**
 * Words that may form an enumeration: a letter, then letters, digits, `_` or `-` (`up`,
 * `RUNNING`, `job-jar`, `eth0`), optionally closed by punctuation (`failures;`). Placeholders,
 * numbers, paths, addresses, `key=value` pairs, quoted or bracketed text are values; so are
 * day and month names, which belong to dates.
 */
const VARIANT_WORD_RE = /^[A-Za-z][A-Za-z0-9_-]*[.,;:!?]?$/;
const MAX_VARIANT_WORD_CHARS = 40;
/** `RUNNING`, `JOB_SETUP`, `LOOKING,`: at least two capitals and no lower case. */
const CONSTANT_NAME_RE = /^[A-Z][A-Z0-9_]*[A-Z][A-Z0-9_]*[.,;:!?]?$/;

function isVariantWord(token: string): boolean {
  return token.length <= MAX_VARIANT_WORD_CHARS && VARIANT_WORD_RE.test(token) && !isCalendarWord(token);
}

/**
 * A 53-bit string hash (two multiplicative 32-bit lanes) for template ids: stable across
 * processes and replicas, so the same first line yields the same id everywhere.
 */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function countWildcards(tokens: readonly string[]): number {
  let n = 0;
  for (const token of tokens) if (token === WILDCARD) n++;
  return n;
}

function validateSettings(settings: TemplateMinerSettings): void {
  const { depth, similarityThreshold, maxChildren, maxClusters, maxVariantWords, maxVariantConstants } = settings;
  if (!Number.isInteger(depth) || depth < 3) throw new RangeError(`depth must be an integer ≥ 3, got ${depth}`);
  if (!(similarityThreshold >= 0 && similarityThreshold <= 1)) {
    throw new RangeError(`similarityThreshold must be within [0, 1], got ${similarityThreshold}`);
  }
  if (!Number.isInteger(maxChildren) || maxChildren < 2) {
    throw new RangeError(`maxChildren must be an integer ≥ 2, got ${maxChildren}`);
  }
  if (!Number.isInteger(maxClusters) || maxClusters < 1) {
    throw new RangeError(`maxClusters must be an integer ≥ 1, got ${maxClusters}`);
  }
  for (const [name, value] of [
    ['maxVariantWords', maxVariantWords],
    ['maxVariantConstants', maxVariantConstants],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be an integer ≥ 0, got ${value}`);
  }
}

export class TemplateMiner {
  readonly settings: TemplateMinerSettings;
  private readonly masker: Masker;
  private readonly prefixTokens: number;
  private readonly onNewTemplate: ((template: MinedTemplate) => void) | undefined;
  private readonly root: TreeNode = newNode('', undefined);
  /** Insertion order is recency order: a hit moves its cluster to the end. */
  private readonly clusters = new Map<string, Cluster>();
  /** Restored from a format-1 state: routes as format-1 miners did, and saves as format 1. */
  private routesAsFormat1 = false;
  /** No extra rules: the masker masks exactly as `maskMessage` does (see AddResult.maskedMessage). */
  private readonly masksAsBuiltIn: boolean;

  constructor(options: TemplateMinerOptions = {}) {
    const { onNewTemplate, ...settings } = options;
    this.settings = { ...DEFAULT_TEMPLATE_MINER_SETTINGS, ...settings };
    validateSettings(this.settings);
    this.masker = createMasker(this.settings.extraMaskRules);
    this.masksAsBuiltIn = this.settings.extraMaskRules.length === 0;
    this.prefixTokens = this.settings.depth - 3;
    this.onNewTemplate = onNewTemplate;
  }

  get clusterCount(): number {
    return this.clusters.size;
  }

  /** Masked tokens of `message`, as the miner sees them. */
  tokenize(message: string): string[] {
    return this.masker.maskTokens(message);
  }

  add(message: string): AddResult {
    const tokens = this.masker.maskTokens(message);
    // Joined before `place`, which may keep the array as a new cluster's template and widen it.
    const maskedMessage = this.masksAsBuiltIn ? tokens.join(' ') : undefined;
    const { cluster, isNew, changed } = this.place(tokens);
    const result: AddResult = { templateId: cluster.id, template: cluster.template, isNew, changed };
    if (maskedMessage !== undefined) result.maskedMessage = maskedMessage;
    return result;
  }

  /**
   * Mines `messages` in order, then gives each its template as a batch parser reports it:
   * the template of its cluster after the last message, with the cluster's enumerations of
   * words (see TemplateMinerSettings.maxVariantWords) resolved, each with an id of its own.
   */
  addAll(messages: readonly string[]): MinedTemplate[] {
    return this.addAllTokenized(messages.map((message) => this.masker.maskTokens(message)));
  }

  /**
   * `addAll` for messages already masked and split by `tokenize` (of a miner with the same
   * `extraMaskRules`): cross-validation mines the same messages with many settings and masks
   * them once.
   */
  addAllTokenized(tokenized: ReadonlyArray<readonly string[]>): MinedTemplate[] {
    // Keyed by the cluster itself: a cluster evicted during the batch keeps its last template.
    const byCluster = new Map<Cluster, number[]>();
    tokenized.forEach((tokens, line) => {
      const { cluster } = this.place([...tokens]);
      const lines = byCluster.get(cluster);
      if (lines === undefined) byCluster.set(cluster, [line]);
      else lines.push(line);
    });
    const usedIds = new Set([...this.clusters.keys(), ...[...byCluster.keys()].map((cluster) => cluster.id)]);
    const result = new Array<MinedTemplate>(tokenized.length);
    for (const [cluster, lines] of byCluster) {
      for (const variant of this.enumerationVariants(cluster, lines, tokenized, usedIds)) {
        for (const line of variant.lines) result[line] = { templateId: variant.id, template: variant.template };
      }
    }
    return result;
  }

  /** Mines `tokens`, which the cluster it starts may keep and generalise. */
  private place(tokens: string[]): { cluster: Cluster; isNew: boolean; changed: boolean } {
    const leaf = this.findLeaf(tokens);
    const cluster = leaf === undefined ? undefined : this.bestCluster(leaf.clusters, tokens);
    if (cluster === undefined) return { cluster: this.createCluster(tokens), isNew: true, changed: false };

    cluster.size++;
    const changed = this.generalise(cluster, tokens);
    this.clusters.delete(cluster.id);
    this.clusters.set(cluster.id, cluster);
    return { cluster, isNew: false, changed };
  }

  /** The cluster `add(message)` would join, without changing anything (not even recency). */
  match(message: string): MinedTemplate | undefined {
    const tokens = this.masker.maskTokens(message);
    const leaf = this.findLeaf(tokens);
    const cluster = leaf === undefined ? undefined : this.bestCluster(leaf.clusters, tokens);
    return cluster === undefined ? undefined : { templateId: cluster.id, template: cluster.template };
  }

  /** Current clusters, most recently used first. */
  templates(): TemplateSummary[] {
    const result: TemplateSummary[] = [];
    for (const cluster of this.clusters.values()) {
      result.push({ templateId: cluster.id, template: cluster.template, size: cluster.size });
    }
    return result.reverse();
  }

  toJSON(): TemplateMinerState {
    const serializeNode = (node: TreeNode): SerializedNode => {
      const out: SerializedNode = {};
      if (node.children.size > 0) {
        out.children = [...node.children].map(([key, child]) => [key, serializeNode(child)]);
      }
      if (node.clusters.length > 0) out.clusterIds = node.clusters.map((cluster) => cluster.id);
      return out;
    };
    return {
      format: this.routesAsFormat1 ? 1 : 2,
      maskingVersion: this.masker.version,
      settings: { ...this.settings, extraMaskRules: this.settings.extraMaskRules.map((rule) => ({ ...rule })) },
      clusters: [...this.clusters.values()].map((cluster) => ({
        id: cluster.id,
        tokens: [...cluster.tokens],
        size: cluster.size,
      })),
      tree: [...this.root.children].map(([key, child]) => [key, serializeNode(child)]),
    };
  }

  /**
   * A miner that continues exactly as the one that produced `state` would have. Throws when
   * the state was written with another masking version: its templates would not match.
   */
  static fromJSON(state: TemplateMinerState, options: Pick<TemplateMinerOptions, 'onNewTemplate'> = {}): TemplateMiner {
    if (state.format !== 1 && state.format !== 2) {
      throw new Error(`unsupported template miner state format ${String(state.format)}`);
    }
    if (state.maskingVersion !== MASKING_VERSION) {
      throw new Error(
        `template miner state uses masking v${state.maskingVersion}, this build masks with v${MASKING_VERSION}`
      );
    }
    const miner = new TemplateMiner({ ...state.settings, onNewTemplate: options.onNewTemplate });
    miner.routesAsFormat1 = state.format === 1;
    const saved = new Map(state.clusters.map((cluster) => [cluster.id, cluster]));
    const placed = new Map<string, Cluster>();

    const restoreNode = (key: string, parent: TreeNode, serialized: SerializedNode): void => {
      const node = newNode(key, parent);
      parent.children.set(key, node);
      for (const [childKey, child] of serialized.children ?? []) restoreNode(childKey, node, child);
      for (const id of serialized.clusterIds ?? []) {
        const entry = saved.get(id);
        if (entry === undefined || placed.has(id)) throw new Error(`template miner state: bad cluster reference ${id}`);
        const tokens = [...entry.tokens];
        const cluster: Cluster = {
          id,
          tokens,
          template: tokens.join(' '),
          size: entry.size,
          wildcards: countWildcards(tokens),
          leaf: node,
        };
        node.clusters.push(cluster);
        placed.set(id, cluster);
      }
    };
    for (const [key, child] of state.tree) restoreNode(key, miner.root, child);

    for (const { id } of state.clusters) {
      const cluster = placed.get(id);
      if (cluster === undefined) throw new Error(`template miner state: cluster ${id} is not in the tree`);
      miner.clusters.set(id, cluster);
    }
    return miner;
  }

  /**
   * The templates of one cluster's lines in a batch: one per combination of words at its
   * enumeration positions (wildcards where the lines show at least two and at most the
   * limit of distinct words, nothing else). The combination of the cluster's first line keeps
   * the cluster's id, so a cluster without enumerations reports exactly as `add` did.
   */
  private enumerationVariants(
    cluster: Cluster,
    lines: readonly number[],
    tokenized: ReadonlyArray<readonly string[]>,
    usedIds: Set<string>
  ): Array<{ id: string; template: string; lines: number[] }> {
    const template = cluster.tokens;
    const positions: number[] = [];
    for (let i = 0; i < template.length; i++) {
      if (template[i] !== WILDCARD) continue;
      const words = new Set<string>();
      let allWords = true;
      for (const line of lines) {
        const token = tokenized[line][i];
        if (!isVariantWord(token)) {
          allWords = false;
          break;
        }
        words.add(token);
      }
      if (allWords && words.size >= 2 && words.size <= this.wordLimit(words)) positions.push(i);
    }
    if (positions.length === 0) return [{ id: cluster.id, template: cluster.template, lines: [...lines] }];

    const variants = new Map<string, { id: string; template: string; lines: number[] }>();
    for (const line of lines) {
      const tokens = tokenized[line];
      const key = positions.map((position) => tokens[position]).join('\u0000');
      let variant = variants.get(key);
      if (variant === undefined) {
        const filled = [...template];
        for (const position of positions) filled[position] = tokens[position];
        const text = filled.join(' ');
        variant = { id: variants.size === 0 ? cluster.id : this.unusedId(text, usedIds), template: text, lines: [] };
        variants.set(key, variant);
      }
      variant.lines.push(line);
    }
    return [...variants.values()];
  }

  private wordLimit(words: ReadonlySet<string>): number {
    const { maxVariantWords, maxVariantConstants } = this.settings;
    if (maxVariantConstants <= maxVariantWords) return maxVariantWords;
    for (const word of words) if (!CONSTANT_NAME_RE.test(word)) return maxVariantWords;
    return maxVariantConstants;
  }

  /** A template id for `template` that no cluster and no earlier variant of the batch has. */
  private unusedId(template: string, usedIds: Set<string>): string {
    const base = hash53(template).toString(16).padStart(14, '0');
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
    usedIds.add(id);
    return id;
  }

  private findLeaf(tokens: readonly string[]): TreeNode | undefined {
    let node = this.root.children.get(String(tokens.length));
    const depth = Math.min(this.prefixTokens, tokens.length);
    for (let i = 0; i < depth && node !== undefined; i++) {
      node = node.children.get(tokens[i]) ?? node.children.get(WILDCARD);
    }
    return node;
  }

  /** Drain's fast match: the most similar cluster, more wildcards winning ties. */
  private bestCluster(candidates: readonly Cluster[], tokens: readonly string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSimilarity = -1;
    const n = tokens.length;
    for (let c = 0; c < candidates.length; c++) {
      const cluster = candidates[c];
      const template = cluster.tokens;
      let same = 0;
      for (let i = 0; i < n; i++) {
        const token = template[i];
        if (token === tokens[i] && token !== WILDCARD) same++;
      }
      const similarity = n === 0 ? 1 : same / n;
      if (
        similarity > bestSimilarity ||
        (similarity === bestSimilarity && best !== undefined && cluster.wildcards > best.wildcards)
      ) {
        best = cluster;
        bestSimilarity = similarity;
      }
    }
    return best !== undefined && bestSimilarity >= this.settings.similarityThreshold ? best : undefined;
  }

  private generalise(cluster: Cluster, tokens: readonly string[]): boolean {
    const template = cluster.tokens;
    let changed = false;
    for (let i = 0; i < template.length; i++) {
      if (template[i] !== tokens[i] && template[i] !== WILDCARD) {
        template[i] = WILDCARD;
        cluster.wildcards++;
        changed = true;
      }
    }
    if (changed) cluster.template = template.join(' ');
    return changed;
  }

  private createCluster(tokens: string[]): Cluster {
    if (this.clusters.size >= this.settings.maxClusters) this.evictLeastRecentlyUsed();
    const leaf = this.leafForNewCluster(tokens);
    const template = tokens.join(' ');
    const cluster: Cluster = {
      id: this.newId(template),
      tokens,
      template,
      size: 1,
      wildcards: countWildcards(tokens),
      leaf,
    };
    leaf.clusters.push(cluster);
    this.clusters.set(cluster.id, cluster);
    this.onNewTemplate?.({ templateId: cluster.id, template });
    return cluster;
  }

  private newId(template: string): string {
    const base = hash53(template).toString(16).padStart(14, '0');
    if (!this.clusters.has(base)) return base;
    // Two live clusters can start from one template: a line that no longer reaches the
    // similarity threshold of the cluster that generalised past it starts a new one.
    let n = 2;
    while (this.clusters.has(`${base}-${n}`)) n++;
    return `${base}-${n}`;
  }

  /** Drain's insertion: a literal branch per token while there is room, `<*>` otherwise. */
  private leafForNewCluster(tokens: readonly string[]): TreeNode {
    const lengthKey = String(tokens.length);
    let node: TreeNode = this.root.children.get(lengthKey) ?? newNode(lengthKey, this.root);
    this.root.children.set(lengthKey, node);
    const depth = Math.min(this.prefixTokens, tokens.length);
    const { maxChildren } = this.settings;
    for (let i = 0; i < depth; i++) {
      const token = tokens[i];
      let child: TreeNode | undefined = node.children.get(token);
      if (child === undefined) {
        const wildcardChild = node.children.get(WILDCARD);
        // The last free slot of a node is kept for the `<*>` branch.
        const hasRoom =
          wildcardChild !== undefined ? node.children.size < maxChildren : node.children.size + 1 < maxChildren;
        const variable = this.routesAsFormat1 ? isVariableTokenBeforeFormat2(token) : isVariableToken(token);
        const key = variable || !hasRoom ? WILDCARD : token;
        child = key === WILDCARD ? wildcardChild : undefined;
        if (child === undefined) {
          child = newNode(key, node);
          node.children.set(key, child);
        }
      }
      node = child;
    }
    return node;
  }

  private evictLeastRecentlyUsed(): void {
    const oldest = this.clusters.values().next();
    if (oldest.done === true) return;
    const cluster = oldest.value;
    this.clusters.delete(cluster.id);
    const leaf = cluster.leaf;
    leaf.clusters.splice(leaf.clusters.indexOf(cluster), 1);
    // Prune branches left empty, so the tree stays bounded by the live clusters.
    let node: TreeNode | undefined = leaf;
    while (node?.parent !== undefined && node.clusters.length === 0 && node.children.size === 0) {
      node.parent.children.delete(node.key);
      node = node.parent;
    }
  }
}
