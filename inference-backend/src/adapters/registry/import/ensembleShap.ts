import { treeShap } from '../../../domain/mlops/treeShap';
import type { ShapEnsemble, ShapExplanation, ShapTree, SplitRule } from '../../../domain/mlops/treeShap';
import type { BranchMode, TreeEnsembleModel } from './treeDumps';

/** An imported tree with the library's own split rule per node (mode, NaN direction). */
interface ImportedShapTree extends ShapTree {
  mode: BranchMode[];
  missingLeft: boolean[];
}

/**
 * The same decision the converted ONNX graph (and the library) makes: XGBoost compares in float32,
 * LightGBM in float64; a NaN follows the node's missing-value branch.
 */
function ruleOf(precision: TreeEnsembleModel['precision']): SplitRule<ImportedShapTree> {
  return (tree, node, x) => {
    const raw = x[tree.feature[node]];
    if (Number.isNaN(raw)) return tree.missingLeft[node];
    const value = precision === 'float' ? Math.fround(raw) : raw;
    const threshold = tree.threshold[node];
    const mode = tree.mode[node];
    return mode === 'BRANCH_LT' ? value < threshold : mode === 'BRANCH_LEQ' ? value <= threshold : value === threshold;
  };
}

/**
 * Exact TreeSHAP of an imported XGBoost or LightGBM model, one explainer per output column (the
 * margin of that class, or the regression's raw sum), in the library's raw-score space. Undefined
 * when the file carries no node covers (LightGBM dumps, whose zero-as-missing splits become two
 * nodes with no cover of their own, are not explained yet).
 */
export function importedShapExplainers(
  model: TreeEnsembleModel
): Array<(row: ArrayLike<number>) => ShapExplanation> | undefined {
  if (model.trees.some((tree) => tree.nodes.some((node) => node.cover === undefined))) return undefined;
  const rule = ruleOf(model.precision);
  return Array.from({ length: model.targets }, (_, target) => {
    const trees = model.trees
      .filter((tree) => tree.target === target)
      .map((tree): ImportedShapTree => {
        const split = (i: number) => {
          const node = tree.nodes[i];
          return node.kind === 'split' ? node : undefined;
        };
        return {
          feature: tree.nodes.map((_, i) => split(i)?.feature ?? -1),
          threshold: tree.nodes.map((_, i) => split(i)?.threshold ?? 0),
          left: tree.nodes.map((_, i) => split(i)?.trueChild ?? -1),
          right: tree.nodes.map((_, i) => split(i)?.falseChild ?? -1),
          value: tree.nodes.map((node) => (node.kind === 'leaf' ? node.value : 0)),
          cover: tree.nodes.map((node) => node.cover ?? 0),
          mode: tree.nodes.map((_, i) => split(i)?.mode ?? 'BRANCH_LEQ'),
          missingLeft: tree.nodes.map((_, i) => split(i)?.missingTrue ?? false),
        };
      });
    const ensemble: ShapEnsemble<ImportedShapTree> = {
      featureCount: model.featureCount,
      baseValue: model.baseMargin[target] ?? 0,
      trees,
    };
    return (row: ArrayLike<number>) => treeShap(ensemble, row, rule);
  });
}
