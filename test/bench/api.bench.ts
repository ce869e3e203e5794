/**
 * npm run bench:api — GET /api/v1/find under load: autocannon at 50 connections against the real
 * web app (auth, rate limit, quota check, lookup queued, waited for on LISTEN), three ways:
 *
 *  1. on the mail world (DNS + SMTP servers on loopback, the real engine), the lookups answered
 *     by a real worker process (`node worker/index.ts`; BENCH_WORKER=inline runs it in this
 *     process): what a user sees end to end;
 *  2. the same with `max_duration=1`: the deadline under load (202 + poll URL past it);
 *  3. with an instant stand-in engine in this process: the API and queue's own overhead
 *     (BENCH_LOOKUP_WORKERS=n: what if the lookup queue had n pg-boss workers).
 *
 * Reports p50/p99/max latency, requests/s, the answers (200 answered, 202 poll URL), and checks
 * that no request ran past its deadline (max_duration, default 10 s) plus one second of slack.
 * Real Postgres: DATABASE_URL, or an embedded one when it is not set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import autocannon from 'autocannon';
import { loadSettings } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { openServices } from '../../core/services.ts';
import { LookupWaiter } from '../../core/lookups.ts';
import { ensureAccount } from '../../core/lists/store.ts';
import { createApiKey } from '../../core/api-keys.ts';
import { createWebApp } from '../../bot/web.ts';
import { MAX_DURATION_DEFAULT } from '../../bot/api/schemas.ts';
import { runWorker } from '../../worker/main.ts';
import { startWorker } from '../../worker/runtime.ts';
import * as lookupJob from '../../worker/jobs/lookup.ts';
import { generateWorld, startMailWorld } from '../mailworld/index.ts';
import { dropSchemas } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { benchDatabaseUrl, fmt } from './bench-db.ts';
import { offlineCompanies } from '../helpers/pipeline.ts';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const SLACK_MS = 1000;
const log = createLogger({ level: 'fatal' });

const db = await benchDatabaseUrl();
// Mail servers that answer promptly (rejecting unknown users, accept-all, Microsoft-365-like),
// over many domains so the per-MX session cap (2) is not the whole story.
const world = await startMailWorld({
  world: generateWorld({ seed: 11, domains: 120, peoplePerDomain: 4, behaviourMix: { rejects_unknown: 70, accept_all: 20, m365: 10 }, dnsMix: { mx: 95, a_only: 5 }, strangerRate: 0.1 }),
});
const people = world.people.filter((p) => p.domain);

interface Phase {
  title: string;
  schema: string;
  /** Appended to every request, e.g. `&max_duration=1`. */
  query?: string;
  /** The max_duration that query sets (default: the API's default). */
  deadlineSeconds?: number;
  /** Starts whatever answers lookups; returns how to stop it. */
  worker(env: Record<string, string>, services: Awaited<ReturnType<typeof openServices>>): Promise<() => Promise<void>>;
}

