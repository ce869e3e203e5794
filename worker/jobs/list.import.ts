/**
 * list.import: the uploaded CSV → records (one COPY) → one record.enrich job per good record
 * (batched job inserts). Safe to run again after a crash: records load in one transaction, and
 * the jobs already queued are remembered, so nothing is inserted or queued twice.
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Job } from 'pg-boss';
import { from as copyFrom } from 'pg-copy-streams';
import { withTransaction, type PoolClient } from '../../core/db/pool.ts';
import { CsvError, readCsv, type ParsedRow } from '../../core/lists/read-csv.ts';
import { getList, readUpload } from '../../core/lists/store.ts';
import { inTransaction } from '../../core/queue/boss.ts';
import { PRIORITY, QUEUES, type Payloads } from '../../core/queue/queues.ts';
import type { FindInput } from '../../core/engine/types.ts';
import type { WorkerContext } from '../context.ts';
import { queueDeliveryIfComplete } from '../delivery.ts';

export const QUEUE = QUEUES.listImport;
/** Jobs per insert: one statement each, so fewer is faster, within one transaction's comfort. */
const JOB_BATCH = 5000;
const COPY_CHUNK_CHARS = 64 * 1024;
// Record jobs are inserted without a priority field: this stops compiling if PRIORITY.record
// ever stops being pg-boss's default.
const RECORD_PRIORITY_IS_DEFAULT: 0 = PRIORITY.record;
void RECORD_PRIORITY_IS_DEFAULT;
/** Rows per load transaction (and per step of `records_loaded_through`). */
const LOAD_CHUNK = 10_000;

export function handler(ctx: WorkerContext) {
  return async ([job]: Job<Payloads['list.import']>[]) => {
    await importList(ctx, job!.data.listId);
  };
}

export async function importList(ctx: WorkerContext, listId: string): Promise<void> {
  const { pool, log } = ctx;
  const list = await getList(pool, listId);
  if (!list || list.status === 'cancelled' || list.status === 'failed' || list.imported_at) return;
  await pool.query(`UPDATE lists SET status = 'importing', updated_at = now() WHERE id = $1 AND status = 'queued'`, [listId]);

  // Record jobs are queued behind the loader, chunk by chunk, on another connection: the first
  // records are being looked up while the rest of the file is still being read.
  let queued: Promise<void> = Promise.resolve();
  try {
    await loadRecords(ctx, listId, (through) => {
      queued = queued.then(() => queueRecordJobs(ctx, listId, through));
    });
  } catch (err) {
    await queued.catch(() => undefined);
    if (!(err instanceof CsvError)) throw err;
    // The file itself is unusable: say why on the list; retrying would not help. Delivery still
    // runs so the list's source (a Slack thread, a Sheet) hears about it.
    await pool.query(`UPDATE lists SET status = 'failed', error = $2, finished_at = now(), updated_at = now() WHERE id = $1`, [listId, err.message]);
    log.info({ listId, code: err.code }, `list could not be imported: ${err.message}`);
    await ctx.boss.send(QUEUES.listDeliver, { listId }, { priority: PRIORITY.list });
    return;
  }
  await queued;
  await queueRecordJobs(ctx, listId, Number.MAX_SAFE_INTEGER);
  await withTransaction(pool, async (client) => {
    // A list cancelled while its file was being read stays cancelled.
    await client.query(
      `UPDATE lists SET imported_at = now(), updated_at = now(),
              status = CASE WHEN status IN ('cancelled', 'failed') THEN status ELSE 'running' END
        WHERE id = $1`,
      [listId],
    );
    // Companies are read while the records are looked up, not after (list.classify.ts).
    await ctx.boss.send(QUEUES.listClassify, { listId }, { priority: PRIORITY.list, db: inTransaction(client) });
    // Every record may already be done (or every row was bad): then nobody else will finish the list.
    await queueDeliveryIfComplete(client, ctx.boss, listId);
  });
  log.debug({ listId }, 'list imported');
}

