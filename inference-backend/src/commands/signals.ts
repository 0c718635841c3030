/**
 * The signals that ask a command to stop: Ctrl-C (SIGINT), `kill` and service managers (SIGTERM),
 * and a closed terminal (SIGHUP). Each reaches the whole foreground process group.
 */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * First shutdown signal: run the graceful stop (finish the batch, flush) and exit with the code
 * it resolves to (0 when it resolves nothing, 1 when it rejects). A second signal exits at once
 * (130), for an operator who does not want to wait.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<number | void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`nocai: ${signal} again, exiting without waiting\n`);
      process.exit(130);
    }
    stopping = true;
    // After SIGHUP the terminal is gone: a failed write to it must not end the process before its
    // batch is flushed.
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
    stop(signal).then(
      (code) => process.exit(code ?? 0),
      (error: unknown) => {
        process.stderr.write(
          `nocai: error while stopping: ${error instanceof Error ? error.message : String(error)}\n`
        );
        process.exit(1);
      }
    );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, handler);
}
