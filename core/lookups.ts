/**
 * Single lookups (Slack `/toofr`, the API): a row in `lookups` plus a job on the high-priority
 * `lookup` queue, so the answer is computed by a worker, survives restarts, and can be polled
 * by id after the caller's deadline. `LookupWaiter` lets a web process wait for answers on one
 * LISTEN connection instead of polling the table.
 */
import { EventEmitter, once } from 'node:events';
import pg from 'pg';
import type { Pool } from './db/pool.ts';
import type { Boss } from './queue/boss.ts';
import { inTransaction } from './queue/boss.ts';
import { withTransaction } from './db/pool.ts';
import { PRIORITY, QUEUES } from './queue/queues.ts';
import type { FindAnswer, FindInput, PatternAnswer, VerifyAnswer } from './engine/types.ts';
import type { Logger } from './logger.ts';
import type { CachedCompany } from './classify/company-store.ts';

export type LookupKind = 'find' | 'verify' | 'pattern' | 'company';
export type LookupInput = FindInput | { email: string } | { domain: string; refresh?: boolean };

export interface LookupRow {
  id: string;
  account_id: number;
  kind: LookupKind;
  input: LookupInput;
  status: 'pending' | 'done' | 'failed';
  result: FindAnswer | VerifyAnswer | PatternAnswer | CachedCompany | null;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export async function requestLookup(pool: Pool, boss: Boss, accountId: number, kind: LookupKind, input: LookupInput): Promise<string> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>('INSERT INTO lookups (account_id, kind, input) VALUES ($1, $2, $3) RETURNING id', [accountId, kind, JSON.stringify(input)]);
    const id = rows[0]!.id;
    await boss.send(QUEUES.lookup, { lookupId: id }, { priority: PRIORITY.lookup, db: inTransaction(client) });
    return id;
  });
}

export async function getLookup(pool: Pool, id: string, accountId?: number): Promise<LookupRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await pool.query<LookupRow>(
    accountId === undefined ? 'SELECT * FROM lookups WHERE id = $1' : 'SELECT * FROM lookups WHERE id = $1 AND account_id = $2',
    accountId === undefined ? [id] : [id, accountId],
  );
  return rows[0];
}

/** One LISTEN connection per process, shared by every request waiting for a lookup. */
export class LookupWaiter {
  private readonly events = new EventEmitter();
  private client: pg.Client | undefined;
  private readonly url: string;
  private readonly schemaSearchPath: string;
  private readonly log: Logger;

  constructor(opts: { url: string; schema: string; log: Logger }) {
    this.url = opts.url;
    this.schemaSearchPath = opts.schema;
    this.log = opts.log;
    this.events.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, options: `-c search_path=${this.schemaSearchPath}` });
    client.on('notification', (n) => n.payload && this.events.emit(n.payload));
    client.on('error', (err) => this.log.warn({ err }, 'lookup listener lost its connection; waiting requests fall back to their deadline'));
    await client.connect();
    await client.query('LISTEN toofr_lookup_finished');
    this.client = client;
  }

  /** The finished lookup, or undefined if it is still pending at the deadline. */
  async wait(pool: Pool, id: string, deadlineMs: number): Promise<LookupRow | undefined> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), deadlineMs);
    try {
      const notified = once(this.events, id, { signal: ac.signal }).catch(() => undefined);
      // Checked after subscribing, so an answer that landed just before is not missed.
      const row = await getLookup(pool, id);
      if (row && row.status !== 'pending') return row;
      await notified;
      const after = await getLookup(pool, id);
      return after && after.status !== 'pending' ? after : undefined;
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  }

  async stop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
  }
}
