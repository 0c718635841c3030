import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTreeEnsembleOnnx, readTreeEnsembles } from '../../inference-backend/src/adapters/onnx/treeEnsemble';
import { importedShapExplainers } from '../../inference-backend/src/adapters/registry/import/ensembleShap';
import { convertXgboost } from '../../inference-backend/src/adapters/registry/import/treeDumps';
import { predictGbt, seededRandom, trainGbt } from '../../inference-backend/src/domain/mlops/gbt';
import type { GbtModel } from '../../inference-backend/src/domain/mlops/gbt';
import { treeShap } from '../../inference-backend/src/domain/mlops/treeShap';
import { runPython } from '../support/python';

/**
 * Our TreeSHAP against the reference implementation, the `shap` package from PyPI, on the same
 * model and rows. The model is one of ours, trained here, written to ONNX and read back (what
 * the service explains), then handed to shap.TreeExplainer in its documented dictionary form
 * (children, features, thresholds, node values, node_sample_weight = our covers). shap's own C++
 * TreeSHAP then computes the values; its `x <= threshold` rule is ours.
 */

const SHAP_SCRIPT = String.raw`
import json, sys
import numpy as np
import shap

spec = json.load(open('model.json'))
rows = np.array(json.load(open('rows.json')), dtype=np.float64)

def shap_tree(tree):
    left = np.array(tree['left'], dtype=np.int32)
    right = np.array(tree['right'], dtype=np.int32)
    feature = np.array(tree['feature'], dtype=np.int32)
    value = np.array(tree['value'], dtype=np.float64)
    cover = np.array(tree['cover'], dtype=np.float64)
    # shap reads a node's value as "what it would predict as a leaf": the cover-weighted mean below it.
    def mean(node):
        if left[node] < 0:
            return value[node]
        l, r = left[node], right[node]
        value[node] = (mean(l) * cover[l] + mean(r) * cover[r]) / (cover[l] + cover[r])
        return value[node]
    mean(0)
    return {
        'children_left': left,
        'children_right': right,
        'children_default': right.copy(),
        'features': feature,
        'thresholds': np.array(tree['threshold'], dtype=np.float64),
        'values': value.reshape(-1, 1),
        'node_sample_weight': cover,
    }

model = {'trees': [shap_tree(t) for t in spec['trees']], 'base_offset': spec['baseValue'], 'input_dtype': np.float64,
         'internal_dtype': np.float64}
explainer = shap.TreeExplainer(model, feature_perturbation='tree_path_dependent', model_output='raw')
values = explainer.shap_values(rows)
json.dump({'shap_version': shap.__version__, 'expected_value': float(np.ravel(explainer.expected_value)[0]),
           'values': np.asarray(values).reshape(len(rows), -1).tolist()}, sys.stdout)
`;

