import type { ImportTask } from '../../../domain/mlops/importedModel';

/**
 * XGBoost's and LightGBM's JSON models read into one tree-ensemble shape that `ensembleOnnx.ts`
 * writes as ONNX. The two libraries differ in ways that change predictions, so each node keeps
 * them: XGBoost goes left when `x < threshold` and compares in float32; LightGBM goes left when
 * `x <= threshold` and compares in float64; each has its own rule for missing values.
 */

/** ONNX TreeEnsemble comparison modes: the node's "true" branch is taken when the comparison holds. */
export type BranchMode = 'BRANCH_LT' | 'BRANCH_LEQ' | 'BRANCH_EQ';

export type EnsembleNode =
  | {
      kind: 'split';
      feature: number;
      threshold: number;
      mode: BranchMode;
      trueChild: number;
      falseChild: number;
      /** Where a NaN goes: the true branch when set (ONNX `nodes_missing_value_tracks_true`). */
      missingTrue: boolean;
      /** Training weight that reached the node (XGBoost's hessian sum), when the file has it: for SHAP. */
      cover?: number;
    }
  | { kind: 'leaf'; value: number; cover?: number };

/** Node 0 is the root; children are indices into `nodes`. */
export interface EnsembleTree {
  /** The output column (class) this tree adds to. */
  target: number;
  nodes: EnsembleNode[];
}

export interface TreeEnsembleModel {
  featureCount: number;
  /** Feature names stored in the dump, when the training tool had them (not `f0`, `Column_0`). */
  featureNames?: string[];
  task: ImportTask;
  /** Columns of the summed margin: 1, or the number of classes for softmax. */
  targets: number;
  /** Added to each target's sum of leaves. */
  baseMargin: number[];
  link: 'identity' | 'sigmoid' | 'softmax';
  /** The arithmetic of the original library, so that thresholds compare the same way. */
  precision: 'float' | 'double';
  objective: string;
  trees: EnsembleTree[];
}

/** A dump this project cannot convert faithfully; the message is one sentence naming why. */
export class UnsupportedModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function field(object: Record<string, unknown>, key: string, where: string): unknown {
  if (!(key in object)) throw new UnsupportedModelError(`the model file has no ${where}.${key}`);
  return object[key];
}

function objectAt(object: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
  const value = field(object, key, where);
  if (!isObject(value)) throw new UnsupportedModelError(`${where}.${key} in the model file is not an object`);
  return value;
}

function numbersAt(object: Record<string, unknown>, key: string, where: string, length: number): number[] {
  const value = field(object, key, where);
  if (!Array.isArray(value) || value.length !== length) {
    throw new UnsupportedModelError(`${where}.${key} in the model file is not a list of ${length} numbers`);
  }
  return value.map((v, i) => {
    // XGBoost writes default_left as 0/1 in some versions and as booleans in others.
    const n = typeof v === 'boolean' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new UnsupportedModelError(`${where}.${key}[${i}] in the model file is not a finite number`);
    }
    return n;
  });
}

/** XGBoost stores numbers of its parameters as strings ("5E-1"), and base_score as "[5E-1]" since 3.1. */
function numberList(value: unknown, what: string): number[] {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const items = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1).split(',') : [text];
  const numbers = items.map((s) => Number(s.trim()));
  if (text === '' || numbers.some((n) => !Number.isFinite(n))) {
    throw new UnsupportedModelError(`${what} in the model file is not a number: ${JSON.stringify(value)}`);
  }
  return numbers;
}

/** Names such as `f3` or `Column_3` are the libraries' own defaults, not the user's columns. */
function userFeatureNames(names: unknown): string[] | undefined {
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) return undefined;
  return names.every((n, i) => n === `f${i}` || n === `Column_${i}`) ? undefined : names;
}

/** Keeps the nodes reachable from `root` and numbers them in visiting order, root first. */
function compact<T>(
  root: T,
  visit: (node: T) =>
    | { leaf: number; cover?: number }
    | {
        split: Omit<Extract<EnsembleNode, { kind: 'split' }>, 'kind' | 'trueChild' | 'falseChild'>;
        trueNode: T;
        falseNode: T;
      },
  maxNodes: number
): EnsembleNode[] {
  const nodes: EnsembleNode[] = [];
  const stack: Array<{ node: T; slot: number }> = [{ node: root, slot: 0 }];
  nodes.push({ kind: 'leaf', value: 0 });
  while (stack.length > 0) {
    const { node, slot } = stack.pop() as { node: T; slot: number };
    const seen = visit(node);
    if ('leaf' in seen) {
      nodes[slot] = { kind: 'leaf', value: seen.leaf, ...(seen.cover === undefined ? {} : { cover: seen.cover }) };
      continue;
    }
    if (nodes.length + 2 > maxNodes)
      throw new UnsupportedModelError('a tree of the model file is not a tree (it loops)');
    const trueChild = nodes.length;
    const falseChild = nodes.length + 1;
    nodes.push({ kind: 'leaf', value: 0 }, { kind: 'leaf', value: 0 });
    nodes[slot] = { kind: 'split', ...seen.split, trueChild, falseChild };
    stack.push({ node: seen.falseNode, slot: falseChild }, { node: seen.trueNode, slot: trueChild });
  }
  return nodes;
}

