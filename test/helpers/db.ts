/**
 * Real Postgres for every test that touches the database, in schemas of its own (pg-boss's
 * model): `t_<hash of the test name>` for our tables and `…_queue` for the queue. Dropped before
 * the test starts, so a failed run can be inspected and the next run still starts clean.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { loadSettings, type Settings } from '../../core/config.ts';
import { createLogger, type Logger } from '../../core/logger.ts';
import { openServices, type Services } from '../../core/services.ts';

export function testLogger(): Logger {
  return createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
}

export function schemaFor(name: string): string {
  return `t_${createHash('sha1').update(name).digest('hex').slice(0, 16)}`;
}

/** Settings for a test: the run's database, an isolated schema, and any overrides. */
export function testSettings(name: string, overrides: Record<string, string> = {}): Settings {
  if (!process.env.DATABASE_URL) {
    throw new Error('DATABASE_URL is not set: run the tests with `npm test` (its global setup starts an embedded Postgres), or set DATABASE_URL.');
  }
  return loadSettings({ ...process.env, NODE_ENV: 'test', DATABASE_SCHEMA: schemaFor(name), ...overrides });
}

export async function dropSchemas(settings: Settings): Promise<void> {
  const client = new pg.Client({ connectionString: settings.databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${settings.databaseSchema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${settings.databaseSchema}_queue CASCADE`);
  } finally {
    await client.end();
  }
}

/** Fresh schemas, migrated, with a queue: what a worker or web process would have. */
export async function freshServices(name: string, overrides: Record<string, string> = {}): Promise<{ settings: Settings; services: Services; log: Logger }> {
  const settings = testSettings(name, overrides);
  await dropSchemas(settings);
  const log = testLogger();
  const services = await openServices(settings, log, { supervise: true, name: 'test' });
  return { settings, services, log };
}
