/**
 * A real worker process (settings from the environment, the real runtime and queue) with the
 * deterministic test enricher, for the crash and multi-process tests. It reports to its parent
 * over IPC: 'ready' once it is fetching, and the number of lookups it has run.
 */
import { settingsOrExit } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { openServices } from '../../core/services.ts';
import { onShutdown } from '../../core/shutdown.ts';
import { startWorker } from '../../worker/runtime.ts';
import { fakeEnricher } from './fake-enricher.ts';
import { offlineCompanies } from './pipeline.ts';

const settings = settingsOrExit();
const log = createLogger({ level: settings.logLevel, name: `test-worker-${process.pid}` });
const services = await openServices(settings, log, { supervise: true, name: 'worker', poolMax: 20 });
let calls = 0;
const enricher = fakeEnricher({
  delayMs: Number(process.argv[2] ?? 20),
  onFind: () => {
    calls++;
    if (calls % 50 === 0) process.send?.({ calls });
  },
});
const worker = await startWorker({
  pool: services.db.pool,
  boss: services.boss,
  log,
  enricher,
  companies: offlineCompanies(services.db.pool),
  notifiers: {},
  concurrency: settings.workerConcurrency,
  perDomainConcurrency: 1000,
  progressIntervalSeconds: 2,
});
onShutdown(log, settings.shutdownGraceSeconds, async (graceMs) => {
  await worker.stop(Math.max(1000, graceMs - 2000));
  await services.close(2000);
  process.send?.({ calls, stopped: true });
});
process.send?.('ready');
// The parent asks for the final count before it ends the test.
process.on('message', (m) => {
  if (m === 'count') process.send?.({ calls, final: true });
});
