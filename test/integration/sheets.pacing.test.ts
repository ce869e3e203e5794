import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Services } from '../../core/services.ts';
import { createPool, type Pool } from '../../core/db/pool.ts';
import { flushBuckets, tryAcquire } from '../../worker/jobs/sheets.pacer.ts';
import { freshServices } from '../helpers/db.ts';

/**
 * The Sheets API quota pacing, under load from several "worker processes" (separate pools on one
 * database) at once, on a simulated clock: three minutes of load run in a moment, and every
 * request granted is counted per sliding minute.
 */
const PACE = { writeIntervalMs: 3000, userRequestsPerMinute: 60, projectRequestsPerMinute: 300 };
const MINUTE = 60_000;

/** The most grants in any window of `windowMs` (grants sorted by time). */
function maxInWindow(times: number[], windowMs: number): number {
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

describe('Sheets API pacing shared through Postgres', () => {
  let services: Services;
  const workers: Pool[] = [];

  before(async () => {
    ({ services } = await freshServices('sheets-pacing'));
    for (let i = 0; i < 3; i++) workers.push(createPool({ url: services.db.url, schema: services.db.schema, max: 4 }));
  });
  after(async () => {
    await Promise.all(workers.map((p) => p.end()));
    await services.close();
  });

  /** Every simulated `stepMs`, each spreadsheet asks for a round from a worker chosen in turn. */
  async function load(startMs: number, spreadsheets: Array<{ account: number; id: string }>, minutes: number, stepMs: number) {
    const granted = new Map<string, number[]>();
    let n = 0;
    for (let t = startMs; t < startMs + minutes * MINUTE; t += stepMs) {
      const answers = await Promise.all(spreadsheets.map((s) => tryAcquire(workers[n++ % workers.length]!, flushBuckets(PACE, s.account, s.id), t)));
      answers.forEach((a, i) => {
        if (!a.ok) return;
        const key = `${spreadsheets[i]!.account}`;
        granted.set(key, [...(granted.get(key) ?? []), t]);
        granted.set(spreadsheets[i]!.id, [...(granted.get(spreadsheets[i]!.id) ?? []), t]);
      });
    }
    return granted;
  }

  it('should hold one user to 60 rounds a minute and each spreadsheet to one every 3 s, across workers', async () => {
    // One user with 8 busy spreadsheets would want 8 × 20 = 160 rounds a minute.
    const books = Array.from({ length: 8 }, (_, i) => ({ account: 1, id: `book-${i}` }));
    const granted = await load(0, books, 2, 500);
    const user = granted.get('1')!;
    assert.equal(maxInWindow(user, MINUTE), 60, 'never more than 60 in any minute');
    // Saturated: the second minute uses the whole quota.
    assert.equal(user.filter((t) => t >= MINUTE && t < 2 * MINUTE).length, 60);
    for (const b of books) {
      const times = granted.get(b.id)!;
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 3000, `${b.id}: rounds ${times[i - 1]} and ${times[i]}`);
    }
    process.stderr.write(`pacing: one user, 8 spreadsheets, 3 workers: ${user.length} rounds in 2 min, max ${maxInWindow(user, MINUTE)} in any 60 s\n`);
  });

  it('should hold the project to 300 rounds a minute when many users write at once', async () => {
    // 20 users × 1 spreadsheet each would want 20 × 20 = 400 rounds a minute.
    const books = Array.from({ length: 20 }, (_, i) => ({ account: 100 + i, id: `p-book-${i}` }));
    const granted = await load(10 * MINUTE, books, 2, 1000);
    const all = [...books.flatMap((b) => granted.get(b.id) ?? [])].sort((a, b) => a - b);
    assert.equal(maxInWindow(all, MINUTE), 300);
    assert.equal(all.length, 600, `${all.length} rounds in 2 minutes`);
    for (const b of books) assert.ok(maxInWindow(granted.get(b.id) ?? [], MINUTE) <= 20);
    process.stderr.write(`pacing: 20 users, 3 workers: ${all.length} rounds in 2 min, max ${maxInWindow(all, MINUTE)} in any 60 s\n`);
  });

  it('should say how long to wait', async () => {
    const b = [{ key: 'spreadsheet:wait', limit: 1, windowMs: 3000 }];
    assert.deepEqual(await tryAcquire(services.db.pool, b, 1_000_000), { ok: true });
    assert.deepEqual(await tryAcquire(services.db.pool, b, 1_001_000), { ok: false, waitMs: 2000 });
    assert.deepEqual(await tryAcquire(services.db.pool, b, 1_003_000), { ok: true });
  });
});
