/**
 * list.import: the uploaded CSV → records (batched inserts) → one record.enrich job per good
 * record (batched job inserts). Safe to run again after a crash: records are keyed by their
 * ordinal and the jobs already queued are remembered, so nothing is inserted or queued twice.
 */
import type { Job } from 'pg-boss';
import { withTransaction } from '../../core/db/pool.ts';
import { CsvError, readCsv } from '../../core/lists/read-csv.ts';
import { getList, readUpload } from '../../core/lists/store.ts';
import { inTransaction } from '../../core/queue/boss.ts';
import { PRIORITY, QUEUES, type Payloads } from '../../core/queue/queues.ts';
import type { FindInput } from '../../core/engine/types.ts';
import type { WorkerContext } from '../context.ts';
import { queueDeliveryIfComplete } from '../delivery.ts';

export const QUEUE = QUEUES.listImport;
const INSERT_BATCH = 1000;

interface PendingRow {
  ordinal: number;
  line: number;
  raw: string[];
  input: FindInput;
  reason?: string;
}

export function handler(ctx: WorkerContext) {
  return async ([job]: Job<Payloads['list.import']>[]) => {
    await importList(ctx, job!.data.listId);
  };
}

export async function importList(ctx: WorkerContext, listId: string): Promise<void> {
  const { pool, log } = ctx;
  const list = await getList(pool, listId);
  if (!list || list.status === 'cancelled' || list.imported_at) return;
  await pool.query(`UPDATE lists SET status = 'importing', updated_at = now() WHERE id = $1`, [listId]);

  let batch: PendingRow[] = [];
  try {
    const { meta, rows } = await readCsv(readUpload(pool, listId), {
      checkRow: (input) => {
        const checked = ctx.enricher.checkInput(input as FindInput);
        if (checked.domain) (input as FindInput).domain = checked.domain;
        return checked.reason;
      },
    });
    await pool.query(
      'UPDATE lists SET encoding = $2, delimiter = $3, header = $4, mapping = $5, updated_at = now() WHERE id = $1',
      [listId, meta.encoding, meta.delimiter, JSON.stringify(meta.header), JSON.stringify(meta.mapping)],
    );
    for await (const row of rows) {
      batch.push({ ordinal: row.ordinal, line: row.line, raw: row.raw, input: row.input as FindInput, reason: row.reason });
      if (batch.length >= INSERT_BATCH) {
        await insertRecords(ctx, listId, batch);
        batch = [];
      }
    }
    if (batch.length) await insertRecords(ctx, listId, batch);
  } catch (err) {
    if (err instanceof CsvError) {
      // The file itself is unusable: say why on the list; retrying would not help.
      await pool.query(`UPDATE lists SET status = 'failed', error = $2, finished_at = now(), updated_at = now() WHERE id = $1`, [listId, err.message]);
      log.info({ listId, code: err.code }, `list could not be imported: ${err.message}`);
      await ctx.boss.send(QUEUES.listDeliver, { listId }, { priority: PRIORITY.list });
      return;
    }
    throw err;
  }

  await pool.query(
    `UPDATE lists SET status = 'running', updated_at = now(),
        total_rows = (SELECT count(*) FROM records WHERE list_id = $1),
        bad_rows = (SELECT count(*) FROM records WHERE list_id = $1 AND status = 'bad')
      WHERE id = $1`,
    [listId],
  );
  await queueRecordJobs(ctx, listId);
  await withTransaction(pool, async (client) => {
    await client.query('UPDATE lists SET imported_at = now(), updated_at = now() WHERE id = $1', [listId]);
    // Every record may already be done (or every row was bad): then nobody else will finish the list.
    await queueDeliveryIfComplete(client, ctx.boss, listId);
  });
  log.debug({ listId }, 'list imported');
}

async function insertRecords(ctx: WorkerContext, listId: string, rows: PendingRow[]): Promise<void> {
  // One statement per batch: arrays of columns unnested server-side (far fewer round trips
  // than one INSERT per row; a 100,000-row file is 100 statements).
  await ctx.pool.query(
    `INSERT INTO records (list_id, ordinal, line, raw, input, status, reason)
     SELECT $1, u.ordinal, u.line, u.raw, u.input, CASE WHEN u.reason IS NULL THEN 'pending' ELSE 'bad' END, u.reason
       FROM unnest($2::int[], $3::int[], $4::jsonb[], $5::jsonb[], $6::text[]) AS u(ordinal, line, raw, input, reason)
     ON CONFLICT (list_id, ordinal) DO NOTHING`,
    [
      listId,
      rows.map((r) => r.ordinal),
      rows.map((r) => r.line),
      rows.map((r) => JSON.stringify(r.raw)),
      rows.map((r) => JSON.stringify(r.input ?? {})),
      rows.map((r) => r.reason ?? null),
    ],
  );
}

/** Queues one job per pending record, remembering how far it got in the same transaction. */
async function queueRecordJobs(ctx: WorkerContext, listId: string): Promise<void> {
  for (;;) {
    const done = await withTransaction(ctx.pool, async (client) => {
      const { rows: [list] } = await client.query<{ through: number }>('SELECT jobs_queued_through AS through FROM lists WHERE id = $1 FOR UPDATE', [listId]);
      const { rows } = await client.query<{ id: number; ordinal: number; domain: string | null }>(
        `SELECT id, ordinal, input->>'domain' AS domain FROM records
          WHERE list_id = $1 AND status = 'pending' AND ordinal > $2 ORDER BY ordinal LIMIT $3`,
        [listId, list!.through, INSERT_BATCH],
      );
      if (!rows.length) return true;
      await ctx.boss.insert(
        QUEUES.recordEnrich,
        rows.map((r) => ({
          data: { recordId: r.id, listId },
          priority: PRIORITY.record,
          // Politeness across every worker process: at most N records of one domain at a time.
          group: { id: r.domain ?? 'none' },
        })),
        { db: inTransaction(client) },
      );
      await client.query('UPDATE lists SET jobs_queued_through = $2 WHERE id = $1', [listId, rows[rows.length - 1]!.ordinal]);
      return rows.length < INSERT_BATCH;
    });
    if (done) return;
  }
}
