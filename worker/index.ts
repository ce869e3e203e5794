/** The `worker` process of the Procfile: runs jobs until SIGTERM, then drains. */
import { settingsOrExit } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { openServices } from '../core/services.ts';
import { onShutdown } from '../core/shutdown.ts';
import { runWorker } from './main.ts';

const settings = settingsOrExit();
const log = createLogger({ level: settings.logLevel, name: 'toofr-worker' });
try {
  const services = await openServices(settings, log, { supervise: true, name: 'worker', poolMax: 20 });
  const worker = await runWorker(settings, log, services);
  onShutdown(log, settings.shutdownGraceSeconds, (graceMs) => worker.stop(graceMs));
} catch (err) {
  log.fatal({ err }, `worker could not start: ${(err as Error).message}`);
  process.exit(1);
}
