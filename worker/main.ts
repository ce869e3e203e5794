/**
 * A worker process: the engine, the job handlers, and a clean stop on SIGTERM. `runWorker`
 * is also what `npm start` (bot/start.ts) runs beside the web process.
 */
import type { Settings } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Services } from '../core/services.ts';
import { createEngine } from '../core/engine/engine.ts';
import { createCompanies } from '../core/classify/companies.ts';
import { startWorker } from './runtime.ts';
import { createNotifiers } from './notifiers/index.ts';

export async function runWorker(settings: Settings, log: Logger, services: Services) {
  const engine = createEngine({ pool: services.db.pool, settings, log });
  const worker = await startWorker({
    pool: services.db.pool,
    boss: services.boss,
    log,
    enricher: engine,
    companies: createCompanies({ pool: services.db.pool, settings }),
    notifiers: createNotifiers({ settings, pool: services.db.pool, log }),
    concurrency: settings.workerConcurrency,
    perDomainConcurrency: settings.smtp.maxSessionsPerMx,
    progressIntervalSeconds: 2,
  });
  return {
    engine,
    /** Drains this worker within `graceMs`, then closes the queue and database. */
    async stop(graceMs: number) {
      const started = performance.now();
      await worker.stop(graceMs);
      await services.close(Math.max(1000, graceMs - (performance.now() - started)));
      await engine.close();
    },
  };
}
