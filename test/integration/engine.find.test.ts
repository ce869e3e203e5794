/**
 * The assembled engine (createEngine) end to end: real Postgres for what it remembers, the real
 * DNS resolver and SMTP checker against the mail world, and the world's ground truth and
 * counters to judge it by. Tests in this file run in order and share one engine, as lookups in
 * one worker process do (learned patterns, cached catch-all verdicts and cool-downs carry over).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import type { EnrichContext } from '../../core/enricher.ts';
import type { FindAnswer, FindInput, VerifyAnswer } from '../../core/engine/types.ts';
import { createEngine, type Engine } from '../../core/engine/engine.ts';
import { parseName } from '../../core/engine/names.ts';
import { addressFor, standardWorld, startMailWorld, type DomainSpec, type MailWorld, type Person } from '../mailworld/index.ts';
import { freshServices } from '../helpers/db.ts';

// The standard world, plus a few domains the standard one lacks.
const EXTRA_DOMAINS: DomainSpec[] = [
  // {first}{last}: fourth in the prior, so the first person there costs several RCPTs.
  { domain: 'initech.test', pattern: '{first}{last}', behaviour: 'rejects_unknown' },
  // {last}{f}: twelfth in the prior, past the old cut of ten candidates.
  { domain: 'hooli.test', pattern: '{last}{f}', behaviour: 'rejects_unknown' },
  // Real webmail and disposable names, served by the world, for verify()'s flags.
  { domain: 'gmail.com', pattern: '{first}.{last}', behaviour: 'rejects_unknown' },
  { domain: 'mailinator.com', pattern: '{first}', behaviour: 'accept_all' },
];
const EXTRA_PEOPLE: [string, string, string][] = [
  ['Peter', 'Gibbons', 'initech.test'],
  ['Michael', 'Bolton', 'initech.test'],
  ['Gavin', 'Belson', 'hooli.test'],
  ['Jane', 'Doe', 'gmail.com'],
  // A second umlaut name at the company that writes ü as ue (the standard world's umlaut.test).
  ['Jürgen', 'Schröder', 'umlaut.test'],
];
// The first host the world lays out (mx1.acme.test) listens on 127.0.0.2; this DNS name points a
// public-looking domain's MX at it, at RFC 1918 space and at the cloud metadata address.
const LISTENING_IP = '127.0.0.2';

let world: MailWorld;
let settings: Settings;
let services: Services;
let log: Logger;
let engine: Engine;
/** The confidence of a proven address (the first test), to compare weaker answers with. */
let provenConfidence = 0;
const ctx = (attempt = 0): EnrichContext => ({ signal: new AbortController().signal, attempt });

before(async () => {
  const std = standardWorld();
  const people: Person[] = [...std.people];
  for (const [first, last, domain] of EXTRA_PEOPLE) {
    const spec = [...EXTRA_DOMAINS, ...std.domains].find((d) => d.domain === domain)!;
    people.push({ first, last, domain, email: addressFor({ first, last }, spec), mailbox: 'active' });
  }
  world = await startMailWorld({
    world: { domains: [...std.domains, ...EXTRA_DOMAINS], people },
    extraRecords: {
      'intranet-example.com': { MX: [{ exchange: 'mx.intranet-example.com', priority: 10 }] },
      'mx.intranet-example.com': { A: ['10.0.0.5', '169.254.169.254', LISTENING_IP] },
    },
  });
  ({ settings, services, log } = await freshServices('engine.find', {
    ...world.env,
    // Small enough that slow.test (3 s per RCPT) times out quickly, large enough for a busy CI box.
    SMTP_TIMEOUT_MS: '1000',
    SMTP_HELO_NAME: 'verify.toofr.test',
    SMTP_MAIL_FROM: 'verify@toofr.test',
  }));
  engine = createEngine({ pool: services.db.pool, settings, log });
});

after(async () => {
  await engine?.close();
  await services?.close();
  await world?.stop();
});

// ---------------------------------------------------------------------------------------------

function truth(first: string, last: string, domain: string): string {
  const p = world.people.find((x) => x.first === first && x.last === last && x.domain === domain);
  assert.ok(p?.email, `no ground truth for ${first} ${last} at ${domain}`);
  return p.email;
}

