import { join } from 'node:path';
import type { Department, EventClass, Priority } from '@nocai/contract';
import { OnnxClassifier, type ClassifierPrediction } from '../adapters/onnx/onnxClassifier';
import { OnnxMttrModel } from '../adapters/onnx/mttrModel';
import { loadModel, ModelNotFoundError, readAliases } from '../adapters/registry/modelRegistry';
import type { Logger } from '../adapters/logger';
import type { DeviceKind, SiteKind } from '@nocai/contract';
import type { LineClassification, LineClassifier, LineInput } from '../pipeline/logStage';
import type { MttrInput, MttrPrediction, MttrPredictor, TextRouter, TextRouterInput, TextRouting } from './ports';

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
  constructor(
    private readonly eventClass: OnnxClassifier,
    private readonly decision: OnnxClassifier
  ) {}

  async classifyBatch(inputs: readonly LineInput[]): Promise<LineClassification[]> {
    const records = inputs.map((i) => ({
      message: i.message,
      appname: i.appname,
      severity: i.severity,
      device_kind: i.deviceKind ?? '',
      site_kind: i.siteKind ?? '',
    }));
    const classInputs = records.map((r) => this.eventClass.inputOf(r));
    const [classes, decisions] = await Promise.all([
      this.eventClass.predict(classInputs),
      this.decision.predict(records.map((r) => this.decision.inputOf(r))),
    ]);
    return classes.map((c, i) => {
      const alert = decisions[i].label !== 'noise';
      return {
        eventClass: c.label as EventClass,
        decision: alert ? 'alert' : 'noise',
        // The routing of an alert rests on its class; the decision's own certainty bounds it.
        confidence: round3(Math.min(c.confidence, decisions[i].confidence)),
        modelVersion: `${this.eventClass.modelVersion}+${this.decision.modelVersion}`,
        // Explanations cost a pass over the weights: only alerts, which may become tickets, get one.
        explanation: alert ? this.eventClass.explain(classInputs[i], { label: c.label, top: EXPLAIN_TOP }) : undefined,
      };
    });
  }
}

/** Complaints and alert texts routed by the ticket-class, department and priority champions. */
export class OnnxTextRouter implements TextRouter {
  constructor(
    private readonly ticketClass: OnnxClassifier,
    private readonly department: OnnxClassifier,
    private readonly priority: OnnxClassifier
  ) {}

  async route(input: TextRouterInput): Promise<TextRouting> {
    const record = {
      title: input.text,
      description: input.text,
      site_kind: input.siteKind ?? '',
      device_kind: input.deviceKind ?? '',
      site: input.site ?? '',
    };
    const one = async (model: OnnxClassifier): Promise<[ClassifierPrediction, ReturnType<OnnxClassifier['inputOf']>]> => {
      const features = model.inputOf({ ...record, class: '' });
      return [(await model.predict([features]))[0], features];
    };
    const [[cls], [dept, deptInput], [prio]] = await Promise.all([
      one(this.ticketClass),
      one(this.department),
      one(this.priority),
    ]);
    return {
      eventClass: cls.label as EventClass,
      department: dept.label as Department,
      priority: prio.label as Priority,
      // Routing is the decision a wrong guess costs most: its confidence decides review.
      confidence: round3(dept.confidence),
      explanation: this.department.explain(deptInput, { label: dept.label, top: EXPLAIN_TOP }),
      modelVersion: [this.ticketClass, this.department, this.priority].map((m) => m.modelVersion).join('+'),
    };
  }
}

export class OnnxMttrPredictor implements MttrPredictor {
  constructor(private readonly model: OnnxMttrModel) {}

  async predict(input: MttrInput): Promise<MttrPrediction> {
    const [p] = await this.model.predict([
      {
        openedAt: input.openedAtMs,
        eventClass: input.eventClass as EventClass,
        department: input.department as Department,
        priority: input.priority as Priority,
        siteKind: input.siteKind as SiteKind,
        deviceKind: input.deviceKind as DeviceKind,
        fromIncident: input.fromIncident,
      },
    ]);
    return { p50Seconds: p.p50Seconds, p90Seconds: p.p90Seconds, note: p.note, modelVersion: `mttr@${p.modelVersion}` };
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
      const stored = await loadModel(registryDir, name, 'champion');
      return await OnnxClassifier.load(stored.onnx, stored.manifest);
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
    [SERVED_MODELS.eventClass, SERVED_MODELS.eventDecision, SERVED_MODELS.ticketClass, SERVED_MODELS.department, SERVED_MODELS.priority].map(
      classifier
    )
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
    lines: eventClass && eventDecision ? new OnnxLineClassifier(eventClass, eventDecision) : undefined,
    router: ticketClass && department && priority ? new OnnxTextRouter(ticketClass, department, priority) : undefined,
    mttr: mttr ? new OnnxMttrPredictor(mttr) : undefined,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
