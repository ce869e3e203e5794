/**
 * The real pipeline with the real engine: a CSV of people from a generated mail world goes
 * through list.import → record.enrich (the record pump) → list.deliver on real Postgres and
 * pg-boss, and every result is compared with the world's ground truth. Greylisting domains make
 * records come back as `rechecking`; the pipeline must re-queue them as delayed pg-boss jobs
 * (retry_after_seconds = the world's 1 s greylist window) and they must end valid.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import type { FindAnswer } from '../../core/engine/types.ts';
import { createEngine, type Engine } from '../../core/engine/engine.ts';
import { getList } from '../../core/lists/store.ts';
import { generateWorld, startMailWorld, type MailWorld, type Person, type WorldDomain } from '../mailworld/index.ts';
import { freshServices } from '../helpers/db.ts';
import { startTestWorker, submitCsv, waitForList } from '../helpers/pipeline.ts';

/** Behaviours that answer within a lookup or through a short re-check; the ones that make the
 * engine wait minutes (drops, refuses, slow, conn_limit → 300 s / 60 s re-checks) are covered in
 * engine.find.test.ts. */
const SPEC = generateWorld({
  seed: 7,
  domains: 30,
  peoplePerDomain: 3,
  behaviourMix: { rejects_unknown: 45, accept_all: 10, m365: 8, greylist: 20, primary_down: 7, blocks_us: 5 },
  dnsMix: { mx: 80, a_only: 8, null_mx: 6, nxdomain: 6 },
  strangerRate: 0.15,
});
// The pipeline waits retry_after_seconds (the greylist's own "try again in N seconds") before the
// re-check: keep the window at a second so the test stays quick.
for (const d of SPEC.domains) if (d.behaviour === 'greylist') d.greylistDelayMs = 1000;

let world: MailWorld;
let settings: Settings;
let services: Services;
let log: Logger;
let engine: Engine;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;

before(async () => {
  world = await startMailWorld({ world: SPEC });
  ({ settings, services, log } = await freshServices('engine.pipeline', {
    ...world.env,
    SMTP_TIMEOUT_MS: '2000',
    SMTP_HELO_NAME: 'verify.toofr.test',
    SMTP_MAIL_FROM: 'verify@toofr.test',
  }));
  engine = createEngine({ pool: services.db.pool, settings, log });
  worker = await startTestWorker(services, log, engine, { concurrency: 20 });
});

