/**
 * `toofr company` as a user runs it: a separate process, settings from the environment, the mail
 * world's DNS server (which has no record for nowhere.test), the cache in Postgres.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startMailWorld } from '../mailworld/index.ts';
import { dropSchemas, testSettings } from '../helpers/db.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/toofr.ts', import.meta.url));

describe('toofr company', () => {
  let world: Awaited<ReturnType<typeof startMailWorld>>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    world = await startMailWorld();
    const settings = testSettings('classify.cli');
    await dropSchemas(settings);
    env = { ...process.env, ...world.env, ALLOW_PRIVATE_WEB: 'true', DATABASE_URL: settings.databaseUrl, DATABASE_SCHEMA: settings.databaseSchema, LOG_LEVEL: 'error' };
  });
  after(async () => {
    await world.stop();
  });

  const toofr = (...args: string[]) => run(process.execPath, [CLI, ...args], { env });

  it('answers unknown for a domain with no website, as JSON, then from the cache', async () => {
    const first = JSON.parse((await toofr('company', 'https://www.nowhere.test/about', '--json')).stdout);
    assert.equal(first.domain, 'nowhere.test');
    assert.equal(first.industry, 'unknown');
    assert.equal(first.naics, null);
    assert.equal(first.is_agency, false);
    assert.equal(first.website.status, 'no_website');
    assert.equal(first.cached, false);

    const human = (await toofr('company', 'nowhere.test')).stdout;
    assert.match(human, /^nowhere\.test: industry unknown/);
    assert.match(human, /\[cached, checked /);
  });

  it('refuses an IP address with a usage error that says what to give', async () => {
    await assert.rejects(toofr('company', '10.0.0.1'), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr ?? '', /company domain such as acme\.com/);
      return true;
    });
  });
});
