/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditDirIn, FileAuditTrail } from '../../inference-backend/src/adapters/audit/fileAuditTrail';
import { csvToTable } from '../../inference-backend/src/adapters/files/csv';
import { createPredictRouter } from '../../inference-backend/src/adapters/http/predictRoutes';
import { startRouteTestApp } from '../../inference-backend/src/adapters/http/routeTestApp';
import { ImportedModel } from '../../inference-backend/src/adapters/onnx/importedModel';
import type { ImportedPrediction } from '../../inference-backend/src/adapters/onnx/importedModel';
import { loadModel, readAliases } from '../../inference-backend/src/adapters/registry/modelRegistry';
import { runModelsImport } from '../../inference-backend/src/commands/modelImport';
import type { ModelsImportFlags } from '../../inference-backend/src/commands/modelImport';
import type { RegistryManifest } from '../../inference-backend/src/domain/mlops/manifest';
import { runPython } from '../support/python';
import { startTestBackend } from '../support/service';
import type { Ticket } from '@nocai/contract';
import { readTableFile } from '../../inference-backend/src/adapters/files/csv';
import { DEFAULT_MODEL_SPECS, trainTarget } from '../../inference-backend/src/commands/train';
import {
  generateInventory,
  generateTicketHistory,
  ticketsToJsonl,
  Topology,
} from '../../inference-backend/src/simulator';

/**
 * Models trained by real Python libraries in this test run (scikit-learn converted by skl2onnx,
 * XGBoost and LightGBM saved in their native JSON), imported through `nocai models import` and
 * compared with the libraries' own predictions on every reference row.
 */

