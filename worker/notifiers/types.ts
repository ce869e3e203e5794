/**
 * Where a list's progress and results go depends on where it came from: a Slack thread, a Google
 * Sheet, a callback URL. Integrations register a notifier for their source; a source with none
 * (the CLI, which watches the database itself) simply has nothing pushed to it.
 */
import type { Pool } from '../../core/db/pool.ts';
import type { ListRow, ListSource } from '../../core/lists/store.ts';
import type { Logger } from '../../core/logger.ts';

export interface NotifierContext {
  pool: Pool;
  log: Logger;
  signal: AbortSignal;
}

export interface ListNotifier {
  /** Called at most every few seconds while a list runs, with its current counts. */
  progress?(list: ListRow, ctx: NotifierContext): Promise<void>;
  /** Called once the last record is done. Throwing retries the delivery later; results stay in Postgres. */
  deliver?(list: ListRow, ctx: NotifierContext): Promise<void>;
}

export type Notifiers = Partial<Record<ListSource, ListNotifier>>;
