/**
 * Opening and closing what every process needs: the database (migrated) and the queue.
 * Entry points (bot, worker, CLI) call this with settings; nothing below reads the environment.
 */
import type { Settings } from './config.ts';
import type { Logger } from './logger.ts';
import { openDatabase, type Database } from './db/index.ts';
import { startBoss, type Boss } from './queue/boss.ts';

export interface Services {
  db: Database;
  boss: Boss;
  close(graceMs?: number): Promise<void>;
}

export async function openServices(settings: Settings, log: Logger, opts: { supervise: boolean; poolMax?: number; name: string }): Promise<Services> {
  const db = await openDatabase(settings, log, { poolMax: opts.poolMax ?? 20, applicationName: `toofr-${opts.name}` });
  let boss: Boss;
  try {
    boss = await startBoss({ url: db.url, schema: db.queueSchema, log, supervise: opts.supervise, poolMax: 10 });
  } catch (err) {
    await db.close();
    throw err;
  }
  let closed = false;
  return {
    db,
    boss,
    close: async (graceMs = 5000) => {
      if (closed) return;
      closed = true;
      await boss.stop({ graceful: true, timeout: Math.max(1000, graceMs), close: true }).catch((err: unknown) => log.warn({ err }, 'queue did not stop cleanly'));
      await db.close();
    },
  };
}
