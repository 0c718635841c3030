import type { EventClass } from '@nocai/contract';

/**
 * The few message shapes the incident policy needs beyond the classifier's class: a classifier
 * says "power" for both "input voltage lost" and "input voltage restored", so whether a line
 * opens or closes a transient fault is read here. All lists live in this one file.
 */

/**
 * Power-loss and link-down lines: transient until proven otherwise (they are held for the
 * false-alarm window and dismissed if the same host recovers in time).
 */
export const TRANSIENT_DOWN_PATTERNS: readonly RegExp[] = [
  /\b(?:input )?voltage (?:lost|drop\w*)\b/i,
  /\bpower (?:lost|loss|failure|fail|cut|outage)\b/i,
  /\btransferred to battery\b|\bon (?:internal )?battery\b/i,
  /\bchanged state to down\b/i,
  /\blink (?:is )?down\b/i,
];

/**
 * Recovery lines of the same host, whatever their class or decision (the classifier files most
 * of them as routine noise): "voltage restored", "returned from battery", "changed state to up".
 */
export const RECOVERY_PATTERNS: readonly RegExp[] = [
  /\b(?:input )?(?:voltage|power) (?:restored|normal|returned)\b/i,
  /\breturned from battery\b|\bon line power\b/i,
  /\bchanged state to up\b/i,
  /\blink (?:is )?up\b/i,
  /\bback online\b|\brecovered\b|\breturned to normal\b/i,
];

/** Credential failures that only matter in numbers (one source trying many passwords). */
export const LOGIN_FAILURE_PATTERNS: readonly RegExp[] = [
  /\bfailed password\b/i,
  /\binvalid user\b/i,
  /\blogin (?:failed|failure)\b|LOGIN_FAILED/i,
  /\bmaximum authentication attempts\b/i,
  /\bauthentication fail(?:ure|ed)\b/i,
  // A patient monitor's service menu refusing a wrong PIN: someone guessing, one try is noise.
  /\binvalid (?:service )?PIN\b/i,
];

/** A login that worked from a source that was just failing: the brute force may have succeeded. */
export const LOGIN_SUCCESS_PATTERNS: readonly RegExp[] = [
  /\baccepted (?:password|keyboard-interactive)\b/i,
  /LOGIN_SUCCESS/,
];

const SOURCE_PATTERN = /\b(?:from|Source:)\s+(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]{3,39})\b/i;

const matchesAny = (patterns: readonly RegExp[], message: string): boolean => patterns.some((p) => p.test(message));

export function isTransientDown(eventClass: EventClass, message: string): boolean {
  return (eventClass === 'power' || eventClass === 'network') && matchesAny(TRANSIENT_DOWN_PATTERNS, message);
}

export function isRecovery(message: string): boolean {
  return matchesAny(RECOVERY_PATTERNS, message);
}

export function isLoginFailure(eventClass: EventClass, message: string): boolean {
  return eventClass === 'security' && matchesAny(LOGIN_FAILURE_PATTERNS, message);
}

export function isLoginSuccess(message: string): boolean {
  return matchesAny(LOGIN_SUCCESS_PATTERNS, message);
}

/** The address a login came from, or `unknown`. */
export function loginSource(message: string): string {
  return SOURCE_PATTERN.exec(message)?.[1] ?? 'unknown';
}