const XGBOOST_OBJECTIVES: Record<string, { task: ImportTask; link: TreeEnsembleModel['link'] }> = {
  'binary:logistic': { task: 'classification', link: 'sigmoid' },
  'multi:softprob': { task: 'classification', link: 'softmax' },
  'multi:softmax': { task: 'classification', link: 'softmax' },
  'reg:squarederror': { task: 'regression', link: 'identity' },
  'reg:linear': { task: 'regression', link: 'identity' },
  'reg:absoluteerror': { task: 'regression', link: 'identity' },
  'reg:pseudohubererror': { task: 'regression', link: 'identity' },
};

/**
 * XGBoost's native JSON (`Booster.save_model('m.json')`, `xgb.save(m, 'm.json')` in R,
 * `XGBoost.save` in Julia): learner.gradient_booster.model.trees. A leaf's value is its
 * `split_conditions` entry (learning rate included); base_score is in the objective's output
 * space (a probability for binary:logistic, so its logit is the base margin).
 */
export function convertXgboost(dump: unknown): TreeEnsembleModel {
  if (!isObject(dump)) throw new UnsupportedModelError('the model file is not a JSON object');
  const learner = objectAt(dump, 'learner', 'the file');
  const objectiveName = objectAt(learner, 'objective', 'learner').name;
  const objective = typeof objectiveName === 'string' ? objectiveName : String(objectiveName);
  const known = XGBOOST_OBJECTIVES[objective];
  if (!known) {
    throw new UnsupportedModelError(
      `XGBoost objective ${objective} is not supported (supported: ${Object.keys(XGBOOST_OBJECTIVES).join(', ')})`
    );
  }
  const booster = objectAt(learner, 'gradient_booster', 'learner');
  if (booster.name === 'dart') {
    throw new UnsupportedModelError('XGBoost DART boosters (tree weights of dropout) are not supported: use gbtree');
  }
  if (booster.name !== 'gbtree') {
    throw new UnsupportedModelError(`XGBoost booster ${String(booster.name)} is not supported: use gbtree`);
  }
  const params = objectAt(learner, 'learner_model_param', 'learner');
  const featureCount = numberList(params.num_feature, 'learner_model_param.num_feature')[0];
  const numClass = numberList(params.num_class ?? '0', 'learner_model_param.num_class')[0];
  const numTarget = numberList(params.num_target ?? '1', 'learner_model_param.num_target')[0];
  if (numTarget > 1)
    throw new UnsupportedModelError(`XGBoost multi-target models (${numTarget} targets) are not supported`);
  const targets = known.link === 'softmax' ? numClass : 1;
  if (known.link === 'softmax' && numClass < 2) {
    throw new UnsupportedModelError(
      `XGBoost objective ${objective} with num_class ${numClass}: need at least 2 classes`
    );
  }
  const baseScore = numberList(params.base_score, 'learner_model_param.base_score');
  let baseMargin: number[];
  if (known.link === 'sigmoid') {
    const p = baseScore[0];
    if (!(p > 0 && p < 1)) throw new UnsupportedModelError(`XGBoost base_score ${p} is not a probability`);
    baseMargin = [Math.log(p / (1 - p))];
  } else {
    // Since 3.1 one intercept per class (already margins for softmax); before, one number for all.
    baseMargin = baseScore.length === targets ? baseScore : Array.from({ length: targets }, () => baseScore[0]);
  }
  const model = objectAt(booster, 'model', 'learner.gradient_booster');
  const rawTrees = field(model, 'trees', 'learner.gradient_booster.model');
  if (!Array.isArray(rawTrees)) throw new UnsupportedModelError('learner.gradient_booster.model.trees is not a list');
  const treeInfo = Array.isArray(model.tree_info) ? model.tree_info : [];
  const trees = rawTrees.map((raw, t): EnsembleTree => {
    const where = `trees[${t}]`;
    if (!isObject(raw)) throw new UnsupportedModelError(`${where} in the model file is not an object`);
    const param = objectAt(raw, 'tree_param', where);
    const size = numberList(param.size_leaf_vector ?? '1', `${where}.tree_param.size_leaf_vector`)[0];
    if (size > 1)
      throw new UnsupportedModelError(`${where} has vector leaves (multi-target trees), which are not supported`);
    const n = numberList(param.num_nodes, `${where}.tree_param.num_nodes`)[0];
    const left = numbersAt(raw, 'left_children', where, n);
    const right = numbersAt(raw, 'right_children', where, n);
    const feature = numbersAt(raw, 'split_indices', where, n);
    const condition = numbersAt(raw, 'split_conditions', where, n);
    const defaultLeft = numbersAt(raw, 'default_left', where, n);
    const splitType = Array.isArray(raw.split_type) ? raw.split_type : [];
    // Hessian sums per node: what XGBoost's and shap's TreeSHAP weigh children by. Optional.
    const hessians = Array.isArray(raw.sum_hessian) && raw.sum_hessian.length === n ? raw.sum_hessian : [];
    const coverOf = (i: number) => (typeof hessians[i] === 'number' ? { cover: hessians[i] as number } : {});
    const nodeAt = (i: number) => {
      if (!Number.isInteger(i) || i < 0 || i >= n)
        throw new UnsupportedModelError(`${where} has a child ${i} outside its ${n} nodes`);
      return i;
    };
    const nodes = compact<number>(
      0,
      (i) => {
        if (left[i] === -1) return { leaf: condition[i], ...coverOf(i) };
        if (splitType[i] !== undefined && splitType[i] !== 0) {
          throw new UnsupportedModelError(`${where} node ${i} is a categorical split, which is not supported`);
        }
        if (feature[i] < 0 || feature[i] >= featureCount) {
          throw new UnsupportedModelError(`${where} node ${i} splits on feature ${feature[i]} of ${featureCount}`);
        }
        return {
          // XGBoost: x < split_condition goes left, missing goes where default_left says.
          split: {
            feature: feature[i],
            threshold: condition[i],
            mode: 'BRANCH_LT',
            missingTrue: defaultLeft[i] === 1,
            ...coverOf(i),
          },
          trueNode: nodeAt(left[i]),
          falseNode: nodeAt(right[i]),
        };
      },
      2 * n + 1
    );
    const target = typeof treeInfo[t] === 'number' ? treeInfo[t] : 0;
    if (!Number.isInteger(target) || target < 0 || target >= targets) {
      throw new UnsupportedModelError(`${where} belongs to class ${String(treeInfo[t])} of ${targets}`);
    }
    return { target, nodes };
  });
  return {
    featureCount,
    featureNames: userFeatureNames(learner.feature_names),
    task: known.task,
    targets,
    baseMargin,
    link: known.link,
    precision: 'float',
    objective,
    trees,
  };
}

