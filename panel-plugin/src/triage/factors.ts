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
