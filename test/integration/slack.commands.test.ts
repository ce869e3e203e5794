/**
 * /toofr through Slack-signed requests to the real web app (Bolt on express), answered through
 * response_url on the fake Slack; lookups run on the real queue with the deterministic enricher.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createList, ensureAccount, getList } from '../../core/lists/store.ts';
import { commandBody, sendToSlackEndpoint, sign, type Call } from '../fakes/slack.ts';
import { SECRET, startHarness, type Harness } from './slack.harness.ts';
import { fixtureCompanies } from './api.harness.ts';

let seq = 0;

describe('/toofr', () => {
  let h: Harness;
  let sites: Awaited<ReturnType<typeof fixtureCompanies>>;
  before(async () => {
    sites = await fixtureCompanies();
    h = await startHarness('slack-commands', { mode: 'single', companies: sites.companies });
  });
  after(async () => {
    await h.close();
    await sites.close();
  });

  /** Sends a command; resolves with the ack body and the final response_url answer. */
  async function command(text: string, opts: { teamId?: string; base?: string; final?: boolean } = {}): Promise<{ status: number; ack: any; answer?: Call; rid: string }> {
    const rid = `r${++seq}`;
    const res = await sendToSlackEndpoint(opts.base ?? h.base, SECRET, commandBody({ teamId: opts.teamId ?? 'T1', text, responseUrl: h.fake.responseUrl(rid) }));
    const raw = await res.text();
    const ack = raw ? JSON.parse(raw) : undefined;
    const answer = opts.final === false ? undefined : await h.fake.waitFor((c) => c.kind === 'response' && c.method === rid, `the answer to "${text}"`);
    return { status: res.status, ack, answer, rid };
  }
  const texts = (blocks: any[]): string => JSON.stringify(blocks);

  it('should answer help and an empty command with Block Kit usage in the ack', async () => {
    for (const text of ['help', '', '  ']) {
      const { status, ack } = await command(text, { final: false });
      assert.equal(status, 200);
      assert.equal(ack.response_type, 'ephemeral');
      assert.match(texts(ack.blocks), /How to use \/toofr/);
      assert.match(texts(ack.blocks), /verify jane@acme\.com/);
      assert.match(texts(ack.blocks), /company acme\.com/);
    }
  });

  it('should answer wrong usage with the help text and what was wrong, never silence', async () => {
    const cases: Array<[string, RegExp]> = [
      ['Jane', /first name, a last name and a company/],
      ['Jane acme.com', /needs a last name/],
      ['verify not-an-address', /is not an email address/],
      ['pattern', /Say which domain/],
      ['company', /Say which company/],
      ['company Acme Inc', /is not a domain such as acme\.com/],
      ['company 10.0.0.1', /is not a domain such as acme\.com/],
      ['company acme.invalid', /uses a reserved name \(\.invalid\)/],
      ['lists please', /takes nothing after it/],
    ];
    for (const [text, problem] of cases) {
      const { status, ack } = await command(text, { final: false });
      assert.equal(status, 200, text);
      assert.match(texts(ack.blocks), problem, text);
      assert.match(texts(ack.blocks), /How to use \/toofr/, text);
    }
  });

  it('should find "<first> <last> <domain>" with the address, confidence, verification, score parts and other candidates', async () => {
    const { ack, answer } = await command('Jane Doe acme.com');
    assert.match(ack.text, /Looking up Jane Doe at acme\.com/);
    assert.equal(answer!.body.replace_original, true);
    assert.equal(answer!.body.response_type, 'ephemeral');
    assert.match(answer!.body.text, /jane\.doe@acme\.com — confidence 92, valid/);
    const blocks = texts(answer!.body.blocks);
    assert.match(blocks, /\*jane\.doe@acme\.com\*/);
    assert.match(blocks, /92\/100/);
    assert.match(blocks, /valid/);
    assert.match(blocks, /Score: \+60 smtp \(server accepted the address\) · \+32 pattern/);
    assert.match(blocks, /Other candidates: janedoe@acme\.com \(invalid\)/);
  });

  it('should read a company name, a URL, a Slack-wrapped link and "<full name>, <company>"', async () => {
    const before = h.enricher.inputs.length;
    const answers = await Promise.all([
      'Jane Doe Acme Inc', 'Jane Doe https://www.acme.com/about', 'Jane Doe <https://www.acme.com/about|acme.com>',
      'Jean Claude Van Damme acme.com', 'Jane Doe, Acme &amp; Sons',
    ].map((t) => command(t)));
    const answer = answers.at(-1)!.answer;
    const order = (xs: object[]) => xs.map((x) => JSON.stringify(x, Object.keys(x).sort())).sort();
    const inputs = h.enricher.inputs.slice(before);
    assert.deepEqual(order(inputs), order([
      { first: 'Jane', last: 'Doe', company: 'Acme Inc' },
      { first: 'Jane', last: 'Doe', domain: 'acme.com' },
      { first: 'Jane', last: 'Doe', domain: 'acme.com' },
      { full_name: 'Jean Claude Van Damme', domain: 'acme.com' },
      { full_name: 'Jane Doe', company: 'Acme & Sons' },
    ]));
    assert.match(texts(answer!.body.blocks), /Jane Doe at Acme &amp; Sons/, 'user text is escaped in mrkdwn');
  });

  it('should say so when no address is found', async () => {
    const { answer } = await command('Jane Nobody acme.com');
    assert.match(answer!.body.text, /No email found for Jane Nobody at acme\.com/);
  });

  it('should verify plain, mailto-wrapped and entity-escaped addresses', async () => {
    const texts4 = ['verify jane@acme.com', 'verify <mailto:jane@acme.com|jane@acme.com>', 'verify &lt;jane@acme.com&gt;', 'jane@acme.com'];
    const results = await Promise.all(texts4.map((t) => command(t)));
    for (const [i, text] of texts4.entries()) {
      const { ack, answer } = results[i]!;
      assert.match(ack.text, /Verifying jane@acme\.com/, text);
      assert.match(answer!.body.text, /^jane@acme\.com: valid \(confidence 90\)/, text);
      assert.match(texts(answer!.body.blocks), /\*jane@acme\.com\* is :white_check_mark: valid/, text);
    }
  });

  it('should give a domain\'s pattern, also from a URL or a Slack link', async () => {
    const texts3 = ['pattern acme.com', 'pattern https://www.acme.com/team', 'pattern <http://acme.com|acme.com>'];
    const results = await Promise.all(texts3.map((t) => command(t)));
    for (const [i, text] of texts3.entries()) {
      const { answer } = results[i]!;
      assert.equal(answer!.body.text, 'acme.com: {first}.{last}', text);
      assert.match(texts(answer!.body.blocks), /Addresses at \*acme\.com\* look like `\{first\}\.\{last\}`/, text);
    }
  });

  it('should classify a company from a domain, a URL, a Slack link or an email: industry, NAICS, agency, top 3, evidence, the page read', async () => {
    const inputs = ['company brandworks.com', 'company https://www.brandworks.com/about', 'company <http://brandworks.com|brandworks.com>', 'company <mailto:jane@brandworks.com|jane@brandworks.com>'];
    // The first reads the homepage (and fills the cache) before the others ask.
    const first = await command(inputs[0]!);
    const rest = await Promise.all(inputs.slice(1).map((t) => command(t)));
    assert.match(first.ack.text, /Reading brandworks\.com's website/);
    for (const [i, { answer }] of [first, ...rest].entries()) {
      const text = inputs[i]!;
      assert.equal(answer!.body.response_type, 'ephemeral', text);
      assert.equal(answer!.body.replace_original, true, text);
      assert.match(answer!.body.text, /^brandworks\.com: Marketing & Advertising \(NAICS 5418\), \d+% — agency$/, text);
      const blocks = texts(answer!.body.blocks);
      assert.match(blocks, /\*brandworks\.com\* — \*Marketing &amp; Advertising\* \(NAICS 5418\) · \d+% confidence · agency/, text);
      assert.match(blocks, /\*Agency\*\\n:briefcase: Agency \(\d+%\)/, text);
      assert.match(blocks, /Top 3: Marketing &amp; Advertising \d+% \(NAICS 5418\) · /, text);
      assert.match(blocks, /Why: industry words: /, text);
      assert.match(blocks, /agency signals: /, text);
      assert.match(blocks, /\*Website\*\\nhttp:\/\/(www\.)?brandworks\.com/, text);
      if (i > 0) assert.match(blocks, /From the cache: homepage read /, text);
    }
  });

  it('should answer a company whose website cannot be read with industry Unknown and why, not an error', async () => {
    const { answer } = await command('company acme.com');
    assert.match(answer!.body.text, /^acme\.com: industry unknown — couldn't read the website: /);
    const blocks = texts(answer!.body.blocks);
    assert.match(blocks, /\*acme\.com\* — industry \*Unknown\*: I couldn't read the website: [^"]+\./);
    assert.match(blocks, /\*Industry\*\\nUnknown/);
    assert.doesNotMatch(blocks, /:warning:|could not look up/, 'not an error');
  });

  it('should list this workspace\'s recent lists with status and links, and nobody else\'s', async () => {
    const pool = h.services.db.pool;
    const mine = await ensureAccount(pool, 'slack', 'T1');
    const theirs = await ensureAccount(pool, 'slack', 'T9');
    // Created without running (no import job): only the listing matters here.
    const a = await pool.query<{ id: string }>(`INSERT INTO lists (account_id, source, filename, status, total_rows, processed, found) VALUES ($1, 'slack', 'leads-t1.csv', 'running', 200, 50, 40) RETURNING id`, [mine]);
    await pool.query(`INSERT INTO lists (account_id, source, filename, status) VALUES ($1, 'slack', 'secret-t9.csv', 'done')`, [theirs]);
    const { ack, answer } = await command('lists');
    assert.equal(ack, undefined, 'empty ack, then the answer');
    const blocks = texts(answer!.body.blocks);
    assert.match(blocks, /leads-t1\.csv/);
    assert.match(blocks, new RegExp(`${h.settings.publicUrl}/lists/${a.rows[0]!.id}`));
    assert.match(blocks, /finding emails 25%/);
    assert.doesNotMatch(blocks, /secret-t9/);
  });

  it('should answer a single lookup while a 10,000-row list is running', async () => {
    const pool = h.services.db.pool;
    const accountId = await ensureAccount(pool, 'slack', 'T1');
    const rows = ['first,last,domain'];
    for (let i = 0; i < 10_000; i++) rows.push(`A${i},B${i},bulk${i % 50}.com`);
    const { id } = await createList(pool, h.services.boss, { accountId, source: 'cli', filename: 'big.csv', content: Buffer.from(rows.join('\n')) });
    for (;;) {
      const l = await getList(pool, id);
      if (l && l.processed > 0) break;
      await new Promise((r) => setImmediate(r));
    }
    const { answer } = await command('Jane Doe acme.com');
    assert.match(answer!.body.text, /jane\.doe@acme\.com/);
    const l = (await getList(pool, id))!;
    assert.ok(l.processed < 10_000, `answered while the list was at ${l.processed}/10000`);
    await pool.query(`UPDATE lists SET status = 'cancelled' WHERE id = $1`, [id]);
  });

  it('should refuse requests with a bad, stale or missing signature, and act on none of them', async () => {
    const lookupsBefore = (await h.services.db.pool.query('SELECT count(*)::int AS n FROM lookups')).rows[0].n;
    const body = commandBody({ teamId: 'T1', text: 'Jane Doe acme.com', responseUrl: h.fake.responseUrl('never') });
    const post = (headers: Record<string, string>) => fetch(`${h.base}/slack/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    const bad = await post(sign('not-the-secret', body));
    const stale = await post(sign(SECRET, body, Math.floor(Date.now() / 1000) - 6 * 60));
    const tampered = await post(sign(SECRET, body.replace('acme.com', 'evil.com')));
    const missing = await post({});
    for (const [name, res] of Object.entries({ bad, stale, tampered, missing })) assert.equal(res.status, 401, name);
    const lookupsAfter = (await h.services.db.pool.query('SELECT count(*)::int AS n FROM lookups')).rows[0].n;
    assert.equal(lookupsAfter, lookupsBefore, 'no lookup was started');
    assert.equal(h.fake.calls.filter((c) => c.method === 'never').length, 0);
  });

  it('should post an answer owed by a web process that stopped before the lookup finished', async () => {
    const gate = h.enricher.hold('Restart');
    const second = await h.startWeb();
    const rid = `r${++seq}`;
    const res = await sendToSlackEndpoint(second.base, SECRET, commandBody({ teamId: 'T1', text: 'Jane Restart acme.com', responseUrl: h.fake.responseUrl(rid) }));
    assert.equal(res.status, 200);
    await gate.reached; // the lookup is running, and cannot finish yet
    await second.close(); // the process stops while the answer is still owed
    const owed = await h.services.db.pool.query(`SELECT answered_at FROM slack_answers WHERE response_url = $1`, [h.fake.responseUrl(rid)]);
    assert.equal(owed.rowCount, 1, 'the debt was written down');
    assert.equal(owed.rows[0].answered_at, null, 'and not paid by the stopped process');
    const third = await h.startWeb(); // a new process picks the debt up at start
    gate.release();
    const answer = await h.fake.waitFor((c) => c.kind === 'response' && c.method === rid && /jane\.restart@acme\.com/.test(c.body.text), 'the resumed answer');
    assert.match(answer.body.text, /jane\.restart@acme\.com/);
    await third.close();
    assert.equal(h.fake.calls.filter((c) => c.kind === 'response' && c.method === rid && /jane\.restart/.test(c.body.text)).length, 1, 'answered once');
  });

  it('should ack within 3 s, and measure p50/p99 over 100 commands', async (t) => {
    const latencies: number[] = [];
    const rids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const rid = `lat${i}`;
      rids.push(rid);
      const body = commandBody({ teamId: 'T1', text: `Jane${i} Doe acme.com`, responseUrl: h.fake.responseUrl(rid) });
      const started = performance.now();
      const res = await sendToSlackEndpoint(h.base, SECRET, body);
      await res.text();
      latencies.push(performance.now() - started);
      assert.equal(res.status, 200);
    }
    // The first answer arrives too (the rest are left to finish, or to be handed over at close).
    await h.fake.waitFor((c) => c.kind === 'response' && c.method === rids[0], 'an answer');
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!;
    const p50 = p(0.5);
    const p99 = p(0.99);
    assert.ok(latencies[latencies.length - 1]! < 3000, `every ack within 3 s (max ${latencies.at(-1)!.toFixed(1)} ms)`);
    // The target (< 200 ms) is a figure to watch, not an assertion a loaded CI machine could trip:
    // it is printed with the run and recorded in docs/benchmarks.md.
    t.diagnostic(`/toofr ack latency over 100 commands: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
  });
});
