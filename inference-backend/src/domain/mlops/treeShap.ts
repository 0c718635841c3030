/**
 * Exact SHAP values of tree ensembles and linear models, in raw-score space (the margin before a
 * sigmoid or softmax; shap's TreeExplainer with model_output='raw').
 *
 * Trees: the path-dependent TreeSHAP of Lundberg, Erion & Lee (2018, "Consistent individualized
 * feature attribution for tree ensembles", Algorithm 2): polynomial time, O(leaves × depth²) per
 * tree, with the EXTEND/UNWIND bookkeeping of the subsets that reach each leaf. A feature absent
 * from the coalition follows both children, weighted by the training cover each child received,
 * so `base + Σ contributions` equals the model's raw output for every row.
 */

const { fround } = Math;

/** One tree as flat arrays, node 0 the root: the shape of `GbtTree` and of decoded ONNX ensembles. */
export interface ShapTree {
  /** Feature index of a split; negative for a leaf. */
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  /** The child a row satisfying the split takes (`x <= threshold` for the project's trees). */
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  /** Leaf output (0 or unused on splits). */
  readonly value: ArrayLike<number>;
  /** Training weight (row count or hessian sum) that reached the node. */
  readonly cover: ArrayLike<number>;
}

/** An additive ensemble for one output: `baseValue + Σ trees` is the raw score. `GbtModel` fits it. */
export interface ShapEnsemble<T extends ShapTree = ShapTree> {
  featureCount: number;
  baseValue: number;
  trees: readonly T[];
}

/** Whether `x` takes the left child at split `node`; must be the rule the model predicts with. */
export type SplitRule<T extends ShapTree = ShapTree> = (tree: T, node: number, x: ArrayLike<number>) => boolean;

/** The project's trees (and ONNX BRANCH_LEQ): float32 `x <= threshold`; NaN goes right. */
export const leqFloat32: SplitRule = (tree, node, x) => fround(x[tree.feature[node]]) <= tree.threshold[node];

export interface ShapExplanation {
  /** What the model outputs before seeing the row: the ensemble's cover-weighted expectation. */
  base: number;
  /** One per feature; `base + Σ contributions` is the raw output for the row. */
  contributions: Float64Array;
}

/**
 * The share of a node's cover that went to each child. Covers are normalised by the children's
 * sum rather than the node's own cover, so additivity holds even when a file's covers do not add
 * up; a node whose children have no cover at all (models saved before covers were recorded)
 * splits its weight evenly.
 */
function childShares(tree: ShapTree, node: number): [number, number] {
  const l = tree.cover[tree.left[node]];
  const r = tree.cover[tree.right[node]];
  const total = l + r;
  return total > 0 ? [l / total, r / total] : [0.5, 0.5];
}

/** Cover-weighted mean leaf value under the root: the tree's contribution to the base value. */
export function expectedTreeValue(tree: ShapTree): number {
  const expected = (node: number): number => {
    if (tree.feature[node] < 0) return tree.value[node];
    const [l, r] = childShares(tree, node);
    return l * expected(tree.left[node]) + r * expected(tree.right[node]);
  };
  return expected(0);
}

/**
 * The path of unique features from the root to the current node, stored as shap's C++ does: each
 * recursion level owns a slice of the arrays starting after its parent's, so nothing is allocated
 * per node. `weight` is the share of permutations of the path's features (the "pweight").
 */
interface PathBuffer {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
}

function pathBuffer(depth: number): PathBuffer {
  const size = ((depth + 2) * (depth + 3)) / 2;
  return {
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    weight: new Float64Array(size),
  };
}

/** EXTEND: adds a feature to the path that `zero` of the coalitions without it and `one` with it follow. */
function extend(p: PathBuffer, at: number, depth: number, zero: number, one: number, feature: number): void {
  p.feature[at + depth] = feature;
  p.zero[at + depth] = zero;
  p.one[at + depth] = one;
  p.weight[at + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    p.weight[at + i + 1] += (one * p.weight[at + i] * (i + 1)) / (depth + 1);
    p.weight[at + i] = (zero * p.weight[at + i] * (depth - i)) / (depth + 1);
  }
}