/** Invariants every answer keeps, whatever it says. */
function checked<T extends FindAnswer | VerifyAnswer>(a: T): T {
  const sum = a.score_parts.reduce((n, p) => n + p.points, 0);
  assert.equal(sum, a.confidence, `score parts ${JSON.stringify(a.score_parts)} add up to the confidence`);
  assert.ok(a.confidence >= 0 && a.confidence <= 100);
  if ('status' in a) {
    if (a.status === 'found') assert.ok(a.email, 'a found answer has an address');
    if (a.email) assert.ok(a.candidates.some((c) => c.email === a.email), 'the answer is one of its candidates');
    if (a.status === 'rechecking') assert.ok((a.retry_after_seconds ?? 0) > 0, 'rechecking says when');
    if (a.status !== 'found' && a.status !== 'rechecking' && a.status !== 'unknown') assert.equal(a.email, null);
  }
  return a;
}

async function find(input: FindInput, attempt = 0): Promise<FindAnswer> {
  return checked(await engine.find(input, ctx(attempt)));
}

async function domainRow(domain: string) {
  const { rows } = await services.db.pool.query<{ mx_status: string | null; accept_all: boolean | null; pattern_counts: Record<string, number> }>(
    'SELECT mx_status, accept_all, pattern_counts FROM domains WHERE domain = $1',
    [domain],
  );
  return rows[0];
}

const hostOf = (domain: string) => world.stats.host(world.domain(domain).hosts.find((h) => h.listening)!.name);

// ---------------------------------------------------------------------------------------------

describe('a domain that rejects unknown users', () => {
  test('finds the person: valid, confident, the real pattern, parts that add up; the pattern is learned', async () => {
    const host = hostOf('acme.test');
    const rcpts = host.rcpts;
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'acme.test' });
    assert.equal(a.status, 'found');
    assert.equal(a.verification, 'valid');
    assert.equal(a.email, truth('Jane', 'Doe', 'acme.test'));
    assert.ok(a.confidence >= 95, `confidence ${a.confidence}`);
    provenConfidence = a.confidence;
    assert.equal(a.pattern, world.domain('acme.test').pattern);
    assert.equal(a.accept_all, false);
    assert.deepEqual(a.mx, ['mx1.acme.test']);
    assert.ok(['pattern', 'smtp', 'mail_servers'].every((part) => a.score_parts.some((p) => p.part === part)), JSON.stringify(a.score_parts));
    assert.equal(host.rcpts - rcpts, 2, 'the right address first, then one catch-all probe');
    const row = await domainRow('acme.test');
    assert.equal(row?.accept_all, false, 'the probe was refused, and that is remembered');
    assert.deepEqual(row?.pattern_counts, { '{first}.{last}': 1 });
    assert.equal(row?.mx_status, 'ok');
  });

  test('a second person at a domain whose pattern is not the usual one needs fewer RCPTs: the learned pattern goes first', async () => {
    const host = hostOf('initech.test');
    let rcpts = host.rcpts;
    const first = await find({ first: 'Peter', last: 'Gibbons', domain: 'initech.test' });
    assert.equal(first.verification, 'valid');
    assert.equal(first.email, truth('Peter', 'Gibbons', 'initech.test'));
    const firstCost = host.rcpts - rcpts;
    assert.ok(firstCost >= 3, `likelier patterns rejected first, then the right one and a probe (${firstCost} RCPTs)`);
    assert.deepEqual((await domainRow('initech.test'))?.pattern_counts, { '{first}{last}': 1 });

    rcpts = host.rcpts;
    const second = await find({ first: 'Michael', last: 'Bolton', domain: 'initech.test' });
    assert.equal(second.verification, 'valid');
    assert.equal(second.email, truth('Michael', 'Bolton', 'initech.test'));
    assert.equal(second.candidates[0]!.pattern, '{first}{last}', 'the learned pattern is ranked first');
    assert.equal(host.rcpts - rcpts, 1, 'one RCPT: the learned pattern, and the catch-all verdict is cached');
    assert.ok(second.confidence >= 95);
    assert.deepEqual((await domainRow('initech.test'))?.pattern_counts, { '{first}{last}': 2 });
  });

  test('an unusual pattern ({last}{f}) is still asked on a domain nothing is known about', async () => {
    const a = await find({ first: 'Gavin', last: 'Belson', domain: 'hooli.test' });
    assert.equal(a.verification, 'valid');
    assert.equal(a.email, truth('Gavin', 'Belson', 'hooli.test'));
    assert.equal(a.pattern, '{last}{f}');
  });

  test('someone who does not work there: not found, every candidate rejected, nothing learned', async () => {
    const before = (await domainRow('acme.test'))?.pattern_counts;
    const a = await find({ first: 'Sam', last: 'Stranger', domain: 'acme.test' });
    assert.equal(a.status, 'not_found');
    assert.equal(a.email, null);
    assert.ok(a.confidence <= 5, `confidence ${a.confidence}`);
    assert.ok(a.candidates.length > 0);
    assert.ok(a.candidates.every((c) => c.verification === 'invalid'), JSON.stringify(a.candidates));
    assert.match(a.reason ?? '', /rejected all \d+ likely addresses/);
    assert.deepEqual((await domainRow('acme.test'))?.pattern_counts, before);
  });

  test('a full inbox: the address, unknown (it exists but takes no mail now); a disabled mailbox: not found, and why', async () => {
    const full = await find({ first: 'Fred', last: 'Full', domain: 'acme.test' });
    assert.equal(full.email, truth('Fred', 'Full', 'acme.test'));
    assert.equal(full.verification, 'unknown');
    assert.equal(full.status, 'unknown');
    assert.match(full.reason ?? '', /full|quota/i);
    assert.ok(full.confidence < provenConfidence, `confidence ${full.confidence}: below a deliverable address`);

    const disabled = await find({ first: 'Dora', last: 'Disabled', domain: 'acme.test' });
    assert.equal(disabled.status, 'not_found');
    assert.equal(disabled.email, null);
    assert.match(disabled.reason ?? '', new RegExp(`${truth('Dora', 'Disabled', 'acme.test')} exists but is disabled`));
  });

  test('José Müller at a company that spells ü as ue', async () => {
    const a = await find({ first: 'José', last: 'Müller', domain: 'umlaut.test' });
    assert.equal(a.verification, 'valid');
    assert.equal(a.email, truth('José', 'Müller', 'umlaut.test'));
    assert.equal(a.email, 'jose.mueller@umlaut.test');
  });

  test('the next umlaut name there is asked with ue first: the domain learned its spelling', async () => {
    assert.deepEqual((await engine.store.get('umlaut.test')).spelling, { expand: 1 });
    const a = await find({ first: 'Jürgen', last: 'Schröder', domain: 'umlaut.test' });
    assert.equal(a.verification, 'valid');
    assert.equal(a.email, 'juergen.schroeder@umlaut.test');
    assert.equal(a.candidates[0]!.email, 'juergen.schroeder@umlaut.test', 'the learned spelling leads');
  });
});

