import type { Explanation } from '@nocai/contract';

/** One input of a tabular model's explanation as the expanded row lists it. */
export interface FactorLine {
  name: string;
  /** The input's value in the explained row, e.g. `−14.2`; absent when the explanation gives none. */
  value?: string;
  /** Its exact SHAP contribution to the model's raw score (log-odds for problems), signed: `+0.412`. */
  contribution: string;
  /** Whether it pushed the prediction up (towards the alert) or down. */
  direction: 'up' | 'down';
}

/**
 * The top factors of a tabular explanation (predicted problems, failures, MTTR: issue 12), strongest first as
 * the backend ranks them. Only explanations whose inputs carry a value are tabular; a text model's tokens have
 * none and keep their own display, so this answers an empty list for them.
 */
export function topFactors(explanation: readonly Explanation[], max: number): FactorLine[] {
  if (!explanation.some((item) => typeof item.value === 'number')) {
    return [];
  }
  return explanation.slice(0, max).map((item) => ({
    name: item.feature,
    ...(typeof item.value === 'number' && Number.isFinite(item.value) ? { value: formatValue(item.value) } : {}),
    contribution: formatContribution(item.weight),
    direction: item.weight < 0 ? 'down' : 'up',
  }));
}

/** At most three decimals, trailing zeros dropped; a true minus sign, as in the recommendation text. */
export function formatValue(value: number): string {
  const text = String(Number(value.toFixed(3)));
  return text.startsWith('-') ? `−${text.slice(1)}` : text;
}

/** Always signed, three decimals: contributions are compared with each other, so they line up. */
export function formatContribution(weight: number): string {
  const text = Math.abs(weight).toFixed(3);
  return weight < 0 && text !== '0.000' ? `−${text}` : `+${text}`;
}

/** One input of the time-to-resolve model's explanation, as a factor on the predicted time. */
export interface MttrFactorLine {
  name: string;
  /** The input's value for numeric inputs (the hour of day, a flag); categories carry theirs in the name. */
  value?: string;
  /** `×1.8`: the predicted time is 1.8 times what it would be without this input's effect. */
  multiplier: string;
  /** The exact TreeSHAP contribution it stands for, for the tooltip. */
  title: string;
  /** Whether it makes the ticket take longer or shorter. */
  direction: 'longer' | 'shorter';
}

/**
 * The MTTR model's factors (issue 12), strongest first: its trees add up natural-log seconds, so a
 * contribution `w` multiplies the predicted time by `exp(w)`, which reads better than `+0.588`.
 */
export function mttrFactorLines(factors: readonly Explanation[], max: number): MttrFactorLine[] {
  return [...factors]
    .filter((factor) => Number.isFinite(factor.weight))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, max)
    .map((factor) => ({
      name: factor.feature,
      ...(typeof factor.value === 'number' && Number.isFinite(factor.value)
        ? { value: formatValue(factor.value) }
        : {}),
      multiplier: formatMultiplier(factor.weight),
      title: `exact contribution ${formatContribution(factor.weight)} to the predicted time's natural log (seconds)`,
      direction: factor.weight < 0 ? 'shorter' : 'longer',
    }));
}

/**
 * `exp(weight)` as `×1.8` or `×0.6`: one decimal, two when one would read as no effect at all (`×1.04`),
 * whole numbers from ten up, one significant digit under a tenth (`×0.04`).
 */
export function formatMultiplier(weight: number): string {
  const factor = Math.exp(weight);
  if (factor >= 10) {
    return `×${Math.round(factor)}`;
  }
  if (factor < 0.1) {
    return `×${factor.toPrecision(1)}`;
  }
  const oneDecimal = factor.toFixed(1);
  return `×${oneDecimal === '1.0' && weight !== 0 ? factor.toFixed(2) : oneDecimal}`;
}
