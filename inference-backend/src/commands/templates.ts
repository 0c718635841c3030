import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { DEFAULT_MAX_INPUT_MB, InputFileError, readInputText, toCsvRow } from '../adapters/files/csv';
import { splitLogHeader } from '../domain/logs/logHeader';
import { extractContents, LOGHUB_FORMATS, LOGHUB_SYSTEMS } from '../domain/logs/loghubFormats';
import type { LoghubSystem } from '../domain/logs/loghubFormats';
import { TemplateMiner } from '../domain/logs/templateMiner';
import { inputErrorMessage, positiveInteger } from './commandInput';
import type { CommandIo } from './commandInput';

export interface TemplatesFlags {
  input: string;
  format?: LoghubSystem;
  /** Largest log file read, in MB; DEFAULT_MAX_INPUT_MB when absent. */
  maxInputMb?: number;
}

/**
 * `line,template_id,template` per input line, in order (line numbers from 1). Each line gets
 * its final template, after every line was seen, so lines of one id show one template.
 * Without `format`, headers (timestamps, levels, hosts, process ids, thread names) are found
 * line by line and the message after them is mined with the miner's defaults.
 */
export function mineTemplatesCsv(lines: readonly string[], format?: LoghubSystem): string {
  const messages = format
    ? extractContents(lines, LOGHUB_FORMATS[format].logFormat).map((content, i) => content ?? lines[i])
    : lines.map((line) => splitLogHeader(line).message);
  const mined = new TemplateMiner(format ? LOGHUB_FORMATS[format].miner : {}).addAll(messages);
  const out = [toCsvRow(['line', 'template_id', 'template'])];
  mined.forEach((m, i) => out.push(toCsvRow([i + 1, m.templateId, m.template])));
  return `${out.join('\n')}\n`;
}

export async function runTemplates(flags: TemplatesFlags, io: CommandIo): Promise<number> {
  let text: string;
  try {
    text = await readInputText(flags.input, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    io.stderr(`nocai templates: ${inputErrorMessage(error)}\n`);
    return 2;
  }
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  io.stdout(mineTemplatesCsv(lines, flags.format));
  return 0;
}

function loghubSystem(value: string): LoghubSystem {
  const system = LOGHUB_SYSTEMS.find((s) => s.toLowerCase() === value.toLowerCase());
  if (!system) throw new InvalidArgumentError(`--format must be one of ${LOGHUB_SYSTEMS.join(', ')}.`);
  return system;
}

export function registerTemplates(program: Command): void {
  program
    .command('templates')
    .requiredOption('--input <file>', 'log file, one message per line')
    .addOption(
      new Option('--format <system>', `strip the headers of a Loghub system (${LOGHUB_SYSTEMS.join(', ')})`).argParser(
        loghubSystem
      )
    )
    .addOption(
      new Option('--max-input-mb <n>', 'refuse log files larger than this many MB (10^6 bytes)')
        .default(DEFAULT_MAX_INPUT_MB)
        .argParser(positiveInteger('--max-input-mb'))
    )
    .addHelpText(
      'after',
      '\nWithout --format, timestamps, levels, hosts, process ids and thread names in front of each message are\n' +
        'detected and left out of the templates.\n\nExamples:\n  nocai templates --input app.log > templates.csv\n' +
        '  nocai templates --input HDFS_2k.log --format HDFS > templates.csv'
    )
    .action(async (_options: unknown, command: Command) => {
      process.exitCode = await runTemplates(command.opts<TemplatesFlags>(), {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
    });
}
