/** Starts the benchmark's mail world in a child process (see engine-mailworld-child.ts) and talks to it. */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { WorldDomain } from '../mailworld/index.ts';

export interface WorldStatsSnapshot {
  totals: { connections: number; sessions: number; refused: number; rcpts: number; data: number; peak: number; commands: Record<string, number> };
  hosts: { name: string; domain: string; behaviour: string; peak: number; refused: number }[];
  /** CPU the mail world's process used since it started. */
  cpuSeconds: number;
}

export interface RemoteMailWorld {
  env: Record<string, string>;
  domains: WorldDomain[];
  smtpPort: number;
  pid: number;
  stats(): Promise<WorldStatsSnapshot>;
  /** Waits until no session is open, then zeroes the counters. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRemoteMailWorld(opts: { seed: number; domains: number; peoplePerDomain: number; connCap: number; latencyMs: number }): Promise<RemoteMailWorld> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./engine-mailworld-child.ts', import.meta.url)),
    [opts.seed, opts.domains, opts.peoplePerDomain, opts.connCap, opts.latencyMs].map(String),
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const ready = new Promise<{ env: Record<string, string>; domains: WorldDomain[]; smtpPort: number }>((resolve, reject) => {
    child.on('message', (msg: { op?: string; id?: number; ok?: boolean; value?: unknown; world?: never }) => {
      if (msg.op === 'ready') return resolve(msg.world!);
      const p = pending.get(msg.id!);
      if (!p) return;
      pending.delete(msg.id!);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(String(msg.value)));
    });
    child.once('exit', (code) => {
      const err = new Error(`the mail world process exited (${code})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  });
  const ask = <T>(op: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, op });
    });
  const w = await ready;
  return {
    ...w,
    pid: child.pid!,
    stats: () => ask<WorldStatsSnapshot>('stats'),
    reset: () => ask<void>('reset'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      await ask<void>('stop').catch(() => undefined);
      await exited;
    },
  };
}
