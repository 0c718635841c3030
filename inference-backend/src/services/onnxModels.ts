import { join } from 'node:path';
import type { Department, EventClass, Priority } from '@nocai/contract';
import { OnnxClassifier, type ClassifierPrediction } from '../adapters/onnx/onnxClassifier';
import { OnnxMttrModel } from '../adapters/onnx/mttrModel';
import { loadModel, ModelNotFoundError, readAliases } from '../adapters/registry/modelRegistry';
import type { Logger } from '../adapters/logger';
import type { DeviceKind, SiteKind } from '@nocai/contract';
import type { LineClassification, LineClassifier, LineInput } from '../pipeline/logStage';
import type { MttrInput, MttrPrediction, MttrPredictor, TextRouter, TextRouterInput, TextRouting } from './ports';
import type { Explanation } from '@nocai/contract';
import { words, wordsOfMasked, type FeatureInput } from '../domain/mlops/featurizer';
import { PredictionMemo, type MemoStats } from '../adapters/onnx/predictionMemo';
import { fitsBuiltInSlot, isImportedManifest } from '../domain/mlops/importedModel';
import { ImportedModel } from '../adapters/onnx/importedModel';
import type { StoredModel } from '../adapters/registry/modelRegistry';
import type { RegistryManifest } from '../domain/mlops/manifest';
import type { MttrTicketInput } from '../domain/mlops/mttrFeatures';
import { mttrFallingBack, routerFallingBack, type ModelFailure } from './modelFallback';

/** What the text router needs of a routing classifier: ours (OnnxClassifier) or an imported one. */
export interface RoutingClassifier {
  readonly modelVersion: string;
  /** What it can predict, in its manifest's order. */
  readonly labels: readonly string[];
  inputOf(record: Readonly<Record<string, string | undefined>>): FeatureInput;
  predict(inputs: readonly FeatureInput[]): Promise<ClassifierPrediction[]>;
  explain(input: FeatureInput, options?: { label?: string; top?: number }): Explanation[];
  close(): Promise<void>;
}

/**
 * A classifier trained elsewhere (scikit-learn through skl2onnx, …) serving a built-in slot: it
 * reads the ticket's whole text as one string. Its graph is opaque to us, so it gives no
 * explanation (the ticket says so by having none).
 */
export class ImportedTextClassifier implements RoutingClassifier {
  constructor(private readonly model: ImportedModel) {}

  get modelVersion(): string {
    return this.model.modelVersion;
  }

  get labels(): readonly string[] {
    return this.model.manifest.labels;
  }

  inputOf(record: Readonly<Record<string, string | undefined>>): FeatureInput {
    return { text: record.description ?? record.title ?? '', context: {} };
  }

  async predict(inputs: readonly FeatureInput[]): Promise<ClassifierPrediction[]> {
    const { inputs: spec } = this.model.manifest;
    if (spec.kind !== 'text') throw new Error(`${this.modelVersion} does not read text`);
    const predictions = await this.model.predict(inputs.map((i) => ({ [spec.column]: i.text })));
    return predictions.map((p) => {
      if (!('label' in p)) throw new Error(`${this.modelVersion} is not a classifier`);
      return {
        label: p.label,
        confidence: p.probabilities[p.label] ?? 0,
        probabilities: p.probabilities,
        modelVersion: this.modelVersion,
      };
    });
  }

  explain(): Explanation[] {
    return [];
  }

  async close(): Promise<void> {
    await this.model.release();
  }
}

/**
 * The routing classifier stored as `stored`: a text classifier of ours, or an imported model
 * whose signature fits the slot of `name` (the department slot today); otherwise an error that
 * says why it cannot serve there.
 */
