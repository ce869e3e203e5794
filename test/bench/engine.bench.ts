/**
 * Engine benchmark (`npm run bench:engine [-- --seed N]`): a generated mail world of 300 domains
 * and 2,400 people with 50 ms per SMTP reply, run through the real pipeline (CSV upload →
 * list.import → record.enrich through the worker's record pump on pg-boss, WORKER_CONCURRENCY 50,
 * SMTP_MAX_SESSIONS_PER_MX as production sets it → Postgres) with the real engine, then scored
 * against the world's ground truth. Nothing leaves the machine: DNS and SMTP are the mail world's
 * servers on loopback (in a child process, engine-mailworld-child.ts), Postgres is DATABASE_URL or
 * an embedded one (bench-db.ts), in schema `bench_engine`, dropped at start.
 *
 * Two passes: (1) every person in the CSV, nothing learned; (2) after importing 3 known addresses
 * per catch-all domain (other people, held out of the CSV) with `toofr learn`'s code, the people
 * at catch-all domains again.
 *
 * Printed, each with PASS/MISS against the issue's target where it has one:
 *  - precision and recall of `valid` answers on domains that reject unknown users;
 *  - top-1 accuracy on catch-all domains, with nothing learned and with learned patterns;
 *  - calibration: mean |confidence − observed accuracy| per 10-point band, with the noise floor;
 *  - SMTP connections and RCPTs per record, beside a naive one-session-per-candidate checker;
 *  - records/s against the network-bound ideal (how it is computed is printed with it), and
 *    where the difference went;
 *  - the peak of concurrent sessions per MX host against the cap.
 * Definitions are in engine-eval.ts and docs/benchmarks.md. Exit code 0 even when a target is
 * missed (it is a measurement, not a test). `--dump file.json` writes every answer with its
 * ground truth, for calibration work.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadSettings } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { openServices } from '../../core/services.ts';
import { createEngine } from '../../core/engine/engine.ts';
import type { Enricher } from '../../core/enricher.ts';
import type { FindAnswer } from '../../core/engine/types.ts';
import { openSession } from '../../core/engine/smtp.ts';
import { readRecords, type ResultRecord } from '../../core/lists/store.ts';
import { startWorker } from '../../worker/runtime.ts';
import { learnFile } from '../../cli/learn.ts';
import { dropSchemas } from '../helpers/db.ts';
import { offlineCompanies, submitCsv, waitForList } from '../helpers/pipeline.ts';
import { benchDatabaseUrl, fmt } from './bench-db.ts';
import { startRemoteMailWorld } from './engine-mailworld.ts';
import { buildBenchWorld, domainIndex, knownCsv, peopleCsv, KNOWN_PER_CATCH_ALL, REACHABLE, CATCH_ALL } from './engine-world.ts';
import { calibration, calibrationNoiseFloor, MIN_BAND, naiveCost, score, topOne, validFigures, type Answer, type Scored } from './engine-eval.ts';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: process.env.BENCH_SEED ?? '1' },
    domains: { type: 'string', default: '300' },
    'people-per-domain': { type: 'string', default: '8' },
    'latency-ms': { type: 'string', default: '50' },
    /** Write every answer with its ground truth as JSON (for calibration work). */
    dump: { type: 'string' },
  },
});
const SEED = Number(args.seed);
const DOMAINS = Number(args.domains);
const PER_DOMAIN = Number(args['people-per-domain']);
const LATENCY_MS = Number(args['latency-ms']);
const SCHEMA = 'bench_engine';

const out = (line = '') => process.stdout.write(`${line}\n`);
const pct = (n: number, d: number, digits = 1) => (d ? `${fmt((100 * n) / d, digits)} %` : 'n/a');
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  rows.forEach((r, i) => {
    out(`| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`);
    if (i === 0) out(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  });
}

/** The enricher the worker runs: the real engine, timed per call. */
interface Call { start: number; end: number; attempt: number; status: string; domain: string }
let inFlight = 0;
function timed(engine: Enricher, calls: Call[]): Enricher {
  return {
    ...engine,
    find: async (input, ctx) => {
      const start = performance.now();
      inFlight++;
      try {
        const answer = await engine.find(input, ctx);
        calls.push({ start, end: performance.now(), attempt: ctx.attempt, status: answer.status, domain: answer.domain ?? '' });
        return answer;
      } finally {
        inFlight--;
      }
    },
    verify: (email, ctx) => engine.verify(email, ctx),
    pattern: (domain, ctx) => engine.pattern(domain, ctx),
    checkInput: (input) => engine.checkInput(input),
  };
}