/**
 * Streams the parsed rows into `records` with COPY, one transaction per chunk of rows. COPY is
 * several times faster than batched INSERTs, Node parses the next rows while Postgres stores the
 * previous ones, and each committed chunk moves `records_loaded_through`, so a retried import
 * skips what is already stored and never stores a row twice.
 */
async function loadRecords(ctx: WorkerContext, listId: string, onChunk: (through: number) => void): Promise<void> {
  const { rows: [state] } = await ctx.pool.query<{ through: number }>('SELECT records_loaded_through AS through FROM lists WHERE id = $1', [listId]);
  const resumeAfter = state!.through;
  const { meta, rows } = await readCsv(readUpload(ctx.pool, listId), {
    checkRow: (input) => {
      const checked = ctx.enricher.checkInput(input as FindInput);
      if (checked.domain) (input as FindInput).domain = checked.domain;
      return checked.reason;
    },
  });
  await ctx.pool.query('UPDATE lists SET encoding = $2, delimiter = $3, header = $4, mapping = $5, updated_at = now() WHERE id = $1', [
    listId, meta.encoding, meta.delimiter, JSON.stringify(meta.header), JSON.stringify(meta.mapping),
  ]);

  // One COPY per chunk, fed row by row as the parser produces them, so parsing (Node) and
  // storing (Postgres) overlap instead of taking turns.
  let open: ChunkWriter | undefined;
  try {
    for await (const row of rows) {
      if (row.ordinal <= resumeAfter) continue;
      open ??= await ChunkWriter.start(ctx, listId);
      await open.write(row);
      if (open.count >= LOAD_CHUNK) {
        const writer = open;
        open = undefined;
        onChunk(await writer.commit());
      }
    }
  } catch (err) {
    await open?.abort(err as Error);
    throw err;
  }
  if (open) onChunk(await open.commit());
}

/** One chunk of records: a transaction with a COPY in progress. */
class ChunkWriter {
  count = 0;
  private bad = 0;
  private last = -1;
  private buf = '';
  private readonly client: PoolClient;
  private readonly listId: string;
  private readonly copy: ReturnType<typeof copyFrom>;
  private readonly done: Promise<void>;

  private constructor(client: PoolClient, listId: string) {
    this.client = client;
    this.listId = listId;
    this.copy = client.query(copyFrom('COPY records (list_id, ordinal, line, raw, domain, status, reason) FROM STDIN'));
    this.done = finished(this.copy);
    // Until commit() awaits it, a failed COPY must not surface as an unhandled rejection.
    this.done.catch(() => undefined);
  }

