/**
 * Filter values the backend knows, offered as suggestions in the query editor (custom values and template
 * variables stay allowed). Mirrors contract/src/vocabulary.ts: the plugins do not depend on the contract
 * package, so keep the two in step.
 */
export const EVENT_CLASSES = [
  'power',
  'network',
  'hardware',
  'software',
  'security',
  'environment',
  'informational',
] as const;

export const DECISIONS = ['alert', 'noise', 'false_alarm', 'needs_review'] as const;