/** UNWIND: removes the path's element `index`, undoing its EXTEND. */
function unwind(p: PathBuffer, at: number, depth: number, index: number): void {
  const one = p.one[at + index];
  const zero = p.zero[at + index];
  let next = p.weight[at + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const kept = p.weight[at + i];
      p.weight[at + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = kept - (p.weight[at + i] * zero * (depth - i)) / (depth + 1);
    } else {
      p.weight[at + i] = (p.weight[at + i] * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[at + i] = p.feature[at + i + 1];
    p.zero[at + i] = p.zero[at + i + 1];
    p.one[at + i] = p.one[at + i + 1];
  }
}

/** The total permutation weight the path would have without element `index`, leaving it intact. */
function unwoundSum(p: PathBuffer, at: number, depth: number, index: number): number {
  const one = p.one[at + index];
  const zero = p.zero[at + index];
  let next = p.weight[at + depth];
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const share = (next * (depth + 1)) / ((i + 1) * one);
      total += share;
      next = p.weight[at + i] - (share * zero * (depth - i)) / (depth + 1);
    } else if (zero !== 0) {
      total += p.weight[at + i] / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

/** Per tree, what every row's explanation needs and a model never changes: computed once. */
const treeFacts = new WeakMap<ShapTree, { depth: number; expected: number }>();

function factsOf(tree: ShapTree): { depth: number; expected: number } {
  let facts = treeFacts.get(tree);
  if (!facts) {
    const depth = (node: number): number =>
      tree.feature[node] < 0 ? 0 : 1 + Math.max(depth(tree.left[node]), depth(tree.right[node]));
    facts = { depth: depth(0), expected: expectedTreeValue(tree) };
    treeFacts.set(tree, facts);
  }
  return facts;
}

/** Adds one tree's SHAP values for `x` to `phi`. */
function addTreeShap<T extends ShapTree>(tree: T, x: ArrayLike<number>, rule: SplitRule<T>, phi: Float64Array): void {
  const p = pathBuffer(factsOf(tree).depth);
  const recurse = (node: number, parentAt: number, depth: number, zero: number, one: number, feature: number) => {
    // No coalition reaches a child without cover that the row does not take: it adds nothing, and
    // unwinding its fractions (both 0) below would divide by zero.
    if (zero === 0 && one === 0) return;
    // This level's copy of the path starts right after the parent's (depth + 1 slots later).
    const at = depth === 0 ? 0 : parentAt + depth;
    if (depth > 0) {
      p.feature.copyWithin(at, parentAt, parentAt + depth);
      p.zero.copyWithin(at, parentAt, parentAt + depth);
      p.one.copyWithin(at, parentAt, parentAt + depth);
      p.weight.copyWithin(at, parentAt, parentAt + depth);
    }
    extend(p, at, depth, zero, one, feature);
    const split = tree.feature[node];
    if (split < 0) {
      const value = tree.value[node];
      for (let i = 1; i <= depth; i++) {
        const w = unwoundSum(p, at, depth, i);
        phi[p.feature[at + i]] += w * (p.one[at + i] - p.zero[at + i]) * value;
      }
      return;
    }
    const goesLeft = rule(tree, node, x);
    const hot = goesLeft ? tree.left[node] : tree.right[node];
    const cold = goesLeft ? tree.right[node] : tree.left[node];
    const [leftShare, rightShare] = childShares(tree, node);
    const hotShare = goesLeft ? leftShare : rightShare;
    const coldShare = goesLeft ? rightShare : leftShare;
    let incomingZero = 1;
    let incomingOne = 1;
    let uniqueDepth = depth;
    // A feature split on again higher up: undo its earlier entry and carry its fractions down.
    let index = 0;
    while (index <= uniqueDepth && p.feature[at + index] !== split) index++;
    if (index <= uniqueDepth) {
      incomingZero = p.zero[at + index];
      incomingOne = p.one[at + index];
      unwind(p, at, uniqueDepth, index);
      uniqueDepth--;
    }
    recurse(hot, at, uniqueDepth + 1, hotShare * incomingZero, incomingOne, split);
    recurse(cold, at, uniqueDepth + 1, coldShare * incomingZero, 0, split);
  };
  // The root's entry is a placeholder (feature -1) that leaves never credit (i starts at 1).
  recurse(0, 0, 0, 1, 1, -1);
}

/**
 * Exact path-dependent TreeSHAP of one row. `rule` must be the split rule the model predicts with
 * (float32 `<=` for the project's trees, the default). For several classes, explain each class's
 * ensemble: the values are then in that class's margin.
 */
export function treeShap<T extends ShapTree>(
  model: ShapEnsemble<T>,
  row: ArrayLike<number>,
  rule: SplitRule<T> = leqFloat32 as SplitRule<T>
): ShapExplanation {
  if (row.length < model.featureCount) {
    throw new RangeError(`the row has ${row.length} values, the model reads ${model.featureCount} features`);
  }
  const contributions = new Float64Array(model.featureCount);
  let base = model.baseValue;
  for (const tree of model.trees) {
    base += factsOf(tree).expected;
    addTreeShap(tree, row, rule, contributions);
  }
  return { base, contributions };
}

/** A linear score `intercept + Σ weights[j]·x[j]` with the training means of its inputs. */
export interface LinearScore {
  weights: ArrayLike<number>;
  intercept: number;
  /** Mean of each input over the training rows: where "absent" puts a feature. */
  featureMeans: ArrayLike<number>;
}

/**
 * Exact SHAP values of a linear score with independent features: w_j·(x_j − E[x_j]); the base
 * is the score at the means.
 */
export function linearShap(model: LinearScore, row: ArrayLike<number>): ShapExplanation {
  const width = model.weights.length;
  if (model.featureMeans.length !== width) throw new RangeError('weights and feature means differ in length');
  if (row.length < width) throw new RangeError(`the row has ${row.length} values, the model reads ${width} features`);
  const contributions = new Float64Array(width);
  let base = model.intercept;
  for (let j = 0; j < width; j++) {
    base += model.weights[j] * model.featureMeans[j];
    contributions[j] = model.weights[j] * (row[j] - model.featureMeans[j]);
  }
  return { base, contributions };
}
