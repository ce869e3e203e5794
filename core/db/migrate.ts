/**
 * Versioned migrations: `migrations/NNN_name.sql`, applied in order, each once, at start-up.
 * Two processes starting at once are serialised by a transaction-scoped advisory lock, so the
 * second one waits and then finds nothing left to do.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Pool } from './pool.ts';
import { quoteIdent, withTransaction } from './pool.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration { version: number; name: string; sql: string }

export async function loadMigrations(): Promise<Migration[]> {
  const files = (await readdir(DIR)).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (f) => ({ version: Number(f.slice(0, 3)), name: f.slice(4, -4), sql: await readFile(path.join(DIR, f), 'utf8') })),
  );
}

/** Applies pending migrations to `schema`; returns the versions it applied. */
export async function migrate(pool: Pool, schema: string): Promise<number[]> {
  const migrations = await loadMigrations();
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`toofr-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`SET LOCAL search_path = ${quoteIdent(schema)}, public`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new Error(`Database migration ${m.version}_${m.name} failed: ${(err as Error).message}. Nothing was changed; fix the cause and start again.`, { cause: err });
      }
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