export async function routingClassifierOf(
  name: string,
  stored: StoredModel<RegistryManifest>
): Promise<RoutingClassifier> {
  const manifest = stored.manifest as unknown as { kind?: unknown };
  if (isImportedManifest(manifest)) {
    const fit = fitsBuiltInSlot(manifest);
    if (name !== SERVED_MODELS.department || !fit.fits) {
      throw new Error(
        `the ${name} champion ${name}@${String((stored.manifest as { version?: string }).version)} is an imported model that cannot serve the built-in ${name} slot: ${fit.fits ? 'only the department slot takes imported models' : fit.reason}`
      );
    }
    return new ImportedTextClassifier(await ImportedModel.load(stored));
  }
  return OnnxClassifier.load(stored.onnx, stored.manifest as StoredModel['manifest']);
}

/** Registry names of the models the backend serves (trained by `trainDefaultModels`). */
export const SERVED_MODELS = {
  eventClass: 'event-class',
  eventDecision: 'event-decision',
  ticketClass: 'ticket-class',
  department: 'department',
  priority: 'priority',
  mttr: 'mttr',
} as const;

const EXPLAIN_TOP = 5;

/** Syslog lines classified by the ONNX event-class and event-decision champions. */
export class OnnxLineClassifier implements LineClassifier {
  private readonly eventClass: PredictionMemo;
  private readonly decision: PredictionMemo;

  get modelVersion(): string {
    return `${this.eventClass.modelVersion}+${this.decision.modelVersion}`;
  }

  constructor(eventClass: OnnxClassifier, decision: OnnxClassifier) {
    this.eventClass = new PredictionMemo(eventClass);
    this.decision = new PredictionMemo(decision);
  }

