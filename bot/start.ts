/**
 * `npm start`: web and worker in one process, for local use. With no DATABASE_URL the embedded
 * Postgres starts first (its data folder is printed), so this works on a fresh machine.
 */
import { settingsOrExit } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { openServices } from '../core/services.ts';
import { onShutdown } from '../core/shutdown.ts';
import { runWorker } from '../worker/main.ts';
import { listen } from './listen.ts';

const settings = settingsOrExit();
const log = createLogger({ level: settings.logLevel, name: 'toofr' });
try {
  const services = await openServices(settings, log, { supervise: true, name: 'all', poolMax: 20 });
  const worker = await runWorker(settings, log, services);
  const web = await listen(settings, log, services);
  if (services.db.embedded) log.info(`using the embedded database in ${settings.dataDir} (set DATABASE_URL to use your own Postgres)`);
  onShutdown(log, settings.shutdownGraceSeconds, async (graceMs) => {
    await web.close();
    await worker.stop(graceMs);
  });
} catch (err) {
  log.fatal({ err }, `Toofr could not start: ${(err as Error).message}`);
  process.exit(1);
}