/** LightGBM objectives whose output is the raw sum (regressions with an identity link). */
const LIGHTGBM_IDENTITY = ['regression', 'regression_l1', 'huber', 'fair', 'quantile', 'mape'];

interface LightgbmNode {
  raw: Record<string, unknown>;
  path: string;
}

/**
 * LightGBM's JSON (`Booster.dump_model()` written to a file; `lgb.dump(m)` in R): tree_info[] with
 * nested tree_structure. A numeric split sends x left when x <= threshold; a NaN goes the default
 * way when missing_type is NaN, and is read as 0 otherwise; with missing_type Zero, 0 (and NaN)
 * go the default way.
 */
export function convertLightgbm(dump: unknown): TreeEnsembleModel {
  if (!isObject(dump)) throw new UnsupportedModelError('the model file is not a JSON object');
  const objectiveText = field(dump, 'objective', 'the file');
  if (typeof objectiveText !== 'string') throw new UnsupportedModelError('objective in the model file is not a string');
  const [objective, ...objectiveParams] = objectiveText.trim().split(/\s+/);
  const param = (key: string) => objectiveParams.find((p) => p.startsWith(`${key}:`))?.slice(key.length + 1);
  if (dump.average_output === true) {
    throw new UnsupportedModelError('LightGBM random-forest models (average_output) are not supported');
  }
  const numClass = typeof dump.num_class === 'number' ? dump.num_class : 1;
  const perIteration = typeof dump.num_tree_per_iteration === 'number' ? dump.num_tree_per_iteration : 1;
  let task: ImportTask;
  let link: TreeEnsembleModel['link'];
  let scale = 1;
  if (objective === 'binary') {
    task = 'classification';
    link = 'sigmoid';
    // p = 1 / (1 + exp(-sigmoid × raw)): the factor goes into the leaves.
    scale = Number(param('sigmoid') ?? '1');
    if (!Number.isFinite(scale) || scale <= 0)
      throw new UnsupportedModelError(`LightGBM sigmoid ${param('sigmoid')} is not positive`);
  } else if (objective === 'multiclass') {
    task = 'classification';
    link = 'softmax';
  } else if (LIGHTGBM_IDENTITY.includes(objective)) {
    task = 'regression';
    link = 'identity';
  } else {
    throw new UnsupportedModelError(
      `LightGBM objective ${objective} is not supported (supported: binary, multiclass, ${LIGHTGBM_IDENTITY.join(', ')})`
    );
  }
  const targets = link === 'softmax' ? numClass : 1;
  if (perIteration !== targets) {
    throw new UnsupportedModelError(`LightGBM model has ${perIteration} trees per iteration for ${targets} outputs`);
  }
  const maxFeature = field(dump, 'max_feature_idx', 'the file');
  if (typeof maxFeature !== 'number' || !Number.isInteger(maxFeature)) {
    throw new UnsupportedModelError('max_feature_idx in the model file is not an integer');
  }
  const featureCount = maxFeature + 1;
  const infos = field(dump, 'tree_info', 'the file');
  if (!Array.isArray(infos)) throw new UnsupportedModelError('tree_info in the model file is not a list');
  const trees = infos.map((info, t): EnsembleTree => {
    const where = `tree_info[${t}]`;
    if (!isObject(info)) throw new UnsupportedModelError(`${where} in the model file is not an object`);
    if (typeof info.num_cat === 'number' && info.num_cat > 0) {
      throw new UnsupportedModelError(`${where} has categorical splits, which are not supported`);
    }
    if (info.is_linear === true) throw new UnsupportedModelError(`${where} is a linear tree, which is not supported`);
    const root = objectAt(info, 'tree_structure', where);
    const nodes = convertLightgbmTree({ raw: root, path: `${where}.tree_structure` }, featureCount, scale);
    return { target: t % targets, nodes };
  });
  return {
    featureCount,
    featureNames: userFeatureNames(dump.feature_names),
    task,
    targets,
    baseMargin: Array.from({ length: targets }, () => 0),
    link,
    precision: 'double',
    objective,
    trees,
  };
}

