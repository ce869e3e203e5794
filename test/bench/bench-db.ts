/** Benchmarks run on real Postgres: DATABASE_URL when set, else an embedded one in a temp folder. */
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../core/db/embedded.ts';
import { createLogger } from '../../core/logger.ts';

export async function benchDatabaseUrl(): Promise<{ url: string; close(): Promise<void>; kind: string }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, close: async () => undefined, kind: 'DATABASE_URL' };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toofr-bench-pg-'));
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres(dir, createLogger({ level: 'warn' }));
  return {
    url: pg.url,
    kind: 'embedded',
    close: async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
