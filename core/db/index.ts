/**
 * Opens the database the settings point at (or the embedded one), applies migrations and
 * returns a pool whose search_path is the installation's schema.
 */
import type { Settings } from '../config.ts';
import type { Logger } from '../logger.ts';
import { redactUrl } from '../logger.ts';
import { createPool, type Pool } from './pool.ts';
import { migrate } from './migrate.ts';
import { startEmbeddedPostgres } from './embedded.ts';

export interface Database {
  pool: Pool;
  url: string;
  schema: string;
  /** Schema pg-boss uses for the queue. */
  queueSchema: string;
  embedded: boolean;
  close(): Promise<void>;
}

export async function openDatabase(
  settings: Pick<Settings, 'databaseUrl' | 'databaseSchema' | 'dataDir'>,
  log: Logger,
  opts: { poolMax?: number; applicationName?: string } = {},
): Promise<Database> {
  const embedded = settings.databaseUrl ? undefined : await startEmbeddedPostgres(settings.dataDir, log);
  const url = settings.databaseUrl ?? embedded!.url;
  const pool = createPool({ url, schema: settings.databaseSchema, max: opts.poolMax, log, applicationName: opts.applicationName });
  try {
    const applied = await migrate(pool, settings.databaseSchema);
    if (applied.length) log.info({ applied, schema: settings.databaseSchema }, 'database migrated');
  } catch (err) {
    await pool.end().catch(() => undefined);
    await embedded?.stop();
    const msg = (err as Error).message;
    if (/ECONNREFUSED|ENOTFOUND|password authentication|does not exist/.test(msg) && !msg.startsWith('Database migration')) {
      throw new Error(`Cannot reach the database at ${redactUrl(url)}: ${msg}. Check DATABASE_URL (or unset it to use the embedded database).`, { cause: err });
    }
    throw err;
  }
  return {
    pool,
    url,
    schema: settings.databaseSchema,
    queueSchema: `${settings.databaseSchema}_queue`,
    embedded: Boolean(embedded),
    close: async () => {
      await pool.end();
      await embedded?.stop();
    },
  };
}
