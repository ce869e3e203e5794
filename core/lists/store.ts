/**
 * Lists and records in Postgres: creating a list from an upload, reading the upload back in
 * chunks, and reading results in file order. Every function takes the pool (or a client inside
 * a transaction) explicitly.
 */
import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { Pool, PoolClient } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import type { Boss } from '../queue/boss.ts';
import { inTransaction } from '../queue/boss.ts';
import { PRIORITY, QUEUES } from '../queue/queues.ts';

type Queryable = Pool | PoolClient | pg.Client;

export type ListSource = 'cli' | 'slack' | 'sheets' | 'api' | 'web';
export type ListStatus = 'queued' | 'importing' | 'running' | 'delivering' | 'done' | 'failed' | 'cancelled';

export interface ListRow {
  id: string;
  account_id: number;
  source: ListSource;
  source_ref: Record<string, unknown>;
  filename: string | null;
  status: ListStatus;
  encoding: string | null;
  delimiter: string | null;
  header: string[] | null;
  mapping: Record<string, number> | null;
  total_rows: number;
  bad_rows: number;
  processed: number;
  found: number;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  imported_at: Date | null;
  finished_at: Date | null;
  delivered_at: Date | null;
}

/** Upload chunks are this size: large enough for few rows, small enough to stream. */
export const UPLOAD_CHUNK_BYTES = 256 * 1024;

/** Finds or creates the account for a Slack team, Google user, API owner or the local user. */
export async function ensureAccount(db: Queryable, kind: 'local' | 'slack' | 'google' | 'api', externalId: string, name?: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO accounts (kind, external_id, name) VALUES ($1, $2, $3)
     ON CONFLICT (kind, external_id) DO UPDATE SET name = COALESCE(EXCLUDED.name, accounts.name)
     RETURNING id`,
    [kind, externalId, name ?? null],
  );
  return rows[0]!.id;
}

export interface NewList {
  accountId: number;
  source: ListSource;
  sourceRef?: Record<string, unknown>;
  filename?: string;
  /** The CSV bytes; streamed into the database in chunks. */
  content: Readable | AsyncIterable<Buffer | string> | Buffer;
  /** Refuse uploads larger than this (bytes). */
  maxBytes?: number;
}

export class UploadTooLargeError extends Error {
  readonly code = 'upload_too_large';
  constructor(maxBytes: number) {
    super(`The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB. Split it into smaller files and upload them one by one.`);
  }
}

async function* rechunk(content: NewList['content']): AsyncGenerator<Buffer> {
  const source: AsyncIterable<Buffer | string> = Buffer.isBuffer(content) ? [content] as unknown as AsyncIterable<Buffer> : content;
  let pending: Buffer[] = [];
  let size = 0;
  for await (const part of source) {
    const buf = typeof part === 'string' ? Buffer.from(part) : part;
    pending.push(buf);
    size += buf.length;
    while (size >= UPLOAD_CHUNK_BYTES) {
      const all = Buffer.concat(pending);
      yield all.subarray(0, UPLOAD_CHUNK_BYTES);
      const rest = all.subarray(UPLOAD_CHUNK_BYTES);
      pending = rest.length ? [rest] : [];
      size = rest.length;
    }
  }
  if (size) yield Buffer.concat(pending);
}

/**
 * Creates a list, stores its file and queues its import, all in one transaction: either the
 * caller gets an id whose import will run, or nothing was created.
 */
export async function createList(pool: Pool, boss: Boss, list: NewList): Promise<{ id: string; bytes: number }> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO lists (account_id, source, source_ref, filename) VALUES ($1, $2, $3, $4) RETURNING id',
      [list.accountId, list.source, JSON.stringify(list.sourceRef ?? {}), list.filename ?? null],
    );
    const id = rows[0]!.id;
    let seq = 0;
    let bytes = 0;
    for await (const chunk of rechunk(list.content)) {
      bytes += chunk.length;
      if (list.maxBytes && bytes > list.maxBytes) throw new UploadTooLargeError(list.maxBytes);
      await client.query('INSERT INTO list_uploads (list_id, seq, data) VALUES ($1, $2, $3)', [id, seq++, chunk]);
    }
    await boss.send(QUEUES.listImport, { listId: id }, { priority: PRIORITY.list, db: inTransaction(client) });
    return { id, bytes };
  });
}

/** The uploaded file, chunk by chunk, without loading it whole. */
export async function* readUpload(pool: Pool, listId: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const { rows } = await pool.query<{ data: Buffer }>('SELECT data FROM list_uploads WHERE list_id = $1 AND seq = $2', [listId, seq]);
    if (!rows.length) return;
    yield rows[0]!.data;
  }
}

export async function getList(db: Queryable, id: string, accountId?: number): Promise<ListRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<ListRow>(
    accountId === undefined ? 'SELECT * FROM lists WHERE id = $1' : 'SELECT * FROM lists WHERE id = $1 AND account_id = $2',
    accountId === undefined ? [id] : [id, accountId],
  );
  return rows[0];
}

export interface ResultRecord {
  ordinal: number;
  line: number;
  raw: string[];
  status: 'pending' | 'done' | 'bad' | 'failed';
  reason: string | null;
  email: string | null;
  confidence: number | null;
  verification: string | null;
  pattern: string | null;
  result: { status?: string } | null;
  /** The company's industry (display name); null until its homepage was read, or for a skipped row. */
  industry: string | null;
  /** Null when the company's website could not be read (then nobody can tell). */
  is_agency: boolean | null;
}

/** Records in file order, read in pages so a 100,000-row list never sits in memory. */
export async function* readRecords(pool: Pool, listId: string, pageSize = 2000): AsyncGenerator<ResultRecord> {
  let after = -1;
  for (;;) {
    const { rows } = await pool.query<ResultRecord>(
      `SELECT r.ordinal, r.line, r.raw, r.status, r.reason, r.email, r.confidence, r.verification, r.pattern, r.result,
              d.company->>'industry_name' AS industry,
              CASE WHEN d.company->'website'->>'status' = 'ok' THEN (d.company->>'is_agency')::boolean END AS is_agency
         FROM records r LEFT JOIN domains d ON d.domain = r.domain
        WHERE r.list_id = $1 AND r.ordinal > $2 ORDER BY r.ordinal LIMIT $3`,
      [listId, after, pageSize],
    );
    for (const r of rows) yield r;
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.ordinal;
  }
}

/** The `status` cell of the results file: what happened to this row, in a word or a sentence. */
export function outputStatus(r: Pick<ResultRecord, 'status' | 'reason' | 'result'>): string {
  switch (r.status) {
    case 'bad':
      return `skipped: ${r.reason ?? 'unreadable row'}`;
    case 'failed':
      return `error: ${r.reason ?? 'lookup failed'}`;
    case 'pending':
      return 'pending';
    case 'done':
      return r.result?.status ?? 'done';
  }
}
