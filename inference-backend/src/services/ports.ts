import type { EventClass, Explanation, Priority } from '@nocai/contract';

/** Routing of a free text (a complaint, an alert's summary) by the text models. */
export interface TextRouting {
  eventClass: EventClass;
  /** One of the six departments, or one of an organisation's own a department model trained on its history routes to. */
  department: string;
  priority: Priority;
  /** How sure the routing is, in [0, 1]: the department model's (the models), the class's (the rules). */
  confidence: number;
  /**
   * How sure the class model is, when `confidence` is the department model's (the models): what decides review of
   * a ticket whose department the configuration set. Absent when `confidence` is the class's (the rules).
   */
  classConfidence?: number;
  /** Why the department is what it is, strongest first (the department model's words); the class's, for the rules. */
  explanation: Explanation[];
  /**
   * Why the class is what it is, when `explanation` explains the department instead (the models): what a ticket
   * whose department the configuration set is explained by. Absent when `explanation` is the class's (the rules,
   * whose department follows their class).
   */
  classExplanation?: Explanation[];
  modelVersion: string;
}

export interface TextRouterInput {
  text: string;
  site?: string;
  siteKind?: string;
  deviceKind?: string;
  criticality?: number;
  severity?: string;
}

export interface TextRouter {
  route(input: TextRouterInput): Promise<TextRouting>;
  /**
   * The departments it can route to besides the six, when it knows them (a department model's labels): an
   * operator may correct a ticket to one before any ticket carries it. The rules route to the six only.
   */
  departments?(): readonly string[];
}

export interface MttrInput {
  eventClass: string;
  department: string;
  priority: string;
  siteKind: string;
  deviceKind: string;
  openedAtMs: number;
  /** Opened for a detected incident (its end decides the resolution) rather than reported by hand. */
  fromIncident: boolean;
}

export interface MttrPrediction {
  p50Seconds: number;
  p90Seconds: number;
  /** Why P50 and P90 are not two independent estimates, when they are not (equal, or one derived). */
  note?: string;
  modelVersion: string;
  /** The inputs that moved the P50 most (exact TreeSHAP, natural-log seconds); baselines give none. */
  explanation?: Explanation[];
}

export interface MttrPredictor {
  predict(input: MttrInput): Promise<MttrPrediction>;
}
