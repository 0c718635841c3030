/**
 * Filter values the backend knows, offered as suggestions in the query editor and as template variable
 * values. The closed vocabularies come from the contract's zod-free modules, so the bundle gets a few arrays
 * and not the schema library that `@nocai/contract`'s index pulls in.
 */
export { DECISIONS, DEPARTMENTS, EVENT_CLASSES, PRIORITIES } from '@nocai/contract/dist/vocabulary';
export { FEEDBACK_VERDICTS, TICKET_STATUSES } from '@nocai/contract/dist/ticketWorkflow';