describe('a catch-all domain', () => {
  test('accept_all, found, low confidence; nothing learned; the verdict is cached and the next lookup sends no RCPT', async () => {
    const host = hostOf('catchall.test');
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'catchall.test' });
    assert.equal(a.verification, 'accept_all');
    assert.equal(a.status, 'found');
    assert.equal(a.accept_all, true);
    assert.ok(a.confidence < 60, `confidence ${a.confidence}`);
    assert.ok(a.score_parts.some((p) => p.part === 'accept_all' && p.points < 0));
    const row = await domainRow('catchall.test');
    assert.equal(row?.accept_all, true);
    assert.deepEqual(row?.pattern_counts, {}, 'a 250 from a catch-all proves no pattern');

    const rcpts = host.rcpts;
    const connections = host.connections;
    const b = await find({ first: 'José', last: 'Müller', domain: 'catchall.test' });
    assert.equal(b.verification, 'accept_all');
    assert.equal(host.rcpts, rcpts, 'no RCPT at all');
    assert.equal(host.connections, connections, 'not even a connection');
  });

  test('after learning known addresses there, the top guess follows the learned pattern and scores higher', async () => {
    const host = hostOf('catchall.test');
    const before = await find({ first: 'Jane', last: 'Doe', domain: 'catchall.test' });
    for (const [first, last] of [['Alice', 'Walker'], ['Bob', 'Marley'], ['Carl', 'Sagan']] as const) {
      const n = parseName({ first, last });
      assert.ok(n.ok);
      assert.deepEqual(await engine.learnAddress(n.name, `${first[0]}${last}@catchall.test`.toLowerCase()), ['{f}{last}']);
    }
    assert.deepEqual((await domainRow('catchall.test'))?.pattern_counts, { '{f}{last}': 3 });
    const rcpts = host.rcpts;
    const after = await find({ first: 'Jane', last: 'Doe', domain: 'catchall.test' });
    assert.equal(after.email, truth('Jane', 'Doe', 'catchall.test'));
    assert.equal(after.pattern, '{f}{last}');
    assert.equal(after.verification, 'accept_all');
    assert.ok(after.confidence > before.confidence, `${after.confidence} > ${before.confidence}`);
    assert.equal(host.rcpts, rcpts);
  });

  test('Microsoft-365-like (accepts every RCPT): accept_all, weak', async () => {
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'contoso.test' });
    assert.equal(a.status, 'found');
    assert.equal(a.verification, 'accept_all');
    assert.ok(a.confidence < 60, `confidence ${a.confidence}`);
    assert.deepEqual((await domainRow('contoso.test'))?.pattern_counts, {});
  });
});

