/** Postgres pools. Every connection's search_path points at the installation's schema. */
import pg from 'pg';
import type { Logger } from '../logger.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// bigint (int8) counts come back as strings by default; ours never exceed 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function createPool(opts: { url: string; schema: string; max?: number; log?: Logger; applicationName?: string }): Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'toofr',
    // Setting search_path at connect time (not per query) keeps every query schema-agnostic.
    options: `-c search_path=${quoteIdent(opts.schema)},public`,
  });
  // An idle client that loses its connection emits 'error'; without a listener Node would crash.
  pool.on('error', (err) => opts.log?.warn({ err }, 'idle Postgres connection failed; the pool will reconnect'));
  return pool;
}

/** Runs `fn` in a transaction on one connection, rolling back if it throws. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
