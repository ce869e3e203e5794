/**
 * Global test setup (node --test --test-global-setup): tests run on real Postgres. With
 * DATABASE_URL set (CI, or your own server) they use it; without it, one embedded Postgres is
 * started for the whole run, so `npm test` works on a machine with no Postgres installed.
 * Every test file then works in schemas of its own (test/helpers/db.ts).
 */
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../core/db/embedded.ts';
import { createLogger } from '../core/logger.ts';

let embedded: EmbeddedDatabase | undefined;
let dir: string | undefined;

export async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'toofr-test-pg-'));
  await chmod(dir, 0o755);
  embedded = await startEmbeddedPostgres(dir, createLogger({ level: 'warn' }));
  process.env.DATABASE_URL = embedded.url;
  process.stderr.write(`tests use an embedded Postgres in ${dir}\n`);
}

export async function globalTeardown(): Promise<void> {
  await embedded?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