  async classifyBatch(inputs: readonly LineInput[]): Promise<LineClassification[]> {
    // A page repeats its lines but for what masking replaces: each distinct line is featurized and
    // keyed once, and its lines share its inputs, keys, predictions and explanation. The memos
    // answer and remember exactly as they would line by line (see below).
    const messageOnly = this.readsMessageAlone();
    // Lines by text (masked ones apart from raw ones), then by context, compared field by field: no
    // key string to build per line.
    const byMasked = new Map<string, number[]>();
    const byMessage = new Map<string, number[]>();
    const distinct: LineInput[] = [];
    const slots = new Int32Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      const masked = messageOnly ? input.maskedMessage : undefined;
      const byText = masked === undefined ? byMessage : byMasked;
      const text = masked ?? input.message;
      let candidates = byText.get(text);
      if (candidates === undefined) byText.set(text, (candidates = []));
      let slot = candidates.find((c) => sameContext(distinct[c], input));
      if (slot === undefined) {
        slot = distinct.length;
        candidates.push(slot);
        distinct.push(input);
      }
      slots[i] = slot;
    }
    const records = distinct.map((i) => ({
      message: i.message,
      appname: i.appname,
      severity: i.severity,
      device_kind: i.deviceKind ?? '',
      site_kind: i.siteKind ?? '',
    }));
    // Both models read the same texts: each is masked and split into words once. A text that is a
    // line's message whose masked form the log stage has (from template mining) is not masked again.
    const maskedByMessage = new Map<string, string>();
    for (const input of distinct) {
      if (input.maskedMessage !== undefined) maskedByMessage.set(input.message, input.maskedMessage);
    }
    const wordsByText = new Map<string, string>();
    const wordsOf = (text: string) => {
      let joined = wordsByText.get(text);
      if (joined === undefined) {
        const masked = maskedByMessage.get(text);
        joined = (masked === undefined ? words(text) : wordsOfMasked(masked)).join(' ');
        wordsByText.set(text, joined);
      }
      return joined;
    };
    // A model that reads the message alone featurizes the masked text the log stage has, when it has it.
    const inputOf = (classifier: OnnxClassifier, r: (typeof records)[number], s: number): FeatureInput => {
      const input = classifier.inputOf(r);
      const masked = messageOnly ? distinct[s].maskedMessage : undefined;
      return masked === undefined ? input : { ...input, maskedText: masked };
    };
    const classInputs = records.map((r, s) => inputOf(this.eventClass.classifier, r, s));
    const classKeys = this.eventClass.keysOf(classInputs, wordsOf);
    const decisionInputs = records.map((r, s) => inputOf(this.decision.classifier, r, s));
    const decisionKeys = this.decision.keysOf(decisionInputs, wordsOf);
    // The memos see each distinct line once, in the order of its last line in the page: they then
    // hold what they would after seeing every line in order (each refreshed where it was last
    // seen), without a lookup and a refresh per line (issue 13).
    const lastSeen = new Int32Array(distinct.length);
    for (let i = 0; i < slots.length; i++) lastSeen[slots[i]] = i;
    const order = Array.from(distinct, (_, s) => s).sort((a, b) => lastSeen[a] - lastSeen[b]);
    const inOrder = <T>(values: readonly T[]): T[] => order.map((s) => values[s]);
    const [orderedClasses, orderedDecisions] = await Promise.all([
      this.eventClass.predict(inOrder(classInputs), inOrder(classKeys)),
      this.decision.predict(inOrder(decisionInputs), inOrder(decisionKeys)),
    ]);
    const classes = new Array<ClassifierPrediction>(distinct.length);
    const decisions = new Array<ClassifierPrediction>(distinct.length);
    order.forEach((s, k) => {
      classes[s] = orderedClasses[k];
      decisions[s] = orderedDecisions[k];
    });
    const modelVersion = this.modelVersion;
    const explanations = new Array<Explanation[] | undefined>(distinct.length);
    return Array.from(slots, (slot) => {
      const c = classes[slot];
      const alert = decisions[slot].label !== 'noise';
      return {
        eventClass: c.label as EventClass,
        decision: alert ? 'alert' : 'noise',
        // The routing of an alert rests on its class; the decision's own certainty bounds it.
        confidence: round3(Math.min(c.confidence, decisions[slot].confidence)),
        modelVersion,
        // Explanations cost a pass over the weights: only alerts, which may become tickets, get one.
        explanation: alert
          ? (explanations[slot] ??= this.eventClass.explain(classInputs[slot], classKeys[slot], {
              label: c.label,
              top: EXPLAIN_TOP,
            }))
          : undefined,
      };
    });
  }

  /** How often each model's memo found its inputs (the soak prints them). */
  memoStats(): { eventClass: MemoStats; decision: MemoStats } {
    return { eventClass: this.eventClass.stats, decision: this.decision.stats };
  }

  /**
   * Whether both models read the message only as their text: two lines with the same masked
   * message (and context) then have the same features, as words() reads the masked text only.
   * Otherwise lines are only the same when their messages are.
   */
  private readsMessageAlone(): boolean {
    return [this.eventClass, this.decision].every((memo) => {
      const { textColumns, contextColumns } = memo.classifier.manifest.inputs;
      return textColumns.length === 1 && textColumns[0] === 'message' && !contextColumns.includes('message');
    });
  }
}

/** Whether two lines have the same context for the line models (all but their text). */
function sameContext(a: LineInput, b: LineInput): boolean {
  return (
    a.appname === b.appname &&
    a.severity === b.severity &&
    (a.deviceKind ?? '') === (b.deviceKind ?? '') &&
    (a.siteKind ?? '') === (b.siteKind ?? '')
  );
}

/** Complaints and alert texts routed by the ticket-class, department and priority champions. */
export class OnnxTextRouter implements TextRouter {
  get modelVersion(): string {
    return [this.ticketClass, this.department, this.priority].map((m) => m.modelVersion).join('+');
  }

  constructor(
    private readonly ticketClass: RoutingClassifier,
    private readonly department: RoutingClassifier,
    private readonly priority: RoutingClassifier
  ) {}

  departments(): readonly string[] {
    return this.department.labels;
  }

