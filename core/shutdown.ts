/**
 * SIGTERM/SIGINT handling for every process: run the close steps in order, and if they take
 * longer than the platform's grace period allows, exit anyway (jobs still running are retried
 * by another worker: nothing is lost, see worker/runtime.ts).
 */
import type { Logger } from './logger.ts';

export function onShutdown(log: Logger, graceSeconds: number, close: (graceMs: number) => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, graceSeconds }, 'shutting down: finishing running jobs');
    // Leave a little of the grace period for closing connections after the jobs settle.
    const graceMs = Math.max(1000, graceSeconds * 1000 - 2000);
    const force = setTimeout(() => {
      log.error('shutdown took longer than the grace period; exiting');
      process.exit(1);
    }, graceSeconds * 1000 + 3000);
    force.unref();
    close(graceMs).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