/** XGBoost models trained here, saved as native JSON (what `nocai models import` reads), explained by shap. */
const XGBOOST_SCRIPT = String.raw`
import json, sys
import numpy as np
import shap
import xgboost as xgb

rng = np.random.default_rng(5)
n = 1200
X = rng.normal(0, 1, (n, 5)).astype(np.float32)
X[rng.random((n, 5)) < 0.05] = np.nan
score = np.nan_to_num(X[:, 0]) * 1.5 + np.where(np.nan_to_num(X[:, 1]) > 0, 1.0, -0.5) * np.nan_to_num(X[:, 2]) + rng.normal(0, 0.5, n)
train, ref = slice(0, 1000), slice(1000, n)
out = {'shap_version': shap.__version__, 'rows': [[None if np.isnan(v) else float(v) for v in r] for r in X[ref]]}
for name, model, y in [
    ('binary', xgb.XGBClassifier(n_estimators=50, max_depth=4, learning_rate=0.2), (score > 0.3).astype(int)),
    ('regression', xgb.XGBRegressor(n_estimators=50, max_depth=4, learning_rate=0.2), score),
]:
    model.fit(X[train], y[train])
    booster = model.get_booster()
    booster.save_model(name + '.json')
    native = shap.TreeExplainer(booster, feature_perturbation='tree_path_dependent', model_output='raw')
    # For XGBoost, shap hands tree_path_dependent to XGBoost's own float32 pred_contribs. The trees
    # shap parsed from the same file, given back to shap as a dictionary model, run shap's own
    # TreeSHAP in float64: the reference at 1e-6. Its loader leaves split nodes' values at 0; a node
    # value is the hessian-weighted mean below it, as XGBoost computes it.
    def with_means(t):
        value = np.asarray(t.values, dtype=np.float64).reshape(-1).copy()
        left, right, weight = t.children_left, t.children_right, t.node_sample_weight
        def mean(node):
            if left[node] < 0:
                return value[node]
            value[node] = (mean(left[node]) * weight[left[node]] + mean(right[node]) * weight[right[node]]) / weight[node]
            return value[node]
        mean(0)
        return {'children_left': left, 'children_right': right, 'children_default': t.children_default,
                'features': t.features, 'thresholds': t.thresholds, 'values': value.reshape(-1, 1), 'node_sample_weight': weight}
    own = shap.TreeExplainer({'trees': [with_means(t) for t in native.model.trees], 'base_offset': native.model.base_offset,
                              'input_dtype': np.float32, 'internal_dtype': np.float64},
                             feature_perturbation='tree_path_dependent', model_output='raw')
    out[name] = {'expected_value': float(np.ravel(own.expected_value)[0]),
                 'values': np.asarray(own.shap_values(X[ref]), dtype=np.float64).tolist(),
                 'xgboost_values': np.asarray(native.shap_values(X[ref]), dtype=np.float64).tolist(),
                 'margin': booster.predict(xgb.DMatrix(X[ref]), output_margin=True).astype(np.float64).tolist()}
json.dump(out, sys.stdout)
`;

interface XgboostReference {
  /** shap's own TreeSHAP (float64) on the trees it read from the file. */
  expected_value: number;
  values: number[][];
  /** What shap returns for an XGBoost booster: XGBoost's pred_contribs, computed in float32. */
  xgboost_values: number[][];
  margin: number[];
}

interface XgboostShapOutput {
  shap_version: string;
  rows: Array<Array<number | null>>;
  binary: XgboostReference;
  regression: XgboostReference;
}

interface ShapOutput {
  shap_version: string;
  expected_value: number;
  values: number[][];
}

const FEATURES = 6;

/** A table where the target depends on interactions, with a feature that trees split on twice. */
function table(seed: number, n: number): { rows: number[][]; target: number[] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const target: number[] = [];
  for (let i = 0; i < n; i++) {
    // float32 values: the model and shap then compare exactly the same numbers.
    const row = Array.from({ length: FEATURES }, () => Math.fround(random() * 20 - 10));
    rows.push(row);
    target.push(0.4 * row[0] * (row[1] > 0 ? 1 : -0.5) + Math.abs(row[2]) - 0.2 * row[3] + random());
  }
  return { rows, target };
}

/** Trains one of our ensembles, writes it as the service's ONNX and returns what is read back. */
function exportedModel(loss: 'squared' | 'logistic', seed: number): { model: GbtModel; rows: number[][] } {
  const { rows, target } = table(seed, 1500);
  const threshold = [...target].sort((a, b) => a - b)[Math.floor(target.length * 0.7)];
  const labels = loss === 'logistic' ? target.map((t) => (t > threshold ? 1 : 0)) : target;
  const trained = trainGbt(
    { rowCount: rows.length, featureCount: FEATURES, values: Float32Array.from(rows.flat()) },
    labels,
    {
      loss: { kind: loss },
      nTrees: 60,
      learningRate: 0.1,
      maxDepth: 5,
      minSamplesLeaf: 10,
      subsample: 0.8,
      maxBins: 64,
      seed,
    }
  );
  const bytes = buildTreeEnsembleOnnx({
    inputName: 'features',
    featureCount: FEATURES,
    graphName: 'shap-check',
    outputs: [{ name: 'score', model: trained, transform: 'none' }],
  });
  const model = readTreeEnsembles(bytes).get('score');
  if (!model) throw new Error('the exported ONNX model has no score ensemble');
  return { model, rows: table(seed + 1000, 200).rows };
}

