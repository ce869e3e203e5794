/**
 * The embedded default: a fresh folder becomes a working database; a server left behind by a
 * process that was SIGKILLed is found and replaced at the next start; a second process shares
 * a server whose owner is alive.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../core/db/embedded.ts';
import { createLogger } from '../../core/logger.ts';

const log = createLogger({ level: 'silent' });

async function query(url: string, sql: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded Postgres', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('should start on an empty folder, survive a SIGKILLed owner, and share a live one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'toofr-embedded-'));
    await chmod(dir, 0o755);
    dirs.push(dir);

    // A child process starts it and is killed without any chance to clean up.
    const child = fork(new URL('../helpers/embedded-owner.ts', import.meta.url), [dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const [url] = (await once(child, 'message')) as [string];
    await query(url, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
    const stalePid = Number((await readFile(path.join(dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(alive(stalePid), 'the orphaned server is still running');

    // The next start finds the orphan, stops it, and starts its own on the same data.
    const db = await startEmbeddedPostgres(dir, log);
    try {
      assert.ok(!alive(stalePid), 'the stale server was stopped');
      assert.deepEqual(await query(db.url, 'SELECT x FROM kept'), [{ x: 42 }]);

      // While this process owns it, another start shares it instead of fighting over the folder.
      const second = fork(new URL('../helpers/embedded-owner.ts', import.meta.url), [dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const [sharedUrl] = (await once(second, 'message')) as [string];
      assert.equal(sharedUrl, db.url);
      second.kill('SIGTERM');
      await once(second, 'exit');
      assert.deepEqual(await query(db.url, 'SELECT 1 AS ok'), [{ ok: 1 }], 'a sharing process leaves the server running when it exits');
    } finally {
      await db.stop();
    }
  });
});
