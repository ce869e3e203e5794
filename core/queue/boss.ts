/** pg-boss, configured for how Toofr uses it. */
import { PgBoss, type Db } from 'pg-boss';
import type { Pool, PoolClient } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { QUEUES, QUEUE_OPTIONS } from './queues.ts';

export type Boss = PgBoss;

export interface BossOptions {
  url: string;
  schema: string;
  log: Logger;
  /** Whether this instance runs maintenance and rescues jobs of dead workers (workers: yes). */
  supervise: boolean;
  poolMax?: number;
}

const schemas = new WeakMap<Boss, string>();

export async function startBoss(opts: BossOptions): Promise<Boss> {
  const boss = new PgBoss({
    connectionString: opts.url,
    schema: opts.schema,
    max: opts.poolMax ?? 10,
    application_name: 'toofr-queue',
    supervise: opts.supervise,
    // The monitor is what fails the jobs of a SIGKILLed worker (missed heartbeat) so they retry;
    // at pg-boss's 60 s default a crash costs a minute, at 5 s it costs ~15 s.
    superviseIntervalSeconds: 5,
    monitorIntervalSeconds: 5,
    queueCacheIntervalSeconds: 5,
    // Single lookups wait on a person: their queue NOTIFYs on send, so an idle worker takes the
    // job at once instead of at its next poll (queues.ts, `notify: true`).
    useListenNotify: true,
  } as ConstructorParameters<typeof PgBoss>[0]);
  schemas.set(boss, opts.schema);
  boss.on('error', (err: Error) => opts.log.error({ err }, 'queue error'));
  boss.on('warning', (w: { message?: string }) => opts.log.warn({ warning: w }, 'queue warning'));
  await boss.start();
  await ensureQueues(boss);
  return boss;
}

/** Creates missing queues and brings existing ones to the current options. */
export async function ensureQueues(boss: Boss): Promise<void> {
  for (const name of Object.values(QUEUES)) {
    const existing = await boss.getQueue(name);
    // A queue's policy is fixed at creation; pg-boss refuses an update that mentions it.
    const { policy: _policy, partition: _partition, ...updatable } = QUEUE_OPTIONS[name];
    if (existing) await boss.updateQueue(name, updatable);
    else {
      try {
        await boss.createQueue(name, QUEUE_OPTIONS[name]);
      } catch (err) {
        // Two processes starting at once both try to create it; the loser finds it there.
        if (!(await boss.getQueue(name))) throw err;
      }
    }
  }
}

/**
 * Moves the waiting (due, not started) jobs of some groups of a queue up to `priority`, e.g. the
 * records of a domain that turned out to greylist. pg-boss has no call that changes queued jobs
 * by group, so this is the one place that writes its job table directly (pg-boss 12: `job`,
 * partitioned by queue; `group_id` is the `group.id` jobs were sent with). It only reorders
 * work: callers treat a failure as harmless. Returns how many jobs moved.
 */
export async function promoteGroups(pool: Pool, boss: Boss, queue: string, groups: readonly string[], priority: number): Promise<number> {
  const schema = schemas.get(boss);
  if (!schema || !groups.length) return 0;
  const { rowCount } = await pool.query(
    `UPDATE ${quoteIdent(schema)}.job SET priority = $3
      WHERE name = $1 AND state = 'created' AND group_id = ANY($2::text[]) AND priority < $3 AND start_after <= now()`,
    [queue, groups, priority],
  );
  return rowCount ?? 0;
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** Lets a pg-boss call join a transaction we opened on `client`. */
export function inTransaction(client: PoolClient): Db {
  return { executeSql: (text: string, values?: unknown[]) => client.query(text, values) };
}
