/**
 * Worker processes as they run in production: several at once on one database, and one that is
 * SIGKILLed in the middle of a list. Nothing may be lost or delivered twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import { readRecords } from '../../core/lists/store.ts';
import { dropSchemas, testLogger, testSettings } from '../helpers/db.ts';
import { openServices } from '../../core/services.ts';
import { submitCsv, waitForList } from '../helpers/pipeline.ts';

const WORKER = fileURLToPath(new URL('../helpers/worker-process.ts', import.meta.url));

type Msg = 'ready' | { calls: number; final?: boolean; stopped?: boolean };

function spawnWorker(settings: Settings, concurrency: number, delayMs: number) {
  const child = fork(WORKER, [String(delayMs)], {
    env: { ...process.env, DATABASE_URL: settings.databaseUrl, DATABASE_SCHEMA: settings.databaseSchema, WORKER_CONCURRENCY: String(concurrency), LOG_LEVEL: 'error' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const state = { child, calls: 0, ready: once(child, 'message') as Promise<unknown>, exited: once(child, 'exit') };
  child.on('message', (m: Msg) => {
    if (typeof m === 'object') state.calls = Math.max(state.calls, m.calls);
  });
  return state;
}

/** Resolves once the child has reported at least `n` lookups. */
function whenCalls(child: ChildProcess, n: number): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: Msg) => {
      if (typeof m === 'object' && m.calls >= n) {
        child.off('message', on);
        resolve();
      }
    };
    child.on('message', on);
  });
}

async function finalCount(child: ChildProcess): Promise<number> {
  const reply = new Promise<number>((resolve) => {
    const on = (m: Msg) => {
      if (typeof m === 'object' && m.final) {
        child.off('message', on);
        resolve(m.calls);
      }
    };
    child.on('message', on);
  });
  child.send('count');
  return reply;
}

function csv(rows: number): string {
  const lines = ['first_name,last_name,domain'];
  for (let i = 0; i < rows; i++) lines.push(`F${i},L${i},d${i % 101}.com`);
  return lines.join('\n');
}

async function assertCompleteOnce(settings: Settings, services: Services, listId: string, rows: number) {
  const list = await waitForList(settings, services, listId);
  assert.equal(list.status, 'done');
  assert.equal(list.total_rows, rows);
  assert.equal(list.processed, rows, 'every record counted exactly once');
  let i = 0;
  for await (const r of readRecords(services.db.pool, listId)) {
    assert.equal(r.ordinal, i, 'results in file order, none missing or repeated');
    assert.equal(r.status, 'done');
    assert.equal(r.email, `f${i}.l${i}@d${i % 101}.com`);
    i++;
  }
  assert.equal(i, rows);
  const { rows: [deliver] } = await services.db.pool.query(
    `SELECT count(*)::int AS jobs, count(*) FILTER (WHERE state = 'completed')::int AS completed
       FROM ${settings.databaseSchema}_queue.job WHERE name = 'list.deliver' AND data->>'listId' = $1`,
    [listId],
  );
  assert.deepEqual(deliver, { jobs: 1, completed: 1 }, 'list.deliver queued and run once');
}

describe('worker processes', () => {
  const made: { settings: Settings; services: Services }[] = [];
  const children: ChildProcess[] = [];

  async function setup(name: string) {
    const settings = testSettings(name);
    await dropSchemas(settings);
    // The test's own queue client does not supervise: only the workers may rescue jobs.
    const services = await openServices(settings, testLogger(), { supervise: false, name: 'test', poolMax: 5 });
    made.push({ settings, services });
    return { settings, services };
  }

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const m of made) await m.services.close();
  });

  it('should share one list between two worker processes without duplicates', async () => {
    const { settings, services } = await setup('two-workers');
    const a = spawnWorker(settings, 10, 10);
    const b = spawnWorker(settings, 10, 10);
    children.push(a.child, b.child);
    await Promise.all([a.ready, b.ready]);
    const id = await submitCsv(services, csv(2000));
    await assertCompleteOnce(settings, services, id, 2000);
    const [ca, cb] = await Promise.all([finalCount(a.child), finalCount(b.child)]);
    assert.equal(ca + cb, 2000, 'each record looked up once in total');
    assert.ok(ca > 0 && cb > 0, `both workers took part (a: ${ca}, b: ${cb})`);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [[codeA], [codeB]] = await Promise.all([a.exited, b.exited]);
    assert.equal(codeA, 0);
    assert.equal(codeB, 0);
  });

  it('should finish a 5,000-record list after its worker is SIGKILLed midway', async () => {
    const { settings, services } = await setup('crash');
    const first = spawnWorker(settings, 50, 20);
    children.push(first.child);
    await first.ready;
    const id = await submitCsv(services, csv(5000));
    await whenCalls(first.child, 1500);
    first.child.kill('SIGKILL');
    await first.exited;
    const { rows: [mid] } = await services.db.pool.query<{ processed: number }>('SELECT processed FROM lists WHERE id = $1', [id]);
    assert.ok(mid!.processed < 5000, 'the crash happened with work left');

    const second = spawnWorker(settings, 50, 20);
    children.push(second.child);
    await second.ready;
    await assertCompleteOnce(settings, services, id, 5000);
    second.child.kill('SIGTERM');
    await second.exited;
  });

  it('should drain running jobs on SIGTERM and leave none active', async () => {
    const { settings, services } = await setup('sigterm');
    const w = spawnWorker(settings, 50, 200);
    children.push(w.child);
    await w.ready;
    const id = await submitCsv(services, csv(500));
    await whenCalls(w.child, 100);
    w.child.kill('SIGTERM');
    const [code] = await w.exited;
    assert.equal(code, 0, 'clean exit within the grace period');
    const { rows: [active] } = await services.db.pool.query(
      `SELECT count(*)::int AS n FROM ${settings.databaseSchema}_queue.job WHERE name = 'record.enrich' AND state = 'active'`,
    );
    assert.equal(active.n, 0, 'no job left claimed by the stopped worker');
    // A new worker finishes the rest with nothing lost.
    const next = spawnWorker(settings, 50, 5);
    children.push(next.child);
    await next.ready;
    const list = await waitForList(settings, services, id);
    assert.equal(list.processed, 500);
    next.child.kill('SIGTERM');
    await next.exited;
  });
});
