/**
 * What can go wrong in the registry, by what the caller should do about it. The HTTP routes and the
 * CLI map these to a status and an exit code; none of them knows about either.
 */

/** No such model, version or alias: the caller named something that is not there. */
export class ModelNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelNotFoundError';
  }
}

/** A stored model whose file cannot be used as it is; the message names the file and what is wrong. */
export class DamagedModelError extends Error {
  constructor(
    readonly file: string,
    problem: string
  ) {
    super(`${file} ${problem}`);
    this.name = 'DamagedModelError';
  }
}

/**
 * The change is not possible in the registry's current state: the champion moved since the caller
 * looked, another writer holds the model, the version is archived, there is no earlier champion.
 * Nothing was changed; the message says why in one sentence.
 */
export class RegistryConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryConflictError';
  }
}

/** A model or version name that could not be a folder of the registry (it could climb out of it). */
export class InvalidModelNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidModelNameError';
  }
}

/** `text` of `file` as a JSON object; anything else is a `DamagedModelError` naming the file. */
export function parseJsonObject(file: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DamagedModelError(file, 'is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DamagedModelError(file, 'is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}
