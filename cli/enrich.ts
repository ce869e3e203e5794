/**
 * `toofr enrich in.csv -o out.csv`: the full pipeline (list, queue, workers) on the configured or
 * embedded database, with this process as its worker, then the results file written atomically.
 */
import { createReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Settings } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { openServices } from '../core/services.ts';
import { createList, ensureAccount, getList, type ListRow } from '../core/lists/store.ts';
import { resultsCsv } from '../core/lists/results.ts';
import { runWorker } from '../worker/main.ts';
import { setTimeout as delay } from 'node:timers/promises';

export interface EnrichSummary {
  listId: string;
  status: ListRow['status'];
  rows: number;
  bad: number;
  processed: number;
  found: number;
  output: string;
  seconds: number;
}

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export async function enrichFile(opts: {
  settings: Settings;
  log: Logger;
  input: string;
  output: string;
  onProgress?: (list: ListRow) => void;
}): Promise<EnrichSummary> {
  const { settings, log } = opts;
  const info = await stat(opts.input).catch(() => undefined);
  if (!info?.isFile()) throw new CliError(`${opts.input}: no such file. Give the path of a CSV file.`, 2);
  const started = performance.now();
  const services = await openServices(settings, log, { supervise: true, name: 'cli' });
  const worker = await runWorker(settings, log, services);
  try {
    const accountId = await ensureAccount(services.db.pool, 'local', 'local', 'Local user');
    const { id } = await createList(services.db.pool, services.boss, {
      accountId,
      source: 'cli',
      filename: path.basename(opts.input),
      content: createReadStream(opts.input),
    });
    let list: ListRow | undefined;
    // The worker runs in this process; watching the row is how the progress bar moves.
    for (;;) {
      list = await getList(services.db.pool, id);
      if (!list) throw new CliError('the list disappeared from the database while it ran');
      opts.onProgress?.(list);
      if (list.delivered_at || list.status === 'failed') break;
      await delay(250);
    }
    if (list.status === 'failed') throw new CliError(`${opts.input}: ${list.error ?? 'the list failed'}`);

    // Write beside the target, then rename: a crash never leaves a half-written results file.
    const tmp = `${opts.output}.tmp-${process.pid}`;
    try {
      await pipeline(Readable.from(resultsCsv(services.db.pool, list)), createWriteStream(tmp));
      await rename(tmp, opts.output);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new CliError(`could not write ${opts.output}: ${(err as Error).message}`);
    }
    return {
      listId: id,
      status: list.status,
      rows: list.total_rows,
      bad: list.bad_rows,
      processed: list.processed,
      found: list.found,
      output: opts.output,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await worker.stop(settings.shutdownGraceSeconds * 1000);
  }
}

