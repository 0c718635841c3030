import { OnnxProblemModel } from '../adapters/onnx/problemModel';
import { linearTermsOf } from '../adapters/onnx/problemGraph';
import { readRegressorsByOutput } from '../adapters/onnx/treeEnsemble';
import { linearExplainer, treeExplainer } from '../domain/problems/explanation';
import type { ProblemExplainer } from '../domain/problems/explanation';
import { listModels, loadModel, readAliases } from '../adapters/registry/modelRegistry';
import { PROBLEM_MODEL_KIND, PROBLEM_MODEL_PREFIX } from '../domain/problems/manifest';
import type { ProblemManifest } from '../domain/problems/manifest';
import type { ServedProblem, ServedProblemCatalog } from '../domain/problems/ports';

const PREFIX = PROBLEM_MODEL_PREFIX;

/**
 * The problem models to serve: every `problem-<name>` of the registry with a champion, whose
 * problem is still defined (a deleted problem stops being served). Reads the aliases at every call
 * and loads a version once, so a promotion or rollback serves from the next tick.
 */
export class RegistryProblemCatalog implements ServedProblemCatalog {
  private readonly loaded = new Map<string, Promise<ServedProblem>>();

  constructor(
    private readonly registryDir: string,
    /** Names of the problems defined now (the problem store's list); all champions when absent. */
    private readonly defined?: () => Promise<string[]>
  ) {}

  async champions(): Promise<ServedProblem[]> {
    const defined = this.defined ? new Set(await this.defined()) : undefined;
    const names = (await listModels(this.registryDir)).filter((n) => n.startsWith(PREFIX));
    const served: ServedProblem[] = [];
    for (const name of names) {
      if (defined && !defined.has(name.slice(PREFIX.length))) continue;
      const version = (await readAliases(this.registryDir, name)).champion;
      if (!version) continue;
      served.push(await this.load(name, version));
    }
    return served;
  }

  private load(name: string, version: string): Promise<ServedProblem> {
    const key = `${name}@${version}`;
    let pending = this.loaded.get(key);
    if (!pending) {
      pending = (async () => {
        const stored = await loadModel<ProblemManifest>(this.registryDir, name, version);
        const manifest = stored.manifest;
        if (manifest.kind !== PROBLEM_MODEL_KIND)
          throw new Error(`${key} is not a problem model (kind ${manifest.kind})`);
        const model = await OnnxProblemModel.load(stored.onnx, manifest.inputs.tensor.dimension);
        return {
          manifest,
          score: (rows: Float32Array) => model.probabilities(rows),
          explain: explainerOf(key, stored.onnx),
        };
      })();
      // A version that failed to load is tried again at the next tick.
      pending.catch(() => this.loaded.delete(key));
      this.loaded.set(key, pending);
    }
    return pending;
  }
}

/**
 * The exact explainer of a problem graph (`exportProblemOnnx`), read from the file that serves: the
 * linear terms of a logistic graph (log-odds), the `log_odds` ensemble of a GBT, the `forest_mean`
 * ensemble of a random forest (its mean leaf probability, before the log-odds).
 */
function explainerOf(key: string, onnx: Uint8Array): ProblemExplainer {
  const linear = linearTermsOf(onnx);
  if (linear) return linearExplainer(linear);
  const ensembles = readRegressorsByOutput(onnx);
  const gbt = ensembles.get('log_odds');
  if (gbt) return treeExplainer(gbt, 'log_odds');
  const forest = ensembles.get('forest_mean');
  if (forest) return treeExplainer(forest, 'forest_mean');
  throw new Error(`${key}: the graph holds neither linear terms nor a tree ensemble to explain`);
}
