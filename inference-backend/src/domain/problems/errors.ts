/**
 * A problem that cannot be trained as defined (too few events, a pattern that matches no series):
 * one sentence, and the definition's field it is about, so the API and the CLI can name it.
 */
export class ProblemDataError extends Error {
  constructor(
    message: string,
    /** The definition's field the refusal is about (`training`, `event.field`, `variables.include.0`). */
    readonly field: string
  ) {
    super(message);
    this.name = 'ProblemDataError';
  }
}

/** A definition the schema refuses (or a YAML file that does not parse): the message names the field. */
export class ProblemDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProblemDefinitionError';
  }
}

export class ProblemNotFoundError extends Error {
  constructor(readonly problem: string) {
    super(`no problem named ${problem}`);
    this.name = 'ProblemNotFoundError';
  }
}

/** Creating a problem that exists, or a request that contradicts the stored state. */
export class ProblemConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProblemConflictError';
  }
}
