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
  /** Dataset-specific substitutions applied before the built-in masking. */
  extraMaskRules: readonly MaskRuleSpec[];
}

/**
 * Defaults for lines of unknown origin. 0.6 rather than Drain's usual 0.5: on every Loghub-2k
 * system it groups at least as well, and it stays clear of the 0.75 where short Linux
 * messages stop merging at all.
 */
export const DEFAULT_TEMPLATE_MINER_SETTINGS: TemplateMinerSettings = {
  depth: 4,
  similarityThreshold: 0.6,
  maxChildren: 100,
  maxClusters: 10_000,
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

/** Everything needed to continue mining exactly where a miner stopped; plain JSON. */
export interface TemplateMinerState {
  format: 1;
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
 * Tokens that route to the `<*>` branch: Drain sends anything with a digit there. Masked
 * placeholders (`<IP>`) keep a branch of their own: they say what kind of value stands there.
 */
function isVariableToken(token: string): boolean {
  if (token === WILDCARD) return true;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code >= 48 && code <= 57) return true;
  }
  return false;
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
  const { depth, similarityThreshold, maxChildren, maxClusters } = settings;
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
}

export class TemplateMiner {
  readonly settings: TemplateMinerSettings;
  private readonly masker: Masker;
  private readonly prefixTokens: number;
  private readonly onNewTemplate: ((template: MinedTemplate) => void) | undefined;
  private readonly root: TreeNode = newNode('', undefined);
  /** Insertion order is recency order: a hit moves its cluster to the end. */
  private readonly clusters = new Map<string, Cluster>();

  constructor(options: TemplateMinerOptions = {}) {
    const { onNewTemplate, ...settings } = options;
    this.settings = { ...DEFAULT_TEMPLATE_MINER_SETTINGS, ...settings };
    validateSettings(this.settings);
    this.masker = createMasker(this.settings.extraMaskRules);
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
    const leaf = this.findLeaf(tokens);
    const cluster = leaf === undefined ? undefined : this.bestCluster(leaf.clusters, tokens);
    if (cluster === undefined) {
      const created = this.createCluster(tokens);
      return { templateId: created.id, template: created.template, isNew: true, changed: false };
    }

    cluster.size++;
    const changed = this.generalise(cluster, tokens);
    this.clusters.delete(cluster.id);
    this.clusters.set(cluster.id, cluster);
    return { templateId: cluster.id, template: cluster.template, isNew: false, changed };
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
      format: 1,
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
    if (state.format !== 1) throw new Error(`unsupported template miner state format ${String(state.format)}`);
    if (state.maskingVersion !== MASKING_VERSION) {
      throw new Error(
        `template miner state uses masking v${state.maskingVersion}, this build masks with v${MASKING_VERSION}`
      );
    }
    const miner = new TemplateMiner({ ...state.settings, onNewTemplate: options.onNewTemplate });
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
        const key = isVariableToken(token) || !hasRoom ? WILDCARD : token;
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