/** Trains the models and writes, per model, a reference CSV of inputs and the library's predictions. */
const TRAINING_SCRIPT = String.raw`
import csv, json, sys
import numpy as np
import pandas as pd
import lightgbm as lgb
import xgboost as xgb
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import StringTensorType

rng = np.random.default_rng(11)
out = {}

def cell(v):
    if isinstance(v, str):
        return v
    v = float(v)
    # repr of a float64 round-trips exactly; a float32 input is written as its exact float64 value.
    return '' if np.isnan(v) else repr(v)

def write_csv(path, columns):
    names = list(columns)
    rows = len(columns[names[0]])
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(names)
        for i in range(rows):
            w.writerow([cell(columns[c][i]) for c in names])

# (a) Department routing from short texts: TF-IDF + logistic regression, converted by skl2onnx.
words = {
    'network_ops': 'link bgp router interface packet loss latency switch uplink flapping',
    'field_technicians': 'fan cabinet cable replace onsite visit rack battery door technician',
    'it_ops': 'server disk cpu memory backup vm database restart service patch',
    'security': 'login intrusion firewall malware brute force certificate breach scan phishing',
    'facilities': 'power hvac cooling generator temperature ups building water leak air',
    'maintenance': 'scheduled window upgrade firmware planned inspection replacement maintenance calibration',
}
shared = 'site alarm critical warning node device alert issue check urgent'.split()
def sentence(dep):
    own = words[dep].split()
    k = rng.integers(3, 7)
    return ' '.join(own[rng.integers(len(own))] if rng.random() < 0.7 else shared[rng.integers(len(shared))] for _ in range(k))
deps = sorted(words)
train_y = [deps[i % len(deps)] for i in range(360)]
train_x = [sentence(d) for d in train_y]
ref_x = [sentence(deps[rng.integers(len(deps))]) for _ in range(80)]
pipe = Pipeline([('tfidf', TfidfVectorizer()), ('clf', LogisticRegression(max_iter=1000))]).fit(train_x, train_y)
onx = convert_sklearn(pipe, initial_types=[('text', StringTensorType([None, 1]))],
                      options={id(pipe.steps[-1][1]): {'zipmap': False}}, target_opset={'': 17, 'ai.onnx.ml': 3})
open('department.onnx', 'wb').write(onx.SerializeToString())
labels = [str(c) for c in pipe.classes_]
proba = pipe.predict_proba(ref_x)
write_csv('department.csv', {'text': ref_x, 'expected_label': list(pipe.predict(ref_x)),
                             **{'expected_p_' + l: proba[:, k] for k, l in enumerate(labels)}})
out['department'] = {'labels': labels, 'outputs': [o.name for o in onx.graph.output]}

# (b), (c) A table with missing values, as float32 (what XGBoost reads).
n = 900
cpu = rng.uniform(0, 100, n)
errors = rng.poisson(2, n).astype(float)
latency = rng.lognormal(3, 0.6, n)
temperature = rng.normal(45, 8, n)
latency[rng.random(n) < 0.12] = np.nan
errors[rng.random(n) < 0.05] = np.nan
X = pd.DataFrame({'cpu': cpu, 'errors': errors, 'latency_ms': latency, 'temperature': temperature}).astype(np.float32)
score = 0.04 * X.cpu + 0.5 * X.errors.fillna(0) + 0.02 * X.latency_ms.fillna(80) - 4 + rng.normal(0, 0.8, n)
y_bin = (score > 0.5).astype(int)
y_reg = (0.03 * X.cpu + 0.2 * X.errors.fillna(1) + 0.01 * X.latency_ms.fillna(50) + rng.normal(0, 0.3, n)).astype(float)
y_mc = np.digitize(score, [-0.5, 1.5])
train, ref = slice(0, 700), slice(700, n)
inputs = {c: X[c].to_numpy()[ref] for c in X.columns}

def classifier_case(name, model, names):
    p = model.predict_proba(X[ref])
    write_csv(name + '.csv', {**inputs, 'expected_label': [names[i] for i in model.predict(X[ref])],
                              **{'expected_p_' + l: p[:, k] for k, l in enumerate(names)}})
    out[name] = {'labels': names}

m = xgb.XGBClassifier(n_estimators=40, max_depth=4, learning_rate=0.2).fit(X[train], y_bin[train])
m.get_booster().save_model('xgb_binary.json')
classifier_case('xgb_binary', m, ['ok', 'fails'])

m = xgb.XGBRegressor(n_estimators=40, max_depth=4, learning_rate=0.2).fit(X[train], y_reg[train])
m.get_booster().save_model('xgb_regression.json')
write_csv('xgb_regression.csv', {**inputs, 'expected_value': m.predict(X[ref])})

m = lgb.LGBMClassifier(n_estimators=40, num_leaves=12, learning_rate=0.1, verbose=-1).fit(X[train], y_mc[train])
with open('lgb_multiclass.json', 'w') as f:
    json.dump(m.booster_.dump_model(), f)
classifier_case('lgb_multiclass', m, ['low', 'medium', 'high'])

m = lgb.LGBMRegressor(n_estimators=40, num_leaves=12, learning_rate=0.1, verbose=-1).fit(X[train], y_reg[train])
with open('lgb_regression.json', 'w') as f:
    json.dump(m.booster_.dump_model(), f)
write_csv('lgb_regression.csv', {**inputs, 'expected_value': m.predict(X[ref])})

json.dump(out, sys.stdout)
`;

const TABLE_COLUMNS = 'cpu,errors,latency_ms,temperature';
const TOKEN = 'test-token';

interface PythonInfo {
  department: { labels: string[]; outputs: string[] };
  xgb_binary: { labels: string[] };
  lgb_multiclass: { labels: string[] };
}

/** Every file under `dir` with its size: what "the registry is untouched" compares. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string, prefix: string) => {
    let entries: string[];
    try {
      entries = (await readdir(at)).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(at, entry);
      const info = await stat(path);
      if (info.isDirectory()) await walk(path, `${prefix}${entry}/`);
      else out.push(`${prefix}${entry} ${info.size}`);
    }
  };
  await walk(dir, '');
  return out;
}

/** |ours − expected| within 1e-5 (relative beyond 1: the graph's outputs are float32). */
function expectClose(ours: number, expected: number, where: string): void {
  const difference = Math.abs(ours - expected);
  if (difference > 1e-5 * Math.max(1, Math.abs(expected))) {
    throw new Error(`${where}: ${ours} differs from Python's ${expected} by ${difference}`);
  }
}

