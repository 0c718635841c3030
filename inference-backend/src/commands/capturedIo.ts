import type { CommandIo } from './commandInput';

/**
 * Test helper: a command's standard output and error, kept as text (`out`, `err`) for the tests of
 * the commands to read what a person would see.
 */
export function captureIo(): CommandIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}
