import type { TicketHistoryRow } from '@nocai/contract';
import { departmentFor, priorityFor, reportedUrgencyOf, UNKNOWN_SITE_CRITICALITY } from '../domain/incidents/policy';
import { maskMessage } from '../domain/logs/masking';
import { classifyByRules, type RuleClassification } from '../domain/triage/ruleClassifier';
import { mttrSecondsOf } from '../adapters/files/ticketHistory';
import { isResolvedByPeople } from '../domain/mlops/mttr';
import type { LineClassifier } from '../pipeline/logStage';
import type { MttrInput, MttrPrediction, MttrPredictor, TextRouter, TextRouterInput, TextRouting } from './ports';

/**
 * The rule classifier as a batch line classifier (the log stage's interface). The rules read the
 * masked message, the severity, the appname and the device kind, nothing else: a page repeats its
 * lines but for what masking replaces, so each distinct combination is classified once and its
 * lines share the verdict's explanation, as the ONNX line classifier's do (issue 13: running
 * every rule's pattern over every line was a tenth of the pipeline's CPU).
 */
export const ruleLineClassifier: LineClassifier = {
  classifyBatch: async (inputs) => {
    // By masked text, then compared field by field: no key string to build per line.
    const known = new Map<string, RuleLineVerdict[]>();
    return inputs.map((input) => {
      const maskedMessage = input.maskedMessage ?? maskMessage(input.message);
      let candidates = known.get(maskedMessage);
      if (candidates === undefined) known.set(maskedMessage, (candidates = []));
      let v = candidates.find(
        (c) => c.severity === input.severity && c.appname === input.appname && c.deviceKind === input.deviceKind
      );
      if (v === undefined) {
        const classified = classifyByRules({ ...input, maskedMessage });
        const explanation = classified.topTokens.map((feature, i) => ({ feature, weight: 1 / (i + 1) }));
        v = { severity: input.severity, appname: input.appname, deviceKind: input.deviceKind, classified, explanation };
        candidates.push(v);
      }
      const { eventClass, decision, confidence, modelVersion, topTokens } = v.classified;
      return { eventClass, decision, confidence, modelVersion, topTokens, explanation: v.explanation };
    });
  },
};

/** A verdict of the rules and what they read of its line besides the masked text. */
interface RuleLineVerdict {
  severity: string;
  appname: string;
  deviceKind: string | undefined;
  classified: RuleClassification;
  explanation: Array<{ feature: string; weight: number }>;
}

/**
 * Fallbacks used until trained models are in the registry: rule-based routing and the
 * "median MTTR per class and department" baseline the MTTR model is measured against.
 */

/**
 * Complaints and alert texts routed by the rules: their class from the words (and the device's kind), their
 * department and priority by the incident policy, as an incident of that class on that device at that site would
 * be routed: a clicking disk in a server goes to the field technicians whether syslog or a person reports it. The
 * ticket service applies NOCAI_POWER_DEPARTMENT_BY_SITE_KIND afterwards, to this router's answer as to the models'.
 */
export class RuleTextRouter implements TextRouter {
  async route(input: TextRouterInput): Promise<TextRouting> {
    const verdict = classifyByRules({
      message: input.text,
      template: input.text,
      severity: input.severity ?? 'err',
      appname: '',
      deviceKind: input.deviceKind,
    });
    const deviceKind = input.deviceKind ?? '';
    const urgency = reportedUrgencyOf(verdict.eventClass, deviceKind);
    return {
      eventClass: verdict.eventClass,
      department: departmentFor(verdict.eventClass, deviceKind, input.siteKind ?? ''),
      priority: priorityFor(urgency, input.criticality ?? UNKNOWN_SITE_CRITICALITY),
      confidence: verdict.confidence,
      explanation: verdict.topTokens.map((feature, i) => ({ feature, weight: 1 / (i + 1) })),
      modelVersion: verdict.modelVersion,
    };
  }
}

/** Fewer past tickets than this in a (class, department) and its quantiles are noise: all tickets' are used. */
const MIN_GROUP_TICKETS = 5;
const NO_HISTORY = { p50: 3600, p90: 4 * 3600 };

export class MedianMttrBaseline implements MttrPredictor {
  private readonly byKey = new Map<string, { p50: number; p90: number }>();
  private readonly overall: { p50: number; p90: number };
  private readonly hasHistory: boolean;

  constructor(history: readonly TicketHistoryRow[]) {
    const groups = new Map<string, number[]>();
    const all: number[] = [];
    // A ticket the backend closed after quiet time was not resolved by anyone: no time to resolve.
    for (const row of history.filter(isResolvedByPeople)) {
      const seconds = mttrSecondsOf(row);
      all.push(seconds);
      const key = `${row.class}|${row.department}`;
      const list = groups.get(key) ?? [];
      list.push(seconds);
      groups.set(key, list);
    }
    for (const [key, values] of groups) {
      if (values.length >= MIN_GROUP_TICKETS)
        this.byKey.set(key, { p50: quantile(values, 0.5), p90: quantile(values, 0.9) });
    }
    this.hasHistory = all.length > 0;
    this.overall = this.hasHistory ? { p50: quantile(all, 0.5), p90: quantile(all, 0.9) } : NO_HISTORY;
  }

  async predict(input: MttrInput): Promise<MttrPrediction> {
    const group = this.byKey.get(`${input.eventClass}|${input.department}`);
    const q = group && group.p90 > group.p50 ? group : this.overall;
    const note = !this.hasHistory
      ? 'no ticket history: a default estimate (set NOCAI_TICKET_HISTORY)'
      : q.p90 <= q.p50
        ? 'every past ticket took about as long: P50 and P90 are the same'
        : undefined;
    return { p50Seconds: q.p50, p90Seconds: q.p90, modelVersion: 'mttr-median-baseline', ...(note ? { note } : {}) };
  }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
