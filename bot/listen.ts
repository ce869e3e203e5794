import type { Server } from 'node:http';
import type { Settings } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Services } from '../core/services.ts';
import { LookupWaiter } from '../core/lookups.ts';
import { createWebApp } from './web.ts';

export interface Web {
  server: Server;
  close(): Promise<void>;
}

/** Starts the HTTP server; resolves once it accepts connections. */
export async function listen(settings: Settings, log: Logger, services: Services): Promise<Web> {
  const lookups = new LookupWaiter({ url: services.db.url, schema: services.db.schema, log });
  await lookups.start();
  const app = createWebApp({ settings, pool: services.db.pool, boss: services.boss, log, lookups });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(settings.port, () => {
      log.info({ port: settings.port, url: settings.publicUrl }, `web listening on ${settings.publicUrl}`);
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`Port ${settings.port} is in use: stop what runs there, or set PORT to another port.`) : err);
    });
  });
  return {
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await lookups.stop();
    },
  };
}
