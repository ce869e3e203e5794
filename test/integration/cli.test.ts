/**
 * The `toofr` command as a user runs it: a separate process, settings from the environment,
 * the real engine against the local mail world, files in and out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { startMailWorld } from '../mailworld/index.ts';
import { dropSchemas, testSettings } from '../helpers/db.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/toofr.ts', import.meta.url));

describe('the toofr command', () => {
  let world: Awaited<ReturnType<typeof startMailWorld>>;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    world = await startMailWorld();
    const settings = testSettings('cli');
    await dropSchemas(settings);
    dir = await mkdtemp(path.join(os.tmpdir(), 'toofr-cli-'));
    env = { ...process.env, ...world.env, DATABASE_URL: settings.databaseUrl, DATABASE_SCHEMA: settings.databaseSchema, SMTP_TIMEOUT_MS: '2000', LOG_LEVEL: 'error' };
  });
  after(async () => {
    await world.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const toofr = (...args: string[]) => run(process.execPath, [CLI, ...args], { env, cwd: dir });

  it('should enrich a CSV end to end and write every row, in order, with the result columns', async () => {
    const acme = world.people.filter((p) => p.domain === 'acme.test');
    const rows = [
      ['Prénom', 'Nom', 'Site web', 'Notes'],
      ...acme.map((p, i) => [p.first, p.last, 'https://www.acme.test/team', `=cmd|' /C calc'!A${i}`]),
      ['', 'Nobody', 'acme.test', 'no first name'],
    ];
    const input = path.join(dir, 'leads.csv');
    await writeFile(input, rows.map((r) => r.map((c) => `"${c.replaceAll('"', '""')}"`).join(';')).join('\r\n'));
    const output = path.join(dir, 'out.csv');
    const { stdout } = await toofr('enrich', input, '-o', output, '--json');
    const summary = JSON.parse(stdout);
    assert.equal(summary.status, 'done');
    assert.equal(summary.rows, acme.length + 1);
    assert.equal(summary.bad, 1);

    const out = parse((await readFile(output, 'utf8')).replace(/^\uFEFF/, ''), { delimiter: ';' }) as string[][];
    assert.deepEqual(out[0], ['Prénom', 'Nom', 'Site web', 'Notes', 'email', 'confidence', 'verification', 'status', 'pattern', 'industry', 'is_agency']);
    assert.equal(out.length, rows.length);
    acme.forEach((p, i) => {
      const row = out[i + 1]!;
      assert.equal(row[0], p.first, 'original cells kept in order');
      assert.ok(row[3]!.startsWith("'="), 'a formula cell is neutralised in the download');
      if (p.email && p.mailbox === 'active') {
        assert.equal(row[4], p.email);
        assert.equal(row[6], 'valid');
        assert.ok(Number(row[5]) >= 95);
      } else {
        assert.notEqual(row[6], 'valid', `${p.first} ${p.last} has no working mailbox`);
      }
    });
    assert.match(out[out.length - 1]![7]!, /^skipped: .*first name/);
    // The mail world's .test companies are not public domains, and without ALLOW_PRIVATE_WEB no
    // website of theirs is read: their company cells stay blank, as a skipped row's do.
    assert.deepEqual(out[1]!.slice(9), ['', '']);
    assert.deepEqual(out[out.length - 1]!.slice(9), ['', '']);
  });

  it('should exit non-zero with a clear message for an unusable file', async () => {
    const input = path.join(dir, 'colours.csv');
    await writeFile(input, 'Colour,Size\nred,10\n');
    await assert.rejects(toofr('enrich', input, '-o', path.join(dir, 'never.csv')), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /Colour/);
      return true;
    });
    await assert.rejects(toofr('enrich', path.join(dir, 'missing.csv'), '-o', 'x.csv'), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /no such file/);
      return true;
    });
  });

  it('should find, verify and show the pattern of one person, as JSON and as text', async () => {
    const p = world.people.find((x) => x.domain === 'acme.test' && x.mailbox === 'active')!;
    const found = JSON.parse((await toofr('find', p.first, p.last, 'acme.test', '--json')).stdout);
    assert.equal(found.email, p.email);
    assert.equal(found.verification, 'valid');
    assert.ok(Array.isArray(found.score_parts) && found.score_parts.length > 0);

    const text = (await toofr('find', `${p.first} ${p.last}`, 'https://acme.test')).stdout;
    assert.match(text, new RegExp(`${p.email!.replace('.', '\\.')}\\s+valid`));

    const verified = JSON.parse((await toofr('verify', p.email!, '--json')).stdout);
    assert.equal(verified.verification, 'valid');
    const bad = JSON.parse((await toofr('verify', 'nobody-here@acme.test', '--json')).stdout);
    assert.equal(bad.verification, 'invalid');

    const pattern = JSON.parse((await toofr('pattern', 'acme.test', '--json')).stdout);
    assert.equal(pattern.pattern, '{first}.{last}');
    assert.equal(pattern.accept_all, false);
  });

  it('should learn patterns from known addresses and report the rows it skipped', async () => {
    const known = path.join(dir, 'known.csv');
    await writeFile(known, ['Full name,Email', 'Ann Lee,alee@catchall.test', 'Bob Stone,bstone@catchall.test', 'Cy Young,not-an-email', 'Dee Dale,zzz@catchall.test'].join('\n'));
    const s = JSON.parse((await toofr('learn', known, '--json')).stdout);
    assert.equal(s.rows, 4);
    assert.equal(s.learned, 2);
    assert.deepEqual(s.skipped.map((k: { line: number }) => k.line), [4, 5]);
    const pattern = JSON.parse((await toofr('pattern', 'catchall.test', '--json')).stdout);
    assert.equal(pattern.pattern, '{f}{last}');
    assert.equal(pattern.evidence[0].count, 2);
  });

  it('should explain bad usage', async () => {
    await assert.rejects(toofr('find', 'Jane'), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /usage: toofr find/);
      return true;
    });
  });
});
