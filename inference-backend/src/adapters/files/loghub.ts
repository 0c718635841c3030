import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { plural } from '@nocai/contract';
import { mineLoghubRawLines, scoreLoghubSystem } from '../../domain/logs/loghubBenchmark';
import type { LoghubScore } from '../../domain/logs/loghubBenchmark';
import type { LabelledLog } from '../../domain/logs/loghubCv';
import { LOGHUB_SYSTEMS } from '../../domain/logs/loghubFormats';
import type { LoghubSystem } from '../../domain/logs/loghubFormats';
import type { TemplateMinerSettings } from '../../domain/logs/templateMiner';
import { parseCsv, parseCsvRecords, printable } from './csv';

// Re-exported for callers that still import it from here; csv.ts is its home.
export { parseCsv };

/**
 * Reads the Loghub-2k files laid out as Loghub ships them:
 * `<datasetsDir>/loghub/<System>/<System>_2k.log` and its `_structured_corrected.csv`.
 */
export interface LoghubDataset {
  system: LoghubSystem;
  rawLines: string[];
  /**
   * Ground-truth EventId per line, in line order: what logparser's evaluator compares. It
   * differs from EventTemplate only in Linux, where `user=root`, `user=guest` and `user=test`
   * authentication failures are three events (E18, E17, E19) sharing one template.
   */
  eventIds: string[];
  /** The Content column: each line as logparser cut it, without its header. */
  contents: string[];
}

function systemDir(datasetsDir: string, system: LoghubSystem): string {
  return path.join(datasetsDir, 'loghub', system);
}

function readLogLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function loadLoghubDataset(datasetsDir: string, system: LoghubSystem): LoghubDataset {
  const dir = systemDir(datasetsDir, system);
  const rawLines = readLogLines(path.join(dir, `${system}_2k.log`));
  const [headerRecord, ...rows] = parseCsvRecords(
    readFileSync(path.join(dir, `${system}_2k.log_structured_corrected.csv`), 'utf8')
  );
  const header = headerRecord?.fields ?? [];
  const lineIdColumn = header.indexOf('LineId');
  const eventIdColumn = header.indexOf('EventId');
  const contentColumn = header.indexOf('Content');
  if (lineIdColumn < 0 || eventIdColumn < 0 || contentColumn < 0) {
    throw new Error(`${system}: structured CSV lacks LineId, EventId or Content`);
  }

  const eventIds = new Array<string>(rawLines.length);
  const contents = new Array<string>(rawLines.length);
  for (const { line, fields: row } of rows) {
    // A short or long row would shift the columns: the ground truth would be wrong without a word.
    if (row.length !== header.length) {
      throw new Error(
        `${system}: structured CSV line ${line} has ${plural(row.length, 'cell')} but the header has ${header.length}`
      );
    }
    const lineId = Number(row[lineIdColumn]);
    if (!Number.isInteger(lineId) || lineId < 1 || lineId > rawLines.length) {
      throw new Error(
        `${system}: structured CSV refers to line "${printable(row[lineIdColumn])}" of ${rawLines.length}`
      );
    }
    eventIds[lineId - 1] = row[eventIdColumn];
    contents[lineId - 1] = row[contentColumn];
  }
  for (let i = 0; i < eventIds.length; i++) {
    if (eventIds[i] === undefined) throw new Error(`${system}: line ${i + 1} has no ground truth`);
  }
  return { system, rawLines, eventIds, contents };
}

export interface LoghubEvaluationOptions {
  systems?: readonly LoghubSystem[];
  /**
   * true (the default): each system's layout cuts the headers and its tuned settings mine, as
   * `--format` does. false: raw lines, header detection and the miner's defaults.
   */
  format?: boolean;
  /** Miner settings instead of the per-system ones (`format`) or the defaults (no `format`). */
  settings?: Partial<TemplateMinerSettings>;
}

/** Our grouping accuracy next to Drain's, per system, in LOGHUB_SYSTEMS order. */
export function evaluateLoghub(datasetsDir: string, options: LoghubEvaluationOptions = {}): LoghubScore[] {
  const { systems = LOGHUB_SYSTEMS, format = true, settings } = options;
  return systems.map((system) => {
    const { rawLines, eventIds } = loadLoghubDataset(datasetsDir, system);
    return scoreLoghubSystem(system, rawLines, eventIds, { format, settings });
  });
}

/** The systems as labelled raw logs, for leave-one-system-out cross-validation (loghubCv.ts). */
export function loadLoghubLogs(datasetsDir: string, systems: readonly LoghubSystem[] = LOGHUB_SYSTEMS): LabelledLog[] {
  return systems.map((system) => {
    const { rawLines, eventIds } = loadLoghubDataset(datasetsDir, system);
    return { name: system, lines: rawLines, truth: eventIds };
  });
}

export interface ThroughputResult {
  lines: number;
  seconds: number;
  linesPerSecond: number;
  /**
   * Per second of CPU time this process used meanwhile: the single-core rate even when other
   * processes share the machine (garbage-collector threads count too, so it errs low).
   */
  linesPerCpuSecond: number;
}

/**
 * Lines per second of header detection, masking and mining with the defaults (no `--format`),
 * over all systems' raw lines `repetitions` times on the calling thread. A first untimed pass
 * lets the JIT settle.
 */
export function measureLoghubThroughput(
  datasetsDir: string,
  repetitions = 10,
  systems: readonly LoghubSystem[] = LOGHUB_SYSTEMS
): ThroughputResult {
  const datasets = systems.map((system) => ({
    rawLines: readLogLines(path.join(systemDir(datasetsDir, system), `${system}_2k.log`)),
  }));
  mineLoghubRawLines(datasets, 1);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const lines = mineLoghubRawLines(datasets, repetitions);
  const cpu = process.cpuUsage(cpuStart);
  const seconds = (performance.now() - start) / 1000;
  return {
    lines,
    seconds,
    linesPerSecond: lines / seconds,
    linesPerCpuSecond: lines / ((cpu.user + cpu.system) / 1e6),
  };
}
