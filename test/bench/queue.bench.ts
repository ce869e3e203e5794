/**
 * npm run bench:queue — the pipeline's own overhead, with the engine replaced by a fixed 50 ms
 * placeholder:
 *   1. 10,000 records at concurrency 50 through the tuned workers (worker/runtime.ts), against the
 *      ideal concurrency / job time = 1,000 records/s, and pg-boss's defaults for comparison;
 *   2. a 100,000-row import in a process of its own: rows/s and peak RSS.
 * Real Postgres: DATABASE_URL, or an embedded one when it is not set.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { openServices, type Services } from '../../core/services.ts';
import { createList, ensureAccount, getList } from '../../core/lists/store.ts';
import { startWorker } from '../../worker/runtime.ts';
import { importList } from '../../worker/jobs/list.import.ts';
import * as recordEnrich from '../../worker/jobs/record.enrich.ts';
import type { WorkerContext } from '../../worker/context.ts';
import { dropSchemas } from '../helpers/db.ts';
import { benchDatabaseUrl, fmt } from './bench-db.ts';
import { benchEnricher } from './bench-enricher.ts';
import { offlineCompanies } from '../helpers/pipeline.ts';

const RECORDS = 10_000;
const CONCURRENCY = 50;
const JOB_MS = 50;
const IMPORT_ROWS = 100_000;
const DEFAULTS_SECONDS = 10;
const log = createLogger({ level: 'warn' });
const db = await benchDatabaseUrl();

async function freshSchema(name: string): Promise<{ services: Services; ctx: WorkerContext }> {
  const settings = loadSettings({ DATABASE_URL: db.url, DATABASE_SCHEMA: name, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
  await dropSchemas(settings);
  const services = await openServices(settings, log, { supervise: true, name: 'bench', poolMax: 20 });
  const ctx: WorkerContext = {
    pool: services.db.pool, boss: services.boss, log, enricher: benchEnricher(JOB_MS), companies: offlineCompanies(services.db.pool), notifiers: {},
    concurrency: CONCURRENCY, perDomainConcurrency: 2, progressIntervalSeconds: 2,
  };
  return { services, ctx };
}

function csv(rows: number): Buffer {
  const lines = ['First Name,Last Name,Company Website'];
  for (let i = 0; i < rows; i++) lines.push(`First${i},Last${i},https://www.company${i % 1000}.com`);
  return Buffer.from(lines.join('\n'));
}

/** Imports a list with no worker running, so the timed part is record processing alone. */
async function importedList(services: Services, ctx: WorkerContext, rows: number): Promise<string> {
  const accountId = await ensureAccount(services.db.pool, 'local', 'bench');
  const { id } = await createList(services.db.pool, services.boss, { accountId, source: 'cli', content: csv(rows) });
  await importList(ctx, id);
  return id;
}

async function processed(services: Services, id: string): Promise<number> {
  return (await getList(services.db.pool, id))!.processed;
}

// The bench watches the list row to time the run; the poll interval bounds the timing error.
async function until(pred: () => Promise<boolean>, maxMs: number): Promise<boolean> {
  const end = performance.now() + maxMs;
  while (performance.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

// 1a. Tuned workers.
const tuned = await freshSchema('bench_queue');
const tunedList = await importedList(tuned.services, tuned.ctx, RECORDS);
let t0 = performance.now();
const tunedWorker = await startWorker(tuned.ctx);
await until(async () => (await processed(tuned.services, tunedList)) >= RECORDS, 300_000);
const tunedSeconds = (performance.now() - t0) / 1000;
await tunedWorker.stop(1000);
await tuned.services.close();
const tunedRate = RECORDS / tunedSeconds;
const ideal = CONCURRENCY / (JOB_MS / 1000);

// 1b. The same handler with pg-boss's defaults (one job per fetch, 2 s polling), for DEFAULTS_SECONDS.
const plain = await freshSchema('bench_queue_defaults');
const plainList = await importedList(plain.services, plain.ctx, RECORDS);
t0 = performance.now();
await plain.services.boss.work('record.enrich', { localConcurrency: CONCURRENCY }, recordEnrich.handler(plain.ctx));
await new Promise((r) => setTimeout(r, DEFAULTS_SECONDS * 1000));
const plainDone = await processed(plain.services, plainList);
const plainRate = plainDone / ((performance.now() - t0) / 1000);
await plain.services.close(1000);

// 2. Import of 100,000 rows in its own process (peak RSS is that process's alone).
const child = fileURLToPath(new URL('./import-child.ts', import.meta.url));
const importSettings = loadSettings({ DATABASE_URL: db.url, DATABASE_SCHEMA: 'bench_import', NODE_ENV: 'production' });
await dropSchemas(importSettings);
const { stdout } = await promisify(execFile)(process.execPath, [...WORKER_NODE_FLAGS(), child, String(IMPORT_ROWS)], {
  env: { ...process.env, DATABASE_URL: db.url, DATABASE_SCHEMA: 'bench_import' },
  maxBuffer: 1 << 20,
});
const imp = JSON.parse(stdout.trim().split('\n').pop()!) as { rows: number; bytes: number; importMs: number; maxRssBytes: number; loadMs?: number };
await db.close();

/** The flags the worker process runs with (Procfile, npm scripts): the import is measured the same way. */
function WORKER_NODE_FLAGS(): string[] {
  return ['--max-semi-space-size=4'];
}

const pct = (x: number) => `${fmt(100 * x, 1)} %`;
const lines = [
  `bench:queue — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, node ${process.version}, Postgres: ${db.kind}`,
  '',
  `records through the pipeline (${fmt(RECORDS)} records, ${JOB_MS} ms placeholder, concurrency ${CONCURRENCY}, per-domain cap 2):`,
  `  tuned workers        ${fmt(tunedRate, 1)} records/s in ${fmt(tunedSeconds, 2)} s`,
  `  ideal                ${fmt(ideal)} records/s (concurrency / job time)`,
  `  ratio                ${pct(tunedRate / ideal)}   target ≥ 90 %   ${tunedRate / ideal >= 0.9 ? 'PASS' : 'MISS'}`,
  `  pg-boss defaults     ${fmt(plainRate, 1)} records/s (${plainDone} in ${DEFAULTS_SECONDS} s) = ${pct(plainRate / ideal)} of ideal; tuned/defaults = ${fmt(tunedRate / plainRate, 1)}×`,
  '',
  `import of ${fmt(imp.rows)} rows (${fmt(imp.bytes / 1e6, 1)} MB CSV: parse, check, store records, queue one job each):`,
  `  import               ${fmt(imp.rows / (imp.importMs / 1000))} rows/s in ${fmt(imp.importMs / 1000, 2)} s   target ≥ 20,000   ${imp.rows / (imp.importMs / 1000) >= 20_000 ? 'PASS' : 'MISS'}`,
  `  peak RSS             ${fmt(imp.maxRssBytes / 2 ** 20)} MB   target < 256 MB   ${imp.maxRssBytes < 256 * 2 ** 20 ? 'PASS' : 'MISS'}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