describe('servers that do not give a straight answer', () => {
  test('greylisting: rechecking with a retry delay, then valid on the next attempt', async () => {
    const first = await find({ first: 'Jane', last: 'Doe', domain: 'greylist.test' }, 0);
    assert.equal(first.status, 'rechecking');
    assert.equal(first.verification, 'unknown');
    assert.equal(first.retry_after_seconds, 1, 'the world says "Greylisted for 1 seconds"');
    assert.equal(first.retry_kind, 'deferred');
    assert.match(first.reason ?? '', /greylist/i);
    assert.ok(first.candidates.every((c) => c.verification !== 'invalid' && c.verification !== 'valid'));
    assert.deepEqual((await domainRow('greylist.test'))?.pattern_counts ?? {}, {});

    const second = await find({ first: 'Jane', last: 'Doe', domain: 'greylist.test' }, 1);
    assert.equal(second.status, 'found');
    assert.equal(second.verification, 'valid');
    assert.equal(second.email, truth('Jane', 'Doe', 'greylist.test'));
    assert.equal(second.retry_after_seconds, undefined);
    assert.equal(second.retry_kind, undefined);
  });

  test('blocked (5.7.1, Spamhaus): unknown, never invalid, not worth re-queueing; the host is then left alone', async () => {
    const host = hostOf('blocked.test');
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'blocked.test' });
    assert.equal(a.verification, 'unknown');
    assert.equal(a.status, 'unknown');
    assert.equal(a.retry_after_seconds, undefined);
    assert.match(a.reason ?? '', /spamhaus/i);
    assert.ok(a.candidates.every((c) => c.verification !== 'invalid'));
    assert.ok(a.confidence <= 70);

    // The next person at that domain: the verifier leaves the host alone for a while; that must
    // still read as "blocked" (unknown), not as a temporary failure to re-queue for an hour.
    const connections = host.connections;
    const b = await find({ first: 'José', last: 'Müller', domain: 'blocked.test' });
    assert.equal(host.connections, connections, 'not contacted again');
    assert.equal(b.status, 'unknown');
    assert.equal(b.retry_after_seconds, undefined);
    assert.match(b.reason ?? '', /refused our checker/);
    assert.ok(b.candidates.every((c) => c.verification !== 'invalid'));
  });

  test('slow server: unknown, and the reason says it did not answer in time', async () => {
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'slow.test' });
    assert.equal(a.verification, 'unknown');
    assert.equal(a.status, 'rechecking');
    assert.match(a.reason ?? '', /no reply in time/);
    assert.ok(a.candidates.every((c) => c.verification !== 'invalid'));
  });

  test('a server that drops the connection: unknown, re-checked later, and says so', async () => {
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'drop.test' });
    assert.equal(a.verification, 'unknown');
    assert.equal(a.status, 'rechecking');
    assert.match(a.reason ?? '', /closed the connection/);
  });

  test('a drop in the middle of a session: reconnects once and finds the person', async () => {
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'midsession.test' });
    assert.equal(a.verification, 'valid');
    assert.equal(a.email, truth('Jane', 'Doe', 'midsession.test'));
  });

  test('nothing listening: unknown, re-checked later', async () => {
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'refused.test' });
    assert.equal(a.verification, 'unknown');
    assert.equal(a.status, 'rechecking');
    assert.match(a.reason ?? '', /ECONNREFUSED|could not connect/);
  });

  test('primary MX refuses connections: the backup MX answers', async () => {
    const backup = world.stats.host('mx2.backup.test');
    const sessions = backup.sessions;
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'backup.test' });
    assert.equal(a.verification, 'valid');
    assert.equal(a.email, truth('Jane', 'Doe', 'backup.test'));
    assert.deepEqual(a.mx, ['mx1.backup.test', 'mx2.backup.test']);
    assert.ok(backup.sessions > sessions);
  });
});