  async route(input: TextRouterInput): Promise<TextRouting> {
    const record = {
      title: input.text,
      description: input.text,
      site_kind: input.siteKind ?? '',
      device_kind: input.deviceKind ?? '',
      site: input.site ?? '',
    };
    const one = async (model: RoutingClassifier): Promise<[ClassifierPrediction, FeatureInput]> => {
      const features = model.inputOf({ ...record, class: '' });
      return [(await model.predict([features]))[0], features];
    };
    const [[cls, clsInput], [dept, deptInput], [prio]] = await Promise.all([
      one(this.ticketClass),
      one(this.department),
      one(this.priority),
    ]);
    return {
      eventClass: cls.label as EventClass,
      department: dept.label,
      priority: prio.label as Priority,
      // Routing is the decision a wrong guess costs most: its confidence decides review.
      confidence: round3(dept.confidence),
      classConfidence: round3(cls.confidence),
      explanation: this.department.explain(deptInput, { label: dept.label, top: EXPLAIN_TOP }),
      classExplanation: this.ticketClass.explain(clsInput, { label: cls.label, top: EXPLAIN_TOP }),
      modelVersion: [this.ticketClass, this.department, this.priority].map((m) => m.modelVersion).join('+'),
    };
  }
}

/** Distinct tickets whose MTTR factors are remembered: an incident's updates ask about the same ticket again. */
const MTTR_EXPLANATIONS_KEPT = 2_000;

/**
 * The MTTR champion behind the `MttrPredictor` port. Each prediction carries the inputs that moved
 * its P50 most, `explainTop` of them, strongest first: exact TreeSHAP, O(leaves × depth²) for each
 * tree, made once per ticket built, never per log line. An incident's ticket
 * is rebuilt on every update with the same inputs (its opening time does not move), so the factors
 * of recent tickets are remembered rather than computed again.
 */
export class OnnxMttrPredictor implements MttrPredictor {
  private readonly explanations = new Map<string, Explanation[]>();

  constructor(
    private readonly model: OnnxMttrModel,
    private readonly options: { explainTop: number } = { explainTop: EXPLAIN_TOP }
  ) {}

  async predict(input: MttrInput): Promise<MttrPrediction> {
    const ticket = {
      openedAt: input.openedAtMs,
      eventClass: input.eventClass as EventClass,
      department: input.department,
      priority: input.priority as Priority,
      siteKind: input.siteKind as SiteKind,
      deviceKind: input.deviceKind as DeviceKind,
      fromIncident: input.fromIncident,
    };
    const [p] = await this.model.predict([ticket]);
    return {
      p50Seconds: p.p50Seconds,
      p90Seconds: p.p90Seconds,
      note: p.note,
      modelVersion: `mttr@${p.modelVersion}`,
      explanation: this.explain(ticket).map((factor) => ({ ...factor })),
    };
  }

  private explain(ticket: MttrTicketInput): Explanation[] {
    const key = JSON.stringify(ticket);
    const known = this.explanations.get(key);
    if (known) return known;
    // The P50 is the figure a ticket leads with: its factors explain that one.
    const explanation: Explanation[] = this.model
      .explain(ticket, { quantile: 0.5, top: this.options.explainTop })
      .map(({ feature, weight, value }) => (value === undefined ? { feature, weight } : { feature, weight, value }));
    this.explanations.set(key, explanation);
    // Oldest first in a Map's order: the first key is the one to let go.
    if (this.explanations.size > MTTR_EXPLANATIONS_KEPT) {
      this.explanations.delete(this.explanations.keys().next().value as string);
    }
    return explanation;
  }
}

export interface ServingModels {
  lines?: OnnxLineClassifier;
  router?: OnnxTextRouter;
  mttr?: OnnxMttrPredictor;
}

