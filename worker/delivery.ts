/**
 * Finishing a list, exactly once. Both the importer (a list whose records all finished before the
 * import did) and the record job (the last record) call this inside their own transaction; the
 * row lock on `lists` and the `deliver_queued_at IS NULL` guard make sure one of them wins.
 */
import type { PoolClient } from '../core/db/pool.ts';
import type { Boss } from '../core/queue/boss.ts';
import { inTransaction } from '../core/queue/boss.ts';
import { PRIORITY, QUEUES } from '../core/queue/queues.ts';

export async function queueDeliveryIfComplete(client: PoolClient, boss: Boss, listId: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE lists SET deliver_queued_at = now(), finished_at = now(), status = 'delivering', updated_at = now()
      WHERE id = $1 AND deliver_queued_at IS NULL AND imported_at IS NOT NULL
        AND processed >= total_rows - bad_rows AND status NOT IN ('failed', 'cancelled')`,
    [listId],
  );
  if (!rowCount) return false;
  await boss.send(QUEUES.listDeliver, { listId }, { priority: PRIORITY.list, db: inTransaction(client) });
  return true;
}
