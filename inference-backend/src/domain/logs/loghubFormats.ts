import type { TemplateMinerSettings } from './templateMiner';

/**
 * The eight Loghub-2k systems (Loghub, ISSRE 2023) the template miner is benchmarked on,
 * their line layouts, and per-system miner settings tuned the way logparser's
 * Drain benchmark tunes them (masking regexes, similarity threshold, depth), never templates.
 * Those settings are in-sample (each chosen on its own system) and serve `--format` only: the
 * product's defaults and the headline figure come from leave-one-system-out (loghubCv.ts).
 *
 * How the settings were chosen: a sweep of similarity threshold 0.3–0.8 × depth 3–6 per
 * system, then a value in the middle of the widest plateau of best accuracy rather than a
 * lone peak (Hadoop peaks at 0.75 and falls on either side, so it keeps 0.5). No system needs
 * extra masking regexes: the built-in masking covers Drain's (block ids, addresses, `=123`),
 * and Drain's hostname regex made Spark slightly and OpenSSH clearly worse (0.940 vs 0.996).
 */
export const LOGHUB_SYSTEMS = ['HDFS', 'Hadoop', 'Spark', 'Zookeeper', 'HPC', 'Linux', 'OpenSSH', 'Apache'] as const;
export type LoghubSystem = (typeof LOGHUB_SYSTEMS)[number];

export interface LoghubFormat {
  /**
   * logparser's header layout: `<Field>` captures lazily, spaces match any run of
   * whitespace, anything else is a regex fragment (`\[`, `(...)?`).
   */
  logFormat: string;
  miner: Pick<TemplateMinerSettings, 'depth' | 'similarityThreshold' | 'extraMaskRules'>;
  /** Drain's grouping accuracy on this system as published with logparser's benchmark. */
  drainAccuracy: number;
}

export const LOGHUB_FORMATS: Readonly<Record<LoghubSystem, LoghubFormat>> = {
  // Insensitive to both settings once block-id lists collapse to one token.
  HDFS: {
    logFormat: '<Date> <Time> <Pid> <Level> <Component>: <Content>',
    miner: { depth: 4, similarityThreshold: 0.5, extraMaskRules: [] },
    drainAccuracy: 0.9975,
  },
  // Drain's settings; deeper trees route on the host in `Resolved <host> to /default-rack`.
  Hadoop: {
    logFormat: String.raw`<Date> <Time> <Level> \[<Process>\] <Component>: <Content>`,
    miner: { depth: 4, similarityThreshold: 0.5, extraMaskRules: [] },
    drainAccuracy: 0.9475,
  },
  // Flat in the threshold; depth 5 routes on the second word too (`Changing view|modify acls`).
  Spark: {
    logFormat: '<Date> <Time> <Level> <Component>: <Content>',
    miner: { depth: 5, similarityThreshold: 0.5, extraMaskRules: [] },
    drainAccuracy: 0.92,
  },
  // From 0.65 up, `renew session` and `establish new session` stop merging.
  Zookeeper: {
    logFormat: String.raw`<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>`,
    miner: { depth: 4, similarityThreshold: 0.7, extraMaskRules: [] },
    drainAccuracy: 0.9665,
  },
  // Plateau 0.55–0.8: two-word messages (`Link error`, `Link ok`) stay apart.
  HPC: {
    logFormat: '<LogId> <Node> <Component> <State> <Time> <Flag> <Content>',
    miner: { depth: 4, similarityThreshold: 0.65, extraMaskRules: [] },
    drainAccuracy: 0.887,
  },
  // Drain's depth; plateau 0.45–0.7, with a cliff at 0.75 where short messages stop merging.
  Linux: {
    logFormat: String.raw`<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>`,
    miner: { depth: 6, similarityThreshold: 0.5, extraMaskRules: [] },
    drainAccuracy: 0.69,
  },
  // Drain's depth; plateau 0.65–0.8, where `Bye Bye` and `disconnected by user` part ways.
  OpenSSH: {
    logFormat: String.raw`<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>`,
    miner: { depth: 5, similarityThreshold: 0.7, extraMaskRules: [] },
    drainAccuracy: 0.7875,
  },
  // Perfect at every setting swept.
  Apache: {
    logFormat: String.raw`\[<Time>\] \[<Level>\] <Content>`,
    miner: { depth: 4, similarityThreshold: 0.5, extraMaskRules: [] },
    drainAccuracy: 1,
  },
};

/** Drain's published mean over the eight systems. */
export const DRAIN_MEAN_ACCURACY =
  LOGHUB_SYSTEMS.reduce((sum, system) => sum + LOGHUB_FORMATS[system].drainAccuracy, 0) / LOGHUB_SYSTEMS.length;

export type HeaderParser = (line: string) => Record<string, string> | undefined;

/**
 * A parser for `logFormat`, built as logparser builds it so that Content is cut at the same
 * place: the line is trimmed and must match the whole layout.
 */
export function compileLogFormat(logFormat: string): HeaderParser {
  const parts = logFormat.split(/(<[^<>]+>)/);
  const fields: string[] = [];
  let source = '';
  parts.forEach((part, index) => {
    if (index % 2 === 0) source += part.replace(/ +/g, String.raw`\s+`);
    else {
      const name = part.slice(1, -1);
      fields.push(name);
      source += `(?<${name}>.*?)`;
    }
  });
  const regex = new RegExp(`^${source}$`);
  return (line) => {
    const groups = regex.exec(line.trim())?.groups;
    if (groups === undefined) return undefined;
    const result: Record<string, string> = {};
    for (const field of fields) result[field] = groups[field] ?? '';
    return result;
  };
}

/** The Content field of each line, or undefined for lines that do not fit the layout. */
export function extractContents(lines: readonly string[], logFormat: string): Array<string | undefined> {
  const parse = compileLogFormat(logFormat);
  return lines.map((line) => parse(line)?.Content);
}
