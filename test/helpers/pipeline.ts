/** Drives the real pipeline (queue, workers, Postgres) in a test, with a chosen enricher. */
import { once } from 'node:events';
import pg from 'pg';
import type { Enricher } from '../../core/enricher.ts';
import { createCompanies, type Companies } from '../../core/classify/companies.ts';
import type { Pool } from '../../core/db/pool.ts';
import { createList, ensureAccount, getList, type ListRow, type ListSource } from '../../core/lists/store.ts';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import type { Settings } from '../../core/config.ts';
import type { Notifiers } from '../../worker/notifiers/types.ts';
import { startWorker } from '../../worker/runtime.ts';
import { noSuchHost } from './websites.ts';

/**
 * Company classification for pipeline tests: the real classifier and cache, with a resolver that
 * finds no website for any domain, so no test reaches for the internet (industry "Unknown").
 */
export function offlineCompanies(pool: Pool, settings: Pick<Settings, 'web' | 'dns'> = { web: { allowPrivate: false }, dns: { servers: undefined } }): Companies {
  return createCompanies({ pool, settings, fetch: { resolveHost: async (host) => { throw noSuchHost(host); } } });
}

export async function startTestWorker(services: Services, log: Logger, enricher: Enricher, opts: { concurrency?: number; notifiers?: Notifiers; progressIntervalSeconds?: number; companies?: Companies } = {}) {
  return startWorker({
    pool: services.db.pool,
    boss: services.boss,
    log,
    enricher,
    companies: opts.companies ?? offlineCompanies(services.db.pool),
    notifiers: opts.notifiers ?? {},
    concurrency: opts.concurrency ?? 50,
    perDomainConcurrency: 1000,
    progressIntervalSeconds: opts.progressIntervalSeconds ?? 2,
  });
}

export async function submitCsv(services: Services, csv: string | Buffer, opts: { source?: ListSource; filename?: string } = {}): Promise<string> {
  const accountId = await ensureAccount(services.db.pool, 'local', 'local');
  const { id } = await createList(services.db.pool, services.boss, {
    accountId,
    source: opts.source ?? 'cli',
    filename: opts.filename ?? 'test.csv',
    content: typeof csv === 'string' ? Buffer.from(csv) : csv,
  });
  return id;
}

/**
 * Resolves when the list is delivered (or failed): listens for the worker's NOTIFY, and checks
 * the row after subscribing so a notification sent before we listened is not missed.
 */
export async function waitForList(settings: Settings, services: Services, listId: string): Promise<ListRow> {
  const client = new pg.Client({ connectionString: settings.databaseUrl });
  await client.connect();
  try {
    await client.query('LISTEN toofr_list_finished');
    const finished = async () => {
      const list = await getList(services.db.pool, listId);
      return list && (list.delivered_at || list.status === 'failed') ? list : undefined;
    };
    for (;;) {
      const list = await finished();
      if (list) return list;
      await once(client, 'notification');
    }
  } finally {
    await client.end();
  }
}