  static async start(ctx: WorkerContext, listId: string): Promise<ChunkWriter> {
    const client = await ctx.pool.connect();
    try {
      await client.query('BEGIN');
      return new ChunkWriter(client, listId);
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  async write(row: ParsedRow): Promise<void> {
    this.count++;
    if (row.reason) this.bad++;
    this.last = row.ordinal;
    const reason = row.reason ? copyText(row.reason) : '\\N';
    // A good row's domain was normalised by checkRow; a skipped row keeps none (nothing looks it up).
    const domain = !row.reason && row.input.domain ? copyText(row.input.domain) : '\\N';
    this.buf += `${this.listId}\t${row.ordinal}\t${row.line}\t${copyText(JSON.stringify(row.raw))}\t${domain}\t${row.reason ? 'bad' : 'pending'}\t${reason}\n`;
    if (this.buf.length >= COPY_CHUNK_CHARS) {
      const ok = this.copy.write(this.buf);
      this.buf = '';
      if (!ok) await this.drainOrFail();
    }
  }

  /** Ends the COPY, records how far the load got, commits; returns the last ordinal stored. */
  async commit(): Promise<number> {
    try {
      this.copy.end(this.buf);
      await this.done;
      await this.client.query(
        'UPDATE lists SET records_loaded_through = $2, total_rows = total_rows + $3, bad_rows = bad_rows + $4, updated_at = now() WHERE id = $1',
        [this.listId, this.last, this.count, this.bad],
      );
      await this.client.query('COMMIT');
      this.client.release();
      return this.last;
    } catch (err) {
      await this.abort(err as Error);
      throw err;
    }
  }

  async abort(err: Error): Promise<void> {
    this.copy.destroy(err);
    await this.done.catch(() => undefined);
    await this.client.query('ROLLBACK').catch(() => undefined);
    this.client.release(err);
  }

  private async drainOrFail(): Promise<void> {
    await Promise.race([once(this.copy, 'drain'), this.done]);
  }
}

/** COPY's text format: backslash, tab, newline and carriage return must be escaped. */
function copyText(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : s;
}

/**
 * The order record jobs are queued in (pg-boss hands out jobs of equal priority in creation
 * order, and one insert's jobs in the order given). Records at one domain run at most N at a time
 * (politeness), so a domain with 30 people takes 15 rounds: if its records come up only as the
 * file has them, they pile up behind its cap and finish last, with most slots idle. Queuing each
 * record by how many of its domain's records are still to come after it (most first) starts the
 * longest chains at once and lets the short ones fill the gaps — longest-processing-time-first,
 * which needs no priority field (the import's job inserts stay as small as they are).
 */
export function mostWorkFirst<T extends { domain: string | null }>(rows: T[]): T[] {
  const total = new Map<string | null, number>();
  for (const r of rows) total.set(r.domain, (total.get(r.domain) ?? 0) + 1);
  const seen = new Map<string | null, number>();
  const after = rows.map((r) => {
    const k = seen.get(r.domain) ?? 0;
    seen.set(r.domain, k + 1);
    return total.get(r.domain)! - 1 - k;
  });
  return rows.map((r, i) => [r, after[i]!] as const).sort((a, b) => b[1] - a[1]).map(([r]) => r);
}

/**
 * Queues one job per pending record, a range of ordinals at a time, remembering how far it got in
 * the same transaction as the jobs (so a re-run import queues each record once). Ranges of the
 * (list_id, ordinal) key keep every step an index range scan, however long the list.
 */
async function queueRecordJobs(ctx: WorkerContext, listId: string, upTo: number): Promise<void> {
  const { rows: [bounds] } = await ctx.pool.query<{ loaded: number }>('SELECT records_loaded_through AS loaded FROM lists WHERE id = $1', [listId]);
  const last = Math.min(upTo, bounds!.loaded);
  for (;;) {
    const done = await withTransaction(ctx.pool, async (client) => {
      const { rows: [list] } = await client.query<{ through: number }>('SELECT jobs_queued_through AS through FROM lists WHERE id = $1 FOR UPDATE', [listId]);
      const from = list!.through;
      if (from >= last) return true;
      const to = Math.min(last, from + JOB_BATCH);
      const { rows } = await client.query<{ id: number; domain: string | null }>(
        `SELECT id, domain FROM records
          WHERE list_id = $1 AND ordinal > $2 AND ordinal <= $3 AND status = 'pending' ORDER BY ordinal`,
        [listId, from, to],
      );
      if (rows.length) {
        await ctx.boss.insert(
          QUEUES.recordEnrich,
          mostWorkFirst(rows).map((r) => ({
            data: { recordId: r.id, listId },
            // priority left out: PRIORITY.record is pg-boss's default (0, checked by the type
            // below), and 100,000 fewer fields is less JSON for Postgres to parse.
            // Politeness across every worker process: at most N records of one domain at a time.
            group: { id: r.domain ?? 'none' },
          })),
          { db: inTransaction(client) },
        );
      }
      await client.query('UPDATE lists SET jobs_queued_through = $2 WHERE id = $1', [listId, to]);
      return to >= last;
    });
    ctx.recordsQueued?.();
    if (done) return;
  }
}