/**
 * The shortest SMTP conversation with one client on an idle host of this world: connect, greeting
 * (smtp-server's fixed 100 ms early-talker pause + the reply latency), EHLO, STARTTLS, EHLO; then
 * MAIL + RCPT; then one more RCPT. Medians of a few tries.
 */
async function minimalSession(port: number, host: { name: string; ip: string }): Promise<{ setupMs: number; firstRcptMs: number; rcptMs: number }> {
  const s = { port, heloName: 'verify.toofr.test', mailFrom: 'verify@toofr.test' };
  const setups: number[] = [];
  const firsts: number[] = [];
  const rcpts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const session = await openSession({ host: host.name, address: host.ip, port: s.port, heloName: s.heloName, mailFrom: s.mailFrom, timeoutMs: 5000, sessionTimeoutMs: 20000 });
    const t1 = performance.now();
    await session.rcpt(`nobody.${i}@${host.name.replace(/^mx1\./, '')}`);
    const t2 = performance.now();
    await session.rcpt(`nobody.else.${i}@${host.name.replace(/^mx1\./, '')}`);
    const t3 = performance.now();
    await session.quit();
    setups.push(t1 - t0);
    firsts.push(t2 - t1);
    rcpts.push(t3 - t2);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  return { setupMs: median(setups), firstRcptMs: median(firsts), rcptMs: median(rcpts) };
}

/** Busy and total jiffies of the whole machine (all processes: this one, Postgres, the rest). */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (line[3] ?? 0) + (line[4] ?? 0);
    const total = line.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

async function answersOf(pool: pg.Pool, listId: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  for await (const r of readRecords(pool, listId) as AsyncGenerator<ResultRecord>) {
    const result = r.result as FindAnswer | null;
    answers.push({
      email: r.email,
      confidence: r.confidence ?? 0,
      verification: r.verification,
      status: r.status === 'done' ? (result?.status ?? 'done') : r.status,
      pattern: r.pattern,
      parts: result?.score_parts ?? [],
      candidates: result?.candidates ?? [],
      accept_all: result?.accept_all ?? null,
    });
  }
  return answers;
}

async function postgresVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
    return rows[0]!.server_version;
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------

const db = await benchDatabaseUrl();
const log = createLogger({ level: process.env.LOG_LEVEL ?? 'error' });
const bench = buildBenchWorld(SEED, DOMAINS, PER_DOMAIN, 2);
const loadBefore = os.loadavg();
const world = await startRemoteMailWorld({ seed: SEED, domains: DOMAINS, peoplePerDomain: PER_DOMAIN, connCap: 2, latencyMs: LATENCY_MS });
const settings = loadSettings({
  DATABASE_URL: db.url,
  DATABASE_SCHEMA: SCHEMA,
  NODE_ENV: 'production',
  LOG_LEVEL: 'error',
  WORKER_CONCURRENCY: '50',
  SMTP_HELO_NAME: 'verify.toofr.test',
  SMTP_MAIL_FROM: 'verify@toofr.test',
  ...world.env,
});
const cap = settings.smtp.maxSessionsPerMx;
const byDomain = domainIndex(world.domains);
if (world.domains.map((d) => d.domain).join() !== bench.spec.domains.map((d) => d.domain).join()) throw new Error('the mail world process built another world');

