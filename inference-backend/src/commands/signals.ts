/**
 * First SIGINT/SIGTERM: run the graceful stop (finish the batch, flush) and exit 0.
 * A second one exits at once, for an operator who does not want to wait.
 */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`nocai: ${signal} again, exiting without waiting\n`);
      process.exit(130);
    }
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`nocai: error while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      }
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