describe('TreeSHAP against the shap package', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'nocai-treeshap-'));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each([
    ['a regression (squared loss)', 'squared' as const, 21],
    ['a binary classifier (log-odds margin)', 'logistic' as const, 22],
  ])(
    'When %s exported to ONNX is explained on 200 new rows, then every value equals shap to 1e-6 and sums to the output',
    async (_name, loss, seed) => {
      const { model, rows } = exportedModel(loss, seed);
      const dir = join(work, loss);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      await writeFile(join(dir, 'model.json'), JSON.stringify(model));
      await writeFile(join(dir, 'rows.json'), JSON.stringify(rows));
      const reference = JSON.parse(await runPython(SHAP_SCRIPT, dir)) as ShapOutput;

      let largest = 0;
      rows.forEach((row, r) => {
        const ours = treeShap(model, row);
        expect(Math.abs(ours.base - reference.expected_value)).toBeLessThanOrEqual(1e-6);
        ours.contributions.forEach((value, f) => {
          largest = Math.max(largest, Math.abs(value - reference.values[r][f]));
        });
        const total = ours.contributions.reduce((sum, value) => sum + value, ours.base);
        expect(Math.abs(total - predictGbt(model, row))).toBeLessThanOrEqual(1e-6);
      });
      process.stderr.write(
        `[treeshap] ${loss}: ${rows.length} rows × ${FEATURES} features, ${model.trees.length} trees, ` +
          `max |ours − shap ${reference.shap_version}| = ${largest.toExponential(2)}\n`
      );
      expect(largest).toBeLessThanOrEqual(1e-6);
      // Not a vacuous match: the explanations move the prediction.
      expect(reference.values.flat().some((value) => Math.abs(value) > 0.01)).toBe(true);
    },
    15 * 60_000
  );
});

describe('TreeSHAP of imported XGBoost models against the shap package', () => {
  let work: string;
  let reference: XgboostShapOutput;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'nocai-treeshap-xgb-'));
    reference = JSON.parse(await runPython(XGBOOST_SCRIPT, work)) as XgboostShapOutput;
  }, 15 * 60_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each([['binary' as const], ['regression' as const]])(
    'When the %s model file is imported and explained on rows with missing values, then every value equals shap to 1e-6 (XGBoost to 1e-5)',
    async (name) => {
      const model = convertXgboost(JSON.parse(await readFile(join(work, `${name}.json`), 'utf8')));
      const explainers = importedShapExplainers(model);
      if (!explainers) throw new Error('the XGBoost file has no node covers');
      const expected = reference[name];
      const rows = reference.rows.map((row) => row.map((v) => (v === null ? NaN : v)));
      expect(rows.some((row) => row.some(Number.isNaN))).toBe(true);
      let largest = 0;
      let native = 0;
      rows.forEach((row, r) => {
        const ours = explainers[0](row);
        largest = Math.max(largest, Math.abs(ours.base - expected.expected_value));
        ours.contributions.forEach((value, f) => {
          largest = Math.max(largest, Math.abs(value - expected.values[r][f]));
          native = Math.max(native, Math.abs(value - expected.xgboost_values[r][f]));
        });
        // And the explanation adds up to XGBoost's own margin for the row.
        const total = ours.contributions.reduce((sum, value) => sum + value, ours.base);
        expect(Math.abs(total - expected.margin[r])).toBeLessThanOrEqual(1e-5);
      });
      process.stderr.write(
        `[treeshap] xgboost ${name}: ${rows.length} rows, ${model.trees.length} trees, ` +
          `max |ours − shap ${reference.shap_version}| = ${largest.toExponential(2)}, ` +
          `max |ours − XGBoost pred_contribs (float32)| = ${native.toExponential(2)}\n`
      );
      expect(largest).toBeLessThanOrEqual(1e-6);
      // XGBoost's own float32 arithmetic: the same values to its precision.
      expect(native).toBeLessThanOrEqual(1e-5);
    },
    15 * 60_000
  );
});