function expectSameAsPython(
  predictions: ImportedPrediction[],
  rows: Array<Record<string, string>>,
  labels: string[]
): number {
  let compared = 0;
  predictions.forEach((prediction, r) => {
    if ('value' in prediction) {
      expectClose(prediction.value, Number(rows[r].expected_value), `row ${r + 1} value`);
      compared++;
      return;
    }
    expect(prediction.label).toBe(rows[r].expected_label);
    for (const label of labels) {
      expectClose(prediction.probabilities[label], Number(rows[r][`expected_p_${label}`]), `row ${r + 1} p(${label})`);
      compared++;
    }
  });
  return compared;
}

describe('models trained in Python, imported', () => {
  let work: string;
  let registry: string;
  let stateDir: string;
  let info: PythonInfo;
  const file = (name: string) => join(work, name);

  const runImport = async (flags: Omit<ModelsImportFlags, 'dir' | 'stateDir'>) => {
    let stdout = '';
    let stderr = '';
    const code = await runModelsImport(
      { dir: registry, stateDir, ...flags },
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }
    );
    return { code, stdout, stderr };
  };

  const referenceRows = async (name: string) => csvToTable(await readFile(file(`${name}.csv`), 'utf8')).rows;

  const predictionsOf = async (name: string, rows: Array<Record<string, string>>) => {
    const model = await ImportedModel.load(await loadModel<RegistryManifest>(registry, name, 'latest'));
    try {
      return await model.predict(rows);
    } finally {
      await model.release();
    }
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'nocai-import-python-'));
    registry = join(work, 'models');
    stateDir = join(work, 'state');
    await mkdir(registry);
    // The first run creates the virtualenv (a minute or two); later runs reuse it.
    info = JSON.parse(await runPython(TRAINING_SCRIPT, work)) as PythonInfo;
    await writeFile(
      file('department.manifest.json'),
      JSON.stringify({
        name: 'department-sklearn',
        target: 'department',
        task: 'classification',
        format: 'onnx',
        inputs: { text: { column: 'text', tensor: 'text' } },
        outputs: { label: 'label', probabilities: 'probabilities', labels: info.department.labels },
      })
    );
  }, 15 * 60_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('When the skl2onnx TF-IDF pipeline is imported with its manifest, then it predicts as scikit-learn on every reference row and fits the department slot', async () => {
    const result = await runImport({
      file: file('department.onnx'),
      manifest: file('department.manifest.json'),
      reference: file('department.csv'),
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('imported department-sklearn v1');
    expect(result.stdout).toContain('fits the built-in department slot');

    const rows = await referenceRows('department');
    expect(rows).toHaveLength(80);
    const compared = expectSameAsPython(await predictionsOf('department-sklearn', rows), rows, info.department.labels);
    expect(compared).toBe(80 * 6);
  });

  it.each([
    ['xgb_binary', 'xgboost-json', 'classification', 'xgb-binary'],
    ['xgb_regression', 'xgboost-json', 'regression', 'xgb-regression'],
    ['lgb_multiclass', 'lightgbm-json', 'classification', 'lgb-multiclass'],
    ['lgb_regression', 'lightgbm-json', 'regression', 'lgb-regression'],
  ])(
    'When the %s JSON dump is imported with flags, then the converted ONNX predicts as the library on every reference row',
    async (dump, format, task, name) => {
      const labels = (info as unknown as Record<string, { labels?: string[] }>)[dump]?.labels ?? [];
      const result = await runImport({
        file: file(`${dump}.json`),
        format,
        name,
        task,
        columns: TABLE_COLUMNS,
        ...(labels.length > 0 ? { labels: labels.join(',') } : {}),
        reference: file(`${dump}.csv`),
      });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain(`imported ${name} v1`);

      const rows = await referenceRows(dump);
      // Missing values reach the trees: the rows hold NaN cells.
      expect(rows.some((row) => row.latency_ms === '')).toBe(true);
      const compared = expectSameAsPython(await predictionsOf(name, rows), rows, labels);
      expect(compared).toBe(rows.length * Math.max(1, labels.length));
    }
  );

  it('When the scikit-learn department model is imported as champion of the built-in department slot, then the backend routes complaints with it as scikit-learn would', async () => {
    // Our ticket-class and priority models beside it, trained on a short simulated history.
    const slot = join(work, 'slot-models');
    const inventory = generateInventory({ seed: 5, sites: 2 });
    const endUs = Date.UTC(2026, 0, 1) * 1000;
    const history = generateTicketHistory({
      seed: 5,
      topology: new Topology(inventory),
      fromUs: endUs - 60 * 86_400_000_000,
      toUs: endUs,
      incidents: [],
    });
    await writeFile(file('slot-history.jsonl'), ticketsToJsonl(history));
    const table = await readTableFile(file('slot-history.jsonl'));
    for (const spec of DEFAULT_MODEL_SPECS.tickets.filter((s) => s.name !== 'department'))
      await trainTarget(table, spec, slot, { champion: true });
    const imported = await runModelsImport(
      {
        dir: slot,
        stateDir,
        file: file('department.onnx'),
        manifest: file('department.manifest.json'),
        name: 'department',
        reference: file('department.csv'),
        champion: true,
      },
      { stdout: () => undefined, stderr: () => undefined }
    );
    expect(imported).toBe(0);

    const backend = await startTestBackend({ NOCAI_MODELS_DIR: slot });
    try {
      const rows = (await referenceRows('department')).slice(0, 10);
      for (const row of rows) {
        const res = await backend.call('/api/complaints', { method: 'POST', body: JSON.stringify({ text: row.text }) });
        expect(res.status).toBe(201);
        const { ticket } = (await res.json()) as { ticket: Ticket };
        expect(ticket.modelVersion).toContain('department@v1');
        expect(ticket.department).toBe(row.expected_label);
        // The ticket's confidence is the department probability, rounded to three decimals.
        expect(ticket.confidence).toBeCloseTo(Number(row[`expected_p_${row.expected_label}`]), 3);
      }
    } finally {
      await backend.stop();
    }
  });

  it('When an imported champion is asked over HTTP, then it answers as Python did, and names a missing column or an unknown model', async () => {
    const imported = await runImport({
      file: file('lgb_multiclass.json'),
      format: 'lightgbm-json',
      name: 'link-load',
      task: 'classification',
      columns: TABLE_COLUMNS,
      labels: info.lgb_multiclass.labels.join(','),
      reference: file('lgb_multiclass.csv'),
      champion: true,
    });
    expect(imported.code).toBe(0);
    expect((await readAliases(registry, 'link-load')).champion).toBe('v1');

    const app = await startRouteTestApp({
      auth: { apiToken: TOKEN, allowAnonymous: false },
      routers: [{ path: '/predict', router: createPredictRouter({ registryDir: registry }) }],
    });
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${app.base}/api/predict/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      const rows = await referenceRows('lgb_multiclass');
      const inputs = rows.map(({ cpu, errors, latency_ms, temperature }) => ({ cpu, errors, latency_ms, temperature }));
      const answer = await post('link-load', { rows: inputs });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ model: 'link-load', version: 'v1' });
      expectSameAsPython(answer.body.predictions as ImportedPrediction[], rows, info.lgb_multiclass.labels);

      const missing = await post('link-load', { rows: [{ cpu: 3, errors: 1, latency_ms: 20 }] });
      expect(missing.status).toBe(400);
      expect(JSON.stringify(missing.body)).toContain('temperature');
      const text = await post('link-load', { rows: [{ cpu: 'high', errors: 1, latency_ms: 20, temperature: 40 }] });
      expect(text.status).toBe(400);
      expect(JSON.stringify(text.body)).toContain('cpu must be a number');
      expect((await post('no-such-model', { rows: inputs.slice(0, 1) })).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('When an import is corrupt or its manifest lies, then it is refused with one sentence and the registry is unchanged', async () => {
    const onnx = await readFile(file('department.onnx'));
    await writeFile(file('truncated.onnx'), onnx.subarray(0, Math.floor(onnx.length / 2)));
    const manifest = JSON.parse(await readFile(file('department.manifest.json'), 'utf8')) as {
      outputs: { labels: string[] };
    };
    await writeFile(
      file('five-labels.json'),
      JSON.stringify({ ...manifest, outputs: { ...manifest.outputs, labels: manifest.outputs.labels.slice(0, 5) } })
    );
    const reference = await readFile(file('xgb_binary.csv'), 'utf8');
    // The same rows without their temperature column.
    await writeFile(
      file('no-temperature.csv'),
      reference
        .split('\n')
        .map((line) =>
          line
            .split(',')
            .filter((_, i) => i !== 3)
            .join(',')
        )
        .join('\n')
    );
    const before = await snapshot(registry);
    const xgbFlags = {
      file: file('xgb_binary.json'),
      format: 'xgboost-json',
      name: 'xgb-binary',
      task: 'classification',
      columns: TABLE_COLUMNS,
      reference: file('xgb_binary.csv'),
    };

    const cases: Array<[string, Omit<ModelsImportFlags, 'dir' | 'stateDir'>, RegExp]> = [
      [
        'a truncated ONNX file',
        { file: file('truncated.onnx'), manifest: file('department.manifest.json'), reference: file('department.csv') },
        /onnxruntime cannot load the model/,
      ],
      [
        'a manifest with one label too few',
        { file: file('department.onnx'), manifest: file('five-labels.json'), reference: file('department.csv') },
        /output probabilities has 6 columns but the manifest lists 5 labels/,
      ],
      [
        'a tree dump given three labels for two classes',
        { ...xgbFlags, labels: 'ok,fails,unknown' },
        /has 2 classes but --labels lists 3 labels/,
      ],
      [
        'labels in another order than the model\u2019s columns',
        {
          file: file('lgb_multiclass.json'),
          format: 'lightgbm-json',
          name: 'lgb-multiclass',
          task: 'classification',
          columns: TABLE_COLUMNS,
          labels: [...info.lgb_multiclass.labels].reverse().join(','),
          reference: file('lgb_multiclass.csv'),
        },
        /is the order of --labels that of the model's columns\?/,
      ],
      [
        'a reference file without an input column',
        { ...xgbFlags, labels: 'ok,fails', reference: file('no-temperature.csv') },
        /has no column "temperature", which --columns gives as input/,
      ],
      [
        'columns in another order than the training',
        { ...xgbFlags, labels: 'ok,fails', columns: 'errors,cpu,latency_ms,temperature' },
        /trained on features cpu, errors/,
      ],
    ];
    for (const [what, flags, reason] of cases) {
      const result = await runImport(flags);
      expect({ what, code: result.code, stdout: result.stdout }).toEqual({ what, code: 2, stdout: '' });
      expect({ what, stderr: result.stderr }).toEqual({ what, stderr: expect.stringMatching(reason) });
      // One sentence: one line, ending with a full stop.
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr.trim().endsWith('.')).toBe(true);
    }
    expect(await snapshot(registry)).toEqual(before);
  });

  it('When models are imported, then the audit trail records each import', async () => {
    const { entries } = await new FileAuditTrail(auditDirIn(stateDir)).list({ action: 'model', limit: 100 });
    const actions = entries.map((e) => `${e.action} ${e.target}`);
    expect(actions).toEqual([
      'model.import model:department-sklearn@v1',
      'model.import model:xgb-binary@v1',
      'model.import model:xgb-regression@v1',
      'model.import model:lgb-multiclass@v1',
      'model.import model:lgb-regression@v1',
      'model.import model:department@v1',
      'model.promote model:department@v1',
      'model.import model:link-load@v1',
      'model.promote model:link-load@v1',
    ]);
  });
});