out('# Engine benchmark');
out();
out(`command:  npm run bench:engine -- --seed ${SEED}   (node test/bench/engine.bench.ts --seed ${SEED})`);
out(`seed:     ${SEED}`);
out(`machine:  ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ${os.type()} ${os.release()}`);
out(`runtime:  Node ${process.version}; Postgres ${await postgresVersion(db.url)} (${db.kind}), schema ${SCHEMA}`);
out(`settings: WORKER_CONCURRENCY ${settings.workerConcurrency}, SMTP_MAX_SESSIONS_PER_MX ${cap}, SMTP_MAX_RCPTS_PER_SESSION ${settings.smtp.maxRcptsPerSession}, SMTP_TIMEOUT_MS ${settings.smtp.timeoutMs}`);
const behaviours = new Map<string, number>();
for (const d of world.domains) behaviours.set(`${d.behaviour}${d.dns === 'mx' ? '' : `/${d.dns}`}`, (behaviours.get(`${d.behaviour}${d.dns === 'mx' ? '' : `/${d.dns}`}`) ?? 0) + 1);
out(`load:     load average ${loadBefore.map((l) => fmt(l, 2)).join(' / ')} (1 / 5 / 15 min) before the run; other work on the machine skews the speed figures`);
out(`world:    ${world.domains.length} domains, ${bench.spec.people.length} people (${bench.input.length} in the CSV, ${bench.known.length} held out as known addresses), ${LATENCY_MS} ms per greeting/MAIL/RCPT reply`);
out(`          ${[...behaviours].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
out();

// The shortest possible conversation, measured before the run on an idle honest host.
const probeHost = world.domains.find((d) => d.behaviour === 'rejects_unknown' && d.dns === 'mx')!.hosts[0]!;
const minimal = await minimalSession(world.smtpPort, probeHost);
await world.reset();

await dropSchemas(settings);
// As worker/index.ts opens them.
const services = await openServices(settings, log, { supervise: true, name: 'bench-engine', poolMax: 20 });
// The engine's own queries (domain facts, learning) are timed through a thin wrapper of the pool.
let engineDbMs = 0;
let engineDbQueries = 0;
const enginePool = new Proxy(services.db.pool, {
  get(target, prop, receiver) {
    if (prop !== 'query') return Reflect.get(target, prop, receiver);
    return async (...args: unknown[]) => {
      const start = performance.now();
      try {
        return await (target.query as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        engineDbMs += performance.now() - start;
        engineDbQueries++;
      }
    };
  },
});
const engine = createEngine({ pool: enginePool, settings, log });
const calls: Call[] = [];
const worker = await startWorker({
  pool: services.db.pool,
  boss: services.boss,
  log,
  enricher: timed(engine, calls),
  companies: offlineCompanies(services.db.pool),
  notifiers: {},
  concurrency: settings.workerConcurrency,
  perDomainConcurrency: cap,
  progressIntervalSeconds: 2,
});

// ---- Pass 1: every person, nothing learned ---------------------------------------------------
engineDbMs = 0;
engineDbQueries = 0;
const cpu0 = process.cpuUsage();
const worldCpu0 = (await world.stats()).cpuSeconds;
const machine0 = await machineCpu();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const samples: { at: number; inFlight: number; poolWaiting: number }[] = [];
const sampler = setInterval(() => samples.push({ at: performance.now(), inFlight, poolWaiting: services.db.pool.waitingCount }), 100);
const t0 = performance.now();
const list1 = await submitCsv(services, peopleCsv(bench.input), { filename: 'bench-engine.csv' });
const done1 = await waitForList(settings, services, list1);
const t1 = performance.now();
clearInterval(sampler);
loopDelay.disable();
const cpu1 = process.cpuUsage(cpu0);
const machine1 = await machineCpu();
const dbMs1 = engineDbMs;
const dbQueries1 = engineDbQueries;
const stats1 = await world.stats();
const totals1 = stats1.totals;
const hosts1 = stats1.hosts;
const answers1 = await answersOf(services.db.pool, list1);
const scored1 = score(bench.input, answers1, byDomain);

// ---- Pass 2: import known addresses at the catch-all domains, then ask again -----------------
const tmp = await mkdtemp(path.join(os.tmpdir(), 'toofr-bench-engine-'));
const knownFile = path.join(tmp, 'known.csv');
await writeFile(knownFile, knownCsv(bench.known));
const learned = await learnFile(engine, knownFile);
await rm(tmp, { recursive: true, force: true });
const catchAllPeople = bench.input.filter((p) => {
  const d = byDomain.get(p.domain)!;
  return CATCH_ALL.has(d.behaviour) && REACHABLE.has(d.dns);
});
const list2 = await submitCsv(services, peopleCsv(catchAllPeople), { filename: 'bench-engine-catch-all.csv' });
await waitForList(settings, services, list2);
const answers2 = await answersOf(services.db.pool, list2);
const scored2 = score(catchAllPeople, answers2, byDomain);

await worker.stop(5000);
await services.close();
await engine.close();
await world.stop();
await db.close();

// ---- Figures -----------------------------------------------------------------------------------
const N = bench.input.length;
const wallS = (t1 - t0) / 1000;
const v = validFigures(scored1);
const top0 = topOne(scored1);
const top1 = topOne(scored2);
const cal = calibration([...scored1, ...scored2]);
const cal1 = calibration(scored1);
const floor = calibrationNoiseFloor([...scored1, ...scored2], SEED);
const naive = naiveCost(scored1);
const smtpRecords = scored1.filter((s) => REACHABLE.has(s.domain.dns)).length;

const firstCalls = calls.filter((c) => c.attempt === 0).slice(0, done1.total_rows - done1.bad_rows);
const engineStart = Math.min(...firstCalls.map((c) => c.start));
const rechecks = calls.filter((c) => c.attempt > 0 && c.end <= t1).length;
const pass1Calls = calls.filter((c) => c.end <= t1);
const engineBusyS = pass1Calls.reduce((a, c) => a + (c.end - c.start), 0) / 1000;
const engineEnd = Math.max(...pass1Calls.map((c) => c.end));
const slotsBusy = engineBusyS / (((engineEnd - engineStart) / 1000) * settings.workerConcurrency);
const windowShare = (engineEnd - engineStart) / (t1 - t0);
const inWindow = samples.filter((x) => x.at >= engineStart && x.at <= engineEnd);
const poolWaitMean = inWindow.reduce((a, x) => a + x.poolWaiting, 0) / Math.max(1, inWindow.length);
const poolWaitMax = Math.max(0, ...inWindow.map((x) => x.poolWaiting));
const timeline: string[] = [];
for (let at = t0; at < t1; at += 1000) {
  const xs = samples.filter((x) => x.at >= at && x.at < at + 1000);
  timeline.push(xs.length ? fmt(xs.reduce((a, x) => a + x.inFlight, 0) / xs.length, 0) : '-');
}

// Network-bound ideal: every one of the 50 slots always waiting on the network and nothing else.
// Network time of the run = sessions × (measured setup) + (MAIL + RCPT replies) × (measured reply time).
const L = minimal.rcptMs;
const mails = totals1.commands.MAIL ?? 0;
const networkS = (totals1.sessions * minimal.setupMs + (mails + totals1.rcpts) * L) / 1000;
const perRecordMs = (1000 * networkS) / N;
const idealRps = settings.workerConcurrency / (perRecordMs / 1000);
const rps = N / wallS;
const networkShare = networkS / engineBusyS;
const peak = Math.max(0, ...hosts1.map((h) => h.peak));
const overCap = hosts1.filter((h) => h.peak > cap);
const refused = hosts1.reduce((a, h) => a + h.refused, 0);

out('## Accuracy');
out();
table([
  ['figure', 'measured', 'target', ''],
  ['precision of `valid` (right / answered valid)', `${pct(v.validRight, v.valid, 2)} (${v.validRight}/${v.valid})`, '100 %', verdict(v.valid > 0 && v.validRight === v.valid)],
  ['recall of `valid`, domains rejecting unknown users', `${pct(v.found, v.findable, 2)} (${v.found}/${v.findable})`, '≥ 99 %', verdict(v.findable > 0 && v.found / v.findable >= 0.99)],
  ['top-1 on catch-all domains, nothing learned', `${pct(top0.right, top0.people)} (${top0.right}/${top0.people})`, '—', ''],
  [`top-1 on catch-all domains, ${KNOWN_PER_CATCH_ALL} known addresses each imported`, `${pct(top1.right, top1.people)} (${top1.right}/${top1.people})`, '—', ''],
  [`calibration: mean |confidence − observed| per band (bands ≥ ${MIN_BAND} answers)`, `${fmt(cal.meanGap, 1)} points`, '≤ 5', verdict(cal.meanGap <= 5)],
  ['calibration, answer-weighted (ECE)', `${fmt(cal.weightedGap, 1)} points`, '—', ''],
]);
out();
out(`known addresses imported: ${learned.learned} of ${learned.rows} rows at ${learned.domains} domains${learned.skipped.length ? ` (${learned.skipped.length} skipped)` : ''}`);
if (v.wrongValid.length) out(`wrong \`valid\` answers: ${v.wrongValid.slice(0, 5).map((s) => `${s.person.first} ${s.person.last}@${s.person.domain} → ${s.answer.email} (truth ${s.person.email})`).join('; ')}`);
if (v.missed.length) {
  const why = new Map<string, number>();
  for (const s of v.missed) {
    const key = `${s.answer.status}/${s.answer.verification}${s.answer.email && !s.right ? ' wrong address' : ''}`;
    why.set(key, (why.get(key) ?? 0) + 1);
  }
  out(`missed findable people: ${v.missed.length} — ${[...why].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  for (const s of v.missed.slice(0, 8)) out(`  ${s.person.first} ${s.person.last} @ ${s.domain.domain} (${s.domain.behaviour}, ${s.domain.pattern}) truth ${s.person.email} → ${s.answer.email ?? '—'} ${s.answer.status}/${s.answer.verification}`);
}
out();

out('## Calibration (both passes; an answer is right when its address is the person\'s)');
out();
table([
  ['band', 'answers', 'mean confidence', 'observed accuracy', '± (95 %, chance alone)', '|gap|'],
  ...cal.bands.map((b) => [
    `${b.lo}–${b.hi}`, String(b.n), fmt(b.meanConfidence, 1), `${fmt(b.observed, 1)} %`,
    fmt(196 * Math.sqrt(Math.max(b.meanConfidence, 1) / 100 * (1 - Math.min(b.meanConfidence, 99) / 100) / b.n), 1),
    `${fmt(b.gap, 1)}${b.n < MIN_BAND ? ' (not judged)' : ''}`,
  ]),
]);
out();
out(`answers naming an address: ${cal.answered}; answers without one (confidence 0): ${cal.noAddress}, of which ${pct(cal.noAddressRight, cal.noAddress)} rightly so (no deliverable address there)`);
out(`pass 1 alone: mean gap ${fmt(cal1.meanGap, 1)} points over judged bands, ECE ${fmt(cal1.weightedGap, 1)}`);
const beyondChance = cal.bands.filter((b) => b.n >= MIN_BAND && b.gap > 196 * Math.sqrt(Math.max(b.meanConfidence, 1) / 100 * (1 - Math.min(b.meanConfidence, 99) / 100) / b.n));
out(`bands whose gap is beyond chance (95 %): ${beyondChance.length ? beyondChance.map((b) => `${b.lo}–${b.hi} (${b.observed > b.meanConfidence ? 'under' : 'over'}-confident by ${fmt(b.gap, 1)})`).join(', ') : 'none'}`);
out(`noise floor: a perfectly calibrated score on these same answers (each right with probability confidence/100, independently)`);
out(`  would show a mean gap of ${fmt(floor.median, 1)} (median of 500 draws; 90th percentile ${fmt(floor.p90, 1)}) from chance alone. Answers at one`);
out(`  catch-all domain are right or wrong together (one pattern), so the real noise is larger.`);
out(`weights: fitted on seed 1 (SCORE_WEIGHTS in core/engine/score.ts, PRIOR_STRENGTH in core/engine/patterns.ts); ${SEED === 1 ? 'run another seed to check them' : `seed ${SEED} is a check`}.`);
out();

out('## SMTP cost');
out();
table([
  [`per record at a domain with reachable mail servers (pass 1, ${smtpRecords} records)`, 'Toofr (counted by the servers)', 'naive: one session per candidate (computed)', 'Toofr ÷ naive'],
  ['SMTP connections', fmt(totals1.connections / smtpRecords, 2), fmt(naive.connections / naive.records, 2), pct(totals1.connections / smtpRecords, naive.connections / naive.records)],
  ['RCPT commands', fmt(totals1.rcpts / smtpRecords, 2), fmt(naive.rcpts / naive.records, 2), pct(totals1.rcpts / smtpRecords, naive.rcpts / naive.records)],
  ['MAIL transactions', fmt(mails / smtpRecords, 2), fmt(naive.connections / naive.records, 2), pct(mails / smtpRecords, naive.connections / naive.records)],
]);
out();
out(`Toofr totals: ${totals1.connections} connections (${totals1.sessions} sessions), ${mails} MAIL, ${totals1.rcpts} RCPT (catch-all probes and greylist re-checks included), ${totals1.data} DATA.`);
out(`Naive: ${naive.connections} connections, each with one MAIL and one RCPT, for the same ${naive.records} records: candidates from the prior alone (it learns nothing),`);
out(`  asked in rank order until one is accepted (the first, on a catch-all domain), no catch-all probe, no greylist re-tries (which flatters it).`);
out();

out('## Speed and politeness');
out();
table([
  ['figure', 'measured', 'target', ''],
  ['records/s (pass 1, upload → list delivered)', `${fmt(rps, 1)} (${N} records in ${fmt(wallS, 1)} s)`, '', ''],
  ['network-bound ideal records/s', fmt(idealRps, 1), '', ''],
  ['records/s ÷ ideal', pct(rps, idealRps), '≥ 80 %', verdict(rps / idealRps >= 0.8)],
  [`peak concurrent sessions on one MX host (cap ${cap})`, `${peak}${overCap.length ? ` — over the cap at ${overCap.length} hosts` : ''}`, `≤ ${cap}`, verdict(peak <= cap)],
  ['421 "too many connections" at hosts limited to the cap', String(refused), '0', verdict(refused === 0)],
  ['DATA commands', String(totals1.data), '0', verdict(totals1.data === 0)],
]);
out();
out(`ideal = WORKER_CONCURRENCY / network time per record = ${settings.workerConcurrency} / ${fmt(perRecordMs, 0)} ms, where network time per record =`);
out(`  (sessions × session setup + (MAIL + RCPT replies) × reply time) / records = (${totals1.sessions} × ${fmt(minimal.setupMs, 0)} ms + (${mails} + ${totals1.rcpts}) × ${fmt(L, 0)} ms) / ${N};`);
out(`  setup (connect, greeting incl. smtp-server's fixed 100 ms pause, EHLO, STARTTLS, EHLO) and reply time are medians measured`);
out(`  with one client on an idle host before the run (first MAIL+RCPT of a session ${fmt(minimal.firstRcptMs, 0)} ms). Counts are the servers' own.`);
out(`  The ideal leaves out CPU, Postgres, the queue, and the ≥ 1 s before a greylisted record's re-check: it is what 50 slots that only`);
out(`  ever wait on the network would do.`);
out();
out(`where the rest went (the three factors multiply to records/s ÷ ideal):`);
table([
  ['factor', 'measured', 'meaning'],
  ['engine window ÷ wall time', pct(windowShare, 1), `first find() ${fmt((engineStart - t0) / 1000, 2)} s after upload (import), last one ended ${fmt((t1 - engineEnd) / 1000, 2)} s before delivery`],
  ['slots busy in the window', pct(slotsBusy, 1), `mean lookups running ${fmt(slotsBusy * settings.workerConcurrency, 1)} of ${settings.workerConcurrency}; ${rechecks} greylist re-checks wait ≥ 1 s in the queue`],
  ['network time ÷ find() time', pct(networkShare, 1), `find() took ${fmt((1000 * engineBusyS) / Math.max(1, pass1Calls.length), 0)} ms on average over ${pass1Calls.length} calls vs ${fmt((1000 * networkS) / Math.max(1, pass1Calls.length), 0)} ms of network`],
]);
out();
out(`load: in ${fmt(wallS, 1)} s the engine + worker process used ${fmt((cpu1.user + cpu1.system) / 1e6, 1)} s of CPU, the mail world's process (${world.domains.reduce((a, d) => a + d.hosts.length, 0)} SMTP servers) ${fmt(stats1.cpuSeconds - worldCpu0, 1)} s;`);
out(`  the whole machine (Postgres included) was ${pct(machine1.busy - machine0.busy, machine1.total - machine0.total)} busy; event-loop delay (beyond the 10 ms sampling) p50 ${fmt(Math.max(0, loopDelay.percentile(50) / 1e6 - 10), 1)} ms, p99 ${fmt(Math.max(0, loopDelay.percentile(99) / 1e6 - 10), 1)} ms;`);
out(`  the engine's own Postgres queries: ${fmt(dbQueries1 / Math.max(1, pass1Calls.length), 1)} per find(), ${fmt(dbMs1 / Math.max(1, pass1Calls.length), 0)} ms per find() in all;`);
out(`  lookups waiting for a Postgres connection (pool of 20): mean ${fmt(poolWaitMean, 1)}, max ${poolWaitMax}.`);
out(`lookups running, mean per second from upload to delivery: ${timeline.join(' ')}`);
out();

if (args.dump) {
  const rows = (all: Scored[], pass: number) =>
    all.map((s) => ({ pass, person: s.person, behaviour: s.domain.behaviour, dns: s.domain.dns, pattern: s.domain.pattern, right: s.right, answer: s.answer }));
  await writeFile(args.dump, JSON.stringify([...rows(scored1, 1), ...rows(scored2, 2)]));
  await writeFile(`${args.dump}.calls.json`, JSON.stringify(calls.map((c) => ({ ...c, start: c.start - t0, end: c.end - t0 }))));
  out(`answers written to ${args.dump}`);
}
