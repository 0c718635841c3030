import { createReadStream } from 'node:fs';

export interface TrailLine {
  text: string;
  /** 1-based line number in the file. */
  number: number;
  /** False for a last line without its newline: a write that did not finish. */
  terminated: boolean;
}

const NEWLINE = 0x0a;

/**
 * The lines of a file, streamed (a trail grows without bound), each with whether its newline was
 * written. readline hides that difference, and a torn last record is exactly what must be seen.
 */
export async function* readTrailLines(file: string): AsyncGenerator<TrailLine> {
  let carry: Buffer[] = [];
  let number = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
      carry.push(chunk.subarray(start, i));
      number += 1;
      yield { text: Buffer.concat(carry).toString('utf8'), number, terminated: true };
      carry = [];
      start = i + 1;
    }
    if (start < chunk.length) carry.push(chunk.subarray(start));
  }
  if (carry.length > 0) yield { text: Buffer.concat(carry).toString('utf8'), number: number + 1, terminated: false };
}