describe('DNS', () => {
  test('no MX but an A record: mail goes to the A record, and it works', async () => {
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'nomx.test' });
    assert.equal(a.verification, 'valid');
    assert.equal(a.email, truth('Jane', 'Doe', 'nomx.test'));
    assert.deepEqual(a.mx, ['nomx.test']);
    assert.equal((await domainRow('nomx.test'))?.mx_status, 'a_fallback');
  });

  test('null MX and NXDOMAIN: no_mail, no SMTP at all', async () => {
    const before = world.stats.totals().connections;
    const nullMx = await find({ first: 'Jane', last: 'Doe', domain: 'nullmx.test' });
    assert.equal(nullMx.status, 'no_mail');
    assert.equal(nullMx.email, null);
    assert.equal(nullMx.confidence, 0);
    assert.match(nullMx.reason ?? '', /null MX/);
    const gone = await find({ first: 'Jane', last: 'Doe', domain: 'gone.test' });
    assert.equal(gone.status, 'no_mail');
    assert.match(gone.reason ?? '', /does not exist|NXDOMAIN/);
    assert.equal(world.stats.totals().connections, before);
  });

  test('SERVFAIL: rechecking, not cached, and scored as "unknown", not as "takes no mail"', async () => {
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'servfail.test' });
    assert.equal(a.status, 'rechecking');
    assert.equal(a.verification, 'unknown');
    assert.ok((a.retry_after_seconds ?? 0) > 0);
    assert.match(a.reason ?? '', /SERVFAIL/);
    assert.doesNotMatch(a.reason ?? '', /failed.*failed/, 'said once');
    // Nothing is known about its mail servers, so the guess keeps its pattern evidence.
    const mail = a.score_parts.find((p) => p.part === 'mail_servers');
    assert.equal(mail?.points, 0, JSON.stringify(a.score_parts));
    assert.ok(a.confidence > 0);
    assert.equal((await domainRow('servfail.test'))?.mx_status ?? null, null, 'a DNS failure is not cached');
  });

  test('MX on private addresses with ALLOW_PRIVATE_MX off: refused without connecting, with a reason', async () => {
    assert.equal(world.domain('acme.test').hosts[0]!.ip, LISTENING_IP, 'the fixture points at a host that listens');
    const strict = createEngine({ pool: services.db.pool, settings: { ...settings, smtp: { ...settings.smtp, allowPrivate: false } }, log });
    try {
      const totals = world.stats.totals();
      const acme = world.stats.host('mx1.acme.test').connections;
      const a = checked(await strict.find({ first: 'Jane', last: 'Doe', domain: 'intranet-example.com' }, ctx()));
      assert.equal(a.status, 'unknown', 'we refused to look; the domain may well take mail');
      assert.equal(a.email, null);
      assert.match(a.reason ?? '', /private addresses.*refused/);
      assert.ok(world.stats.dnsQueries.includes('mx.intranet-example.com A'), 'it was looked up');
      // The same guard on verify(), for a world domain whose real host listens on loopback (one no
      // other test uses: the refusal is cached in the domains table like any DNS answer).
      const limited = world.stats.host('mx1.limited.test').connections;
      const v = checked(await strict.verify('jane.doe@limited.test', ctx()));
      assert.equal(v.verification, 'unknown');
      assert.match(v.reason, /private addresses/);
      assert.equal(world.stats.host('mx1.acme.test').connections, acme);
      assert.equal(world.stats.host('mx1.limited.test').connections, limited);
      assert.equal(world.stats.totals().connections, totals.connections, 'no connection anywhere');
      // And a .test name is not a company domain when the operator has not allowed labs.
      const reserved = checked(await strict.find({ first: 'Jane', last: 'Doe', domain: 'private.test' }, ctx()));
      assert.equal(reserved.status, 'bad_input');
    } finally {
      await strict.close();
    }
  });
});

