import type { MttrPredictor, TextRouter } from './ports';

/** A serving model that failed on a request, and why: the fallback answered instead. */
export interface ModelFailure {
  model: 'mttr' | 'router';
  reason: string;
}

/**
 * The time-to-resolve model, answered by `fallback` (the median of past tickets) whenever it throws,
 * with a note on the estimate saying so: a complaint, a Grafana alert or a correction is never lost
 * to a model that fails, and `onFailure` reports each failure (logged and counted by the service).
 */
export function mttrFallingBack(
  model: MttrPredictor,
  fallback: MttrPredictor,
  onFailure?: (failure: ModelFailure) => void
): MttrPredictor {
  return {
    predict: async (input) => {
      try {
        return await model.predict(input);
      } catch (error) {
        onFailure?.({ model: 'mttr', reason: reasonOf(error) });
        const estimate = await fallback.predict(input);
        return { ...estimate, note: MTTR_FALLBACK_NOTE };
      }
    },
  };
}

/** Said on an estimate the fallback made because the time-to-resolve model failed. */
export const MTTR_FALLBACK_NOTE = 'the time-to-resolve model failed: this is the median of past tickets';

/**
 * The routing models (class, department, priority of typed text), answered by `fallback` (the
 * rules, named in the ticket's modelVersion) whenever they throw; `onFailure` reports each failure.
 * A text without a letter or digit (a Grafana alert with no labels or annotations) goes to the rules
 * too: the models, each trained on its own, would answer their priors, a class and a department of
 * two different tickets (a network fault for the field technicians); the rules route on the place
 * alone, their department and priority following their class as the incident policy has them.
 */
export function routerFallingBack(
  router: TextRouter,
  fallback: TextRouter,
  onFailure?: (failure: ModelFailure) => void
): TextRouter {
  return {
    route: async (input) => {
      if (!/[\p{L}\p{N}]/u.test(input.text)) return fallback.route(input);
      try {
        return await router.route(input);
      } catch (error) {
        onFailure?.({ model: 'router', reason: reasonOf(error) });
        return fallback.route(input);
      }
    },
  };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
