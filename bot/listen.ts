import type { Server } from 'node:http';
import type { Settings } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Services } from '../core/services.ts';
import { createWebApp } from './web.ts';

/** Starts the HTTP server; resolves once it accepts connections. */
export function listen(settings: Settings, log: Logger, services: Services): Promise<Server> {
  const app = createWebApp({ pool: services.db.pool, boss: services.boss, log });
  return new Promise((resolve, reject) => {
    const server = app.listen(settings.port, () => {
      log.info({ port: settings.port, url: settings.publicUrl }, `web listening on ${settings.publicUrl}`);
      resolve(server);
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`Port ${settings.port} is in use: stop what runs there, or set PORT to another port.`) : err);
    });
  });
}