async function phase(p: Phase): Promise<boolean> {
  const env = {
    DATABASE_URL: db.url,
    DATABASE_SCHEMA: p.schema,
    NODE_ENV: 'production',
    LOG_LEVEL: 'fatal',
    SMTP_HELO_NAME: 'verify.toofr.test',
    SMTP_MAIL_FROM: 'verify@toofr.test',
    SMTP_TIMEOUT_MS: '5000',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    ...world.env,
  };
  const settings = loadSettings(env);
  await dropSchemas(settings);
  const services = await openServices(settings, log, { supervise: false, name: 'bench-web', poolMax: 20 });
  const waiter = new LookupWaiter({ url: services.db.url, schema: services.db.schema, log });
  await waiter.start();
  const app = createWebApp({ settings, pool: services.db.pool, boss: services.boss, log, lookups: waiter });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { key } = await createApiKey(services.db.pool, await ensureAccount(services.db.pool, 'api', 'bench'), 'bench');
  const stopWorker = await p.worker(env, services);

  let next = 0;
  const pathFor = (extra = p.query ?? '') => {
    const person = people[next++ % people.length]!;
    return `/api/v1/find?first=${encodeURIComponent(person.first)}&last=${encodeURIComponent(person.last)}&company=${encodeURIComponent(person.domain)}${extra}`;
  };
  // Warm-up: the first answer proves the worker is up (the lookup waits in the queue until then).
  for (;;) {
    const res = await fetch(`${base}${pathFor('&max_duration=20')}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status === 200) break;
    if (res.status !== 202) throw new Error(`warm-up failed: ${res.status} ${await res.text()}`);
  }

  const statuses = new Map<number, number>();
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 30,
    headers: { authorization: `Bearer ${key}` },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: pathFor() }) }],
    setupClient: (client) => client.on('response', (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1)),
  });
  const { rows } = await services.db.pool.query<{ status: string; n: number; found: number }>(
    `SELECT status, count(*)::int AS n, count(*) FILTER (WHERE result->>'email' IS NOT NULL)::int AS found FROM lookups GROUP BY status ORDER BY status`,
  );
  const limitMs = (p.deadlineSeconds ?? MAX_DURATION_DEFAULT) * 1000 + SLACK_MS;
  const ok = result.latency.max <= limitMs && !result.errors && !result.timeouts;
  process.stdout.write(
    [
      p.title,
      `  requests   ${fmt(result.requests.total)} in ${SECONDS} s: ${fmt(result.requests.average, 1)} req/s at ${CONNECTIONS} connections`,
      `  latency    p50 ${fmt(result.latency.p50)} ms · p99 ${fmt(result.latency.p99)} ms · max ${fmt(result.latency.max)} ms`,
      `  answers    ${[...statuses].map(([s, n]) => `${s}: ${fmt(n)}`).join(' · ')} (errors ${result.errors}, timeouts ${result.timeouts})`,
      `  lookups    ${rows.map((r) => `${r.status} ${fmt(r.n)} (with an address ${fmt(r.found)})`).join(' · ')}`,
      `  deadline   slowest ${fmt(result.latency.max)} ms, allowed ${fmt(limitMs)} ms: ${ok ? 'no request exceeded it' : 'EXCEEDED'}`,
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await stopWorker();
  await waiter.stop();
  await services.close();
  return ok;
}

process.stdout.write(`bench:api — ${os.cpus().length} CPUs, ${db.kind} Postgres, ${people.length} people at ${new Set(people.map((p) => p.domain)).size} mail-world domains\n\n`);

async function engineWorker(env: Record<string, string>, services: Awaited<ReturnType<typeof openServices>>): Promise<() => Promise<void>> {
  if (process.env.BENCH_WORKER === 'inline') {
    const w = await runWorker(loadSettings(env), log, services);
    return () => w.stop(2000);
  }
  // The worker in a process of its own, as in production (Procfile: web + worker).
  const child: ChildProcess = spawn(process.execPath, ['worker/index.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  return async () => {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  };
}

const where = process.env.BENCH_WORKER === 'inline' ? 'in this process' : 'in its own process';
const endToEnd = await phase({
  title: `1. GET /api/v1/find, real engine on the mail world, worker ${where}`,
  schema: 'bench_api_engine',
  worker: engineWorker,
});

const tight = await phase({
  title: `2. the same with max_duration=1: answers past 1 s become 202 + poll URL`,
  schema: 'bench_api_deadline',
  query: '&max_duration=1',
  deadlineSeconds: 1,
  worker: engineWorker,
});

const overhead = await phase({
  title: `3. GET /api/v1/find, instant stand-in engine in this process (API + queue overhead)${process.env.BENCH_LOOKUP_WORKERS ? `, ${process.env.BENCH_LOOKUP_WORKERS} lookup workers (what-if)` : ''}`,
  schema: 'bench_api_overhead',
  async worker(_env, services) {
    const ctx = {
      pool: services.db.pool, boss: services.boss, log, enricher: fakeEnricher(), companies: offlineCompanies(services.db.pool), notifiers: {},
      concurrency: 50, perDomainConcurrency: 1000, progressIntervalSeconds: 2,
    };
    // What-if: BENCH_LOOKUP_WORKERS=50 serves the lookup queue with that many pg-boss workers
    // instead of the runtime's (worker/runtime.ts), to see where the ceiling comes from.
    const what = Number(process.env.BENCH_LOOKUP_WORKERS ?? 0);
    if (what) {
      await services.boss.work(lookupJob.QUEUE, { localConcurrency: what, pollingIntervalSeconds: 0.5 }, lookupJob.handler(ctx));
      return async () => undefined;
    }
    const w = await startWorker(ctx);
    return () => w.stop(2000);
  },
});

await world.stop();
await db.close();
if (!endToEnd || !overhead || !tight) process.exitCode = 1;