describe('input', () => {
  test('rows that cannot be looked up: bad_input, with a reason the user can act on', async () => {
    const cases: [FindInput, RegExp][] = [
      [{ first: 'Jane', last: 'Doe' }, /no company website or domain/],
      [{ first: 'Jane', last: 'Doe', company: 'Acme Inc' }, /company name, not a domain/],
      [{ full_name: 'jane.doe@acme.test', domain: 'acme.test' }, /email address, not a name/],
    ];
    for (const [input, reason] of cases) {
      const a = await find(input);
      assert.equal(a.status, 'bad_input', JSON.stringify(input));
      assert.match(a.reason ?? '', reason);
      assert.match(engine.checkInput(input).reason ?? '', reason, 'the importer is told the same');
    }
    assert.deepEqual(engine.checkInput({ first: 'Jane', last: 'Doe', company: 'https://www.acme.test/about' }), { domain: 'acme.test' });
  });

  test('a webmail domain: not found, with a reason, and no lookup', async () => {
    const queries = world.stats.dnsQueries.length;
    const a = await find({ first: 'Jane', last: 'Doe', domain: 'gmail.com' });
    assert.equal(a.status, 'not_found');
    assert.match(a.reason ?? '', /webmail/);
    assert.equal(world.stats.dnsQueries.length, queries);
  });

  test('a row with only an email address is verified', async () => {
    const a = await find({ email: 'Jane.Doe@acme.test' });
    assert.equal(a.status, 'found');
    assert.equal(a.verification, 'valid');
    assert.equal(a.email, 'jane.doe@acme.test');
    const bad = await find({ email: 'nobody-at-all@acme.test' });
    assert.equal(bad.status, 'not_found');
    assert.equal(bad.verification, 'invalid');
  });

  test('a row with a name and an address checks the address first, and guesses only when it is rejected', async () => {
    const kept = await find({ first: 'Jane', last: 'Doe', domain: 'acme.test', email: 'jane.doe@acme.test' });
    assert.equal(kept.email, 'jane.doe@acme.test');
    assert.equal(kept.verification, 'valid');
    assert.equal(kept.pattern, '{first}.{last}', 'the pattern is read off the given address');
    assert.equal(kept.candidates.length, 1, 'nothing else was guessed');

    const replaced = await find({ first: 'Jane', last: 'Doe', domain: 'acme.test', email: 'j.doe.old@acme.test' });
    assert.equal(replaced.email, 'jane.doe@acme.test', 'the right address replaces the rejected one');
    assert.equal(replaced.verification, 'valid');
    assert.match(replaced.reason ?? '', /j\.doe\.old@acme\.test, was rejected/);
  });
});

describe('verify()', () => {
  const verify = async (email: string) => checked(await engine.verify(email, ctx()));

  test('valid, invalid, accept_all, unknown', async () => {
    const valid = await verify('jose.muller@acme.test');
    assert.equal(valid.verification, 'valid');
    assert.ok(valid.confidence >= 95);
    assert.equal(valid.accept_all, false);
    const invalid = await verify('xavier.nobody@acme.test');
    assert.equal(invalid.verification, 'invalid');
    assert.ok(invalid.confidence <= 2);
    assert.match(invalid.reason, /5\.1\.1/);
    const all = await verify('anyone@catchall.test');
    assert.equal(all.verification, 'accept_all');
    assert.equal(all.accept_all, true);
    assert.ok(all.confidence < 60);
    const blocked = await verify('jane.doe@blocked.test');
    assert.equal(blocked.verification, 'unknown');
    assert.equal(blocked.retry_after_seconds, undefined);
  });

  test('flags: role, webmail, disposable', async () => {
    const role = await verify('info@acme.test');
    assert.deepEqual(role.flags, ['role']);
    const webmail = await verify('jane.doe@gmail.com');
    assert.equal(webmail.verification, 'valid');
    assert.deepEqual(webmail.flags, ['webmail']);
    const disposable = await verify('whoever@mailinator.com');
    assert.ok(disposable.flags.includes('disposable'), JSON.stringify(disposable.flags));
    assert.equal(disposable.verification, 'accept_all');
    const plain = await verify('whoever@catchall.test');
    assert.ok(disposable.confidence < plain.confidence, `disposable ${disposable.confidence} < ${plain.confidence}`);
  });

  test('bad syntax and CR/LF injection: refused before anything is sent', async () => {
    const host = hostOf('acme.test');
    const rcpts = host.rcpts;
    const commands = { ...host.commands };
    for (const bad of ['not an email', 'jane.doe@acme.test\r\nDATA', 'jane.doe\r\nRCPT TO:<x@acme.test>@acme.test', 'a@b@acme.test', 'jane doe@acme.test']) {
      const v = await verify(bad);
      assert.equal(v.verification, 'invalid', JSON.stringify(bad));
      assert.match(v.reason, /not a valid email address/);
      assert.equal(v.confidence, 0);
    }
    assert.equal(host.rcpts, rcpts);
    assert.deepEqual(host.commands, commands);
  });
});