function convertLightgbmTree(root: LightgbmNode, featureCount: number, scale: number): EnsembleNode[] {
  // Missing type Zero needs two ONNX nodes (x == 0 first): such a split becomes an EQ node whose
  // false branch is a second, synthetic split. Synthetic splits are marked by `zeroChecked`.
  type Item = LightgbmNode & { zeroChecked?: boolean };
  let budget = 1_000_000;
  const child = (node: Item, key: string): Item => {
    const value = node.raw[key];
    if (!isObject(value)) throw new UnsupportedModelError(`${node.path}.${key} in the model file is not an object`);
    return { raw: value, path: `${node.path}.${key}` };
  };
  return compact<Item>(
    root,
    (node) => {
      if (--budget < 0) throw new UnsupportedModelError('a tree of the model file is too large');
      const raw = node.raw;
      if (!('split_feature' in raw)) {
        const leaf = raw.leaf_value;
        if (typeof leaf !== 'number' || !Number.isFinite(leaf)) {
          throw new UnsupportedModelError(`${node.path}.leaf_value in the model file is not a finite number`);
        }
        if ('leaf_coeff' in raw)
          throw new UnsupportedModelError(`${node.path} is a linear leaf, which is not supported`);
        return { leaf: leaf * scale };
      }
      const decision = raw.decision_type;
      if (decision !== '<=') {
        throw new UnsupportedModelError(
          `${node.path} has decision type ${String(decision)}: only numeric (<=) splits are supported`
        );
      }
      const feature = raw.split_feature;
      const threshold = raw.threshold;
      if (typeof feature !== 'number' || !Number.isInteger(feature) || feature < 0 || feature >= featureCount) {
        throw new UnsupportedModelError(`${node.path}.split_feature is not a feature of the model`);
      }
      if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
        throw new UnsupportedModelError(`${node.path}.threshold is not a finite number`);
      }
      const defaultLeft = raw.default_left === true;
      const missing = raw.missing_type ?? 'None';
      const left = child(node, 'left_child');
      const right = child(node, 'right_child');
      if (missing === 'Zero' && !node.zeroChecked) {
        // x == 0 (and NaN) go the default way; anything else is compared at the synthetic node.
        const compare: Item = { ...node, zeroChecked: true };
        const defaultSide = defaultLeft ? left : right;
        return {
          split: { feature, threshold: 0, mode: 'BRANCH_EQ', missingTrue: true },
          trueNode: defaultSide,
          falseNode: compare,
        };
      }
      // None: NaN is read as 0, so it goes where 0 goes. NaN: the default way.
      const missingTrue = missing === 'NaN' ? defaultLeft : missing === 'None' ? 0 <= threshold : defaultLeft;
      if (missing !== 'None' && missing !== 'NaN' && missing !== 'Zero') {
        throw new UnsupportedModelError(`${node.path}.missing_type ${String(missing)} is not supported`);
      }
      return { split: { feature, threshold, mode: 'BRANCH_LEQ', missingTrue }, trueNode: left, falseNode: right };
    },
    Number.POSITIVE_INFINITY
  );
}
