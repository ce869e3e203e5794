/** The `web` process of the Procfile: HTTP only; jobs run in the worker process. */
import { settingsOrExit } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { openServices } from '../core/services.ts';
import { onShutdown } from '../core/shutdown.ts';
import { listen } from './listen.ts';

const settings = settingsOrExit();
const log = createLogger({ level: settings.logLevel, name: 'toofr-web' });
try {
  // The web process only sends jobs; supervision (rescuing jobs of dead workers) is the workers' job.
  const services = await openServices(settings, log, { supervise: false, name: 'web' });
  const web = await listen(settings, log, services);
  onShutdown(log, settings.shutdownGraceSeconds, async (graceMs) => {
    await web.close();
    await services.close(graceMs);
  });
} catch (err) {
  log.fatal({ err }, `web process could not start: ${(err as Error).message}`);
  process.exit(1);
}