describe('pattern()', () => {
  test('learned evidence, most frequent first, with the catch-all status and MX', async () => {
    const n = parseName({ first: 'Bill', last: 'Lumbergh' });
    assert.ok(n.ok);
    await engine.learnAddress(n.name, 'blumbergh@initech.test');
    const p = await engine.pattern('https://www.initech.test/', ctx());
    assert.equal(p.domain, 'initech.test');
    assert.equal(p.pattern, '{first}{last}');
    assert.deepEqual(p.evidence, [{ pattern: '{first}{last}', count: 2 }, { pattern: '{f}{last}', count: 1 }]);
    assert.equal(p.accept_all, false);
    assert.deepEqual(p.mx, ['mx1.initech.test']);
    assert.equal(p.reason, undefined);
  });

  test('a catch-all domain says so', async () => {
    const p = await engine.pattern('catchall.test', ctx());
    assert.equal(p.accept_all, true);
    assert.equal(p.pattern, '{f}{last}');
  });

  test('unknown, unlearned and unusable domains come with a reason', async () => {
    const nowhere = await engine.pattern('nowhere.test', ctx());
    assert.equal(nowhere.pattern, null);
    assert.match(nowhere.reason ?? '', /does not exist|NXDOMAIN/);
    const fresh = await engine.pattern('plaintext.test', ctx());
    assert.equal(fresh.pattern, null);
    assert.deepEqual(fresh.mx, ['mx1.plaintext.test']);
    assert.match(fresh.reason ?? '', /nothing learned/);
    const company = await engine.pattern('Acme Inc', ctx());
    assert.match(company.reason ?? '', /company name/);
  });
});

describe('politeness', () => {
  test('over everything above: no DATA (or VRFY/EXPN) ever, sessions per host within SMTP_MAX_SESSIONS_PER_MX', () => {
    const totals = world.stats.totals();
    assert.ok(totals.rcpts > 50, 'the run did talk to the servers');
    assert.equal(totals.data, 0);
    for (const verb of ['DATA', 'VRFY', 'EXPN']) assert.equal(totals.commands[verb], undefined, verb);
    for (const h of world.stats.hosts) assert.ok(h.peak <= settings.smtp.maxSessionsPerMx, `${h.name} peak ${h.peak}`);
    for (const h of world.stats.hosts) assert.ok(h.helo.every((name) => name === 'verify.toofr.test'));
  });

  test('a burst of lookups at one domain stays within the per-host cap', async () => {
    // Idle pooled sessions stay open (and count against the cap): reset keeps them as the new peak.
    world.stats.reset();
    const host = hostOf('acme.test');
    const people = Array.from({ length: 10 }, (_, i) => ({ first: `Visitor${String.fromCharCode(97 + i)}`, last: 'Nobody', domain: 'acme.test' }));
    const answers = await Promise.all(people.map((p) => find(p)));
    assert.ok(answers.every((a) => a.status === 'not_found'));
    assert.ok(host.rcpts >= 10 * answers[0]!.candidates.length);
    assert.ok(host.peak <= settings.smtp.maxSessionsPerMx, `peak ${host.peak}`);
    assert.ok(host.sessions > 1, 'the burst needed several sessions');
    assert.equal(host.refused, 0);
    assert.equal(world.stats.totals().data, 0);
  });
});