after(async () => {
  await worker?.stop(2000);
  await engine?.close();
  await services?.close();
  await world?.stop();
});

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A domain that answers honestly about its users (so an employee's address can be proven). */
const honest = (d: WorldDomain) =>
  (d.dns === 'mx' || d.dns === 'a_only') && (d.behaviour === 'rejects_unknown' || d.behaviour === 'primary_down' || d.behaviour === 'greylist');

interface Row {
  id: number;
  ordinal: number;
  attempts: number;
  status: string;
  email: string | null;
  confidence: number | null;
  verification: string | null;
  result: FindAnswer | null;
}

describe('a list through the real pipeline and engine', () => {
  test('every row once, no address called valid unless it is the real one, greylisted rows re-queued and valid', async () => {
    const people: Person[] = world.people;
    const greylisted = people.filter((p) => p.mailbox === 'active' && world.domain(p.domain).behaviour === 'greylist' && honest(world.domain(p.domain)));
    assert.ok(greylisted.length >= 3, `the world has greylisted employees to re-check (${greylisted.length})`);

    const csv = ['First name,Last name,Company website', ...people.map((p) => [p.first, p.last, `https://www.${p.domain}/`].map(csvCell).join(','))].join('\n');
    const started = performance.now();
    const id = await submitCsv(services, csv);
    const list = await waitForList(settings, services, id);
    const seconds = (performance.now() - started) / 1000;

    assert.equal(list.status, 'done', list.error ?? '');
    assert.equal(list.total_rows, people.length);
    assert.equal(list.bad_rows, 0);
    assert.equal(list.processed, people.length);
    assert.ok(seconds < 20, `took ${seconds.toFixed(1)} s`);

    const { rows } = await services.db.pool.query<Row>(
      'SELECT id, ordinal, attempts, status, email, confidence, verification, result FROM records WHERE list_id = $1 ORDER BY ordinal',
      [id],
    );
    assert.deepEqual(rows.map((r) => r.ordinal), people.map((_, i) => i), 'every row present once, in file order');

    const problems: string[] = [];
    const tally: Record<string, number> = {};
    rows.forEach((r, i) => {
      const p = people[i]!;
      const d = world.domain(p.domain);
      const who = `${p.first} ${p.last} @ ${p.domain} (${d.behaviour}/${d.dns}, ${p.mailbox ?? 'stranger'}, truth ${p.email}) → ${r.verification} ${r.email} [${r.result?.status}] ${r.result?.reason ?? ''}`;
      tally[`${d.behaviour}/${r.verification}`] = (tally[`${d.behaviour}/${r.verification}`] ?? 0) + 1;
      if (r.status !== 'done') problems.push(`not done: ${who}`);
      // The one rule that must never break: "valid" means the person's real, working address.
      if (r.verification === 'valid' && (r.email !== p.email || p.mailbox !== 'active')) problems.push(`false valid: ${who}`);
      if (r.result?.status === 'rechecking') problems.push(`left rechecking: ${who}`);
      if (d.dns === 'null_mx' || d.dns === 'nxdomain') {
        if (r.result?.status !== 'no_mail') problems.push(`expected no_mail: ${who}`);
        return;
      }
      if (honest(d)) {
        if (p.mailbox === 'active' && r.verification !== 'valid') problems.push(`missed: ${who}`);
        if (p.mailbox === null && r.result?.status !== 'not_found') problems.push(`stranger not rejected: ${who}`);
        // A full inbox exists but takes no mail now; a disabled one is undeliverable.
        if (p.mailbox === 'full' && (r.email !== p.email || r.verification !== 'unknown')) problems.push(`full inbox: ${who}`);
        if (p.mailbox === 'disabled' && r.result?.status !== 'not_found') problems.push(`disabled: ${who}`);
      }
      if (d.behaviour === 'accept_all' || d.behaviour === 'm365') {
        if (r.verification !== 'accept_all' || (r.confidence ?? 0) >= 60) problems.push(`catch-all: ${who}`);
      }
      if (d.behaviour === 'blocks_us' && (r.verification !== 'unknown' || r.result?.status !== 'unknown')) problems.push(`blocked: ${who}`);
    });
    assert.deepEqual(problems, [], `tally ${JSON.stringify(tally)}`);

    // Greylisted rows: a first job that answered "rechecking", then a delayed job (startAfter ≈ the
    // greylist window) that found the address.
    const { rows: jobs } = await services.db.pool.query<{ record_id: string; delay: number }>(
      `SELECT data->>'recordId' AS record_id, EXTRACT(EPOCH FROM (start_after - created_on))::float AS delay
         FROM ${settings.databaseSchema}_queue.job WHERE name = 'record.enrich' AND data->>'listId' = $1`,
      [id],
    );
    const jobsOf = (recordId: number) => jobs.filter((j) => Number(j.record_id) === recordId);
    for (const p of greylisted) {
      const r = rows[people.indexOf(p)]!;
      assert.equal(r.verification, 'valid', `${p.email}`);
      assert.ok(r.attempts >= 2, `${p.email}: looked up ${r.attempts} times`);
      const mine = jobsOf(r.id);
      assert.ok(mine.length >= 2, `${p.email}: ${mine.length} jobs`);
      assert.ok(mine.some((j) => j.delay >= 0.9), `${p.email}: a delayed re-check job (${JSON.stringify(mine)})`);
    }
    // Rows that needed no re-check ran exactly once.
    for (const [i, r] of rows.entries()) {
      const d = world.domain(people[i]!.domain);
      if (d.behaviour !== 'greylist') assert.equal(jobsOf(r.id).length, 1, `one job for row ${i} (${d.behaviour})`);
    }

    const final = await getList(services.db.pool, id);
    assert.equal(final?.found, rows.filter((r) => r.email).length);
    assert.equal(world.stats.totals().data, 0, 'no DATA ever');
    for (const h of world.stats.hosts) assert.ok(h.peak <= settings.smtp.maxSessionsPerMx, `${h.name} peak ${h.peak}`);
  });
});
