/**
 * Filter values the backend knows, offered as suggestions in the query editor and as template variable
 * values. The closed vocabularies come from the contract's zod-free module, so the bundle gets a few arrays
 * and not the schema library that `@nocai/contract`'s index pulls in.
 */
export { DECISIONS, DEPARTMENTS, EVENT_CLASSES, PRIORITIES } from '@nocai/contract/dist/vocabulary';

/**
 * Copies of `TICKET_STATUSES` and `FEEDBACK_VERDICTS` from contract/src/tickets.ts: that module also declares
 * the zod request schemas, so importing it at runtime would bundle zod into the plugin. vocabulary.test.ts
 * fails when the copies drift from the contract.
 */
export const TICKET_STATUSES = ['open', 'needs_review', 'resolved'] as const;
export const FEEDBACK_VERDICTS = ['valid', 'invalid', 'avoided'] as const;