/** The champions of the registry; a model that is missing leaves its fallback in place (logged). */
export async function loadServingModels(registryDir: string, logger: Logger): Promise<ServingModels> {
  const classifier = async (name: string) => {
    try {
      const stored = await loadModel<RegistryManifest>(registryDir, name, 'champion');
      return await routingClassifierOf(name, stored);
    } catch (error) {
      if (!(error instanceof ModelNotFoundError)) throw error;
      logger.warn(
        { model: name, registryDir },
        'no champion in the registry: using the rules instead; run `nocai setup` or `nocai train` to train it'
      );
      return undefined;
    }
  };
  const [eventClass, eventDecision, ticketClass, department, priority] = await Promise.all(
    [
      SERVED_MODELS.eventClass,
      SERVED_MODELS.eventDecision,
      SERVED_MODELS.ticketClass,
      SERVED_MODELS.department,
      SERVED_MODELS.priority,
    ].map(classifier)
  );
  const mttrVersion = (await readAliases(registryDir, SERVED_MODELS.mttr).catch(() => ({}) as Record<string, string>))
    .champion;
  const mttr = mttrVersion ? await OnnxMttrModel.load(join(registryDir, SERVED_MODELS.mttr, mttrVersion)) : undefined;
  if (!mttr) {
    logger.warn(
      { model: SERVED_MODELS.mttr, registryDir },
      'no champion in the registry: using the median MTTR baseline; run `nocai setup` to train it'
    );
  }
  return {
    lines: eventClass && eventDecision ? new OnnxLineClassifier(ours(eventClass), ours(eventDecision)) : undefined,
    router: ticketClass && department && priority ? new OnnxTextRouter(ticketClass, department, priority) : undefined,
    mttr: mttr ? new OnnxMttrPredictor(mttr) : undefined,
  };
}

/** The line models are ours (imports serve the department slot only): anything else is a configuration error. */
function ours(model: RoutingClassifier): OnnxClassifier {
  if (model instanceof OnnxClassifier) return model;
  throw new Error(`${model.modelVersion} cannot classify syslog lines: only the department slot takes imported models`);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export interface ServingFallbacks {
  lines: LineClassifier;
  router: TextRouter;
  mttr: MttrPredictor;
}

/**
 * The champions the service serves, swappable while it runs: the log stage, the triage and the
 * ticket service hold `lines`, `router` and `mttr`, which always call the current champions (or
 * the fallbacks where a model has none). `reload()` reads the registry's aliases again after a
 * promotion or rollback; a reload that fails leaves the models serving as they were.
 */
export class LiveModels {
  private current: ServingModels = {};

  constructor(
    private readonly registryDir: string | undefined,
    private readonly fallbacks: ServingFallbacks,
    private readonly logger: Logger,
    /** A champion failed on a request and its fallback answered. */
    private readonly onFailure?: (failure: ModelFailure) => void
  ) {}

  readonly lines: LineClassifier = {
    classifyBatch: (inputs) => (this.current.lines ?? this.fallbacks.lines).classifyBatch(inputs),
  };

  // A champion that throws on a request is answered by its fallback (and reported): a complaint, an
  // alert or a correction is not lost to it. The line models are not: a failed batch is retried.
  readonly router: TextRouter = {
    route: (input) => {
      const champion = this.current.router;
      if (!champion) return this.fallbacks.router.route(input);
      return routerFallingBack(champion, this.fallbacks.router, this.onFailure).route(input);
    },
    departments: () => this.current.router?.departments() ?? [],
  };

  readonly mttr: MttrPredictor = {
    predict: (input) => {
      const champion = this.current.mttr;
      if (!champion) return this.fallbacks.mttr.predict(input);
      return mttrFallingBack(champion, this.fallbacks.mttr, this.onFailure).predict(input);
    },
  };

  /** Which champions serve (`event-class@v2+event-decision@v1`…), for logs and tests. */
  get versions(): { lines?: string; router?: string; mttr?: boolean } {
    return {
      lines: this.current.lines?.modelVersion,
      router: this.current.router?.modelVersion,
      mttr: this.current.mttr !== undefined,
    };
  }

  async reload(): Promise<void> {
    if (!this.registryDir) return;
    // Sessions of the models replaced are left to the garbage collector rather than released:
    // a batch may still be running on them, and promotions are rare.
    this.current = await loadServingModels(this.registryDir, this.logger);
    this.logger.info({ models: this.versions }, 'serving models loaded');
  }
}
