/**
 * Imports one generated list of N rows in a process of its own and prints its timings and peak
 * RSS as JSON, so the memory figure is the importer's alone.
 */
import { loadSettings } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { openServices } from '../../core/services.ts';
import { createList, ensureAccount } from '../../core/lists/store.ts';
import { importList } from '../../worker/jobs/list.import.ts';
import { benchEnricher } from './bench-enricher.ts';
import { offlineCompanies } from '../helpers/pipeline.ts';

const rows = Number(process.argv[2] ?? 100_000);
const settings = loadSettings({ DATABASE_URL: process.env.DATABASE_URL, DATABASE_SCHEMA: process.env.DATABASE_SCHEMA, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
const log = createLogger({ level: 'warn' });
const services = await openServices(settings, log, { supervise: false, name: 'bench-import' });

async function* generate(): AsyncGenerator<Buffer> {
  yield Buffer.from('First Name,Last Name,Company Website,Title,City\n');
  const page: string[] = [];
  for (let i = 0; i < rows; i++) {
    page.push(`Firstname${i},Lastname${i},https://www.company${i % 3000}.com,Head of Something,Springfield`);
    if (page.length === 1000) {
      yield Buffer.from(page.join('\n') + '\n');
      page.length = 0;
    }
  }
  if (page.length) yield Buffer.from(page.join('\n') + '\n');
}

const accountId = await ensureAccount(services.db.pool, 'local', 'bench');
const t0 = performance.now();
const { id, bytes } = await createList(services.db.pool, services.boss, { accountId, source: 'cli', filename: 'bench.csv', content: generate() });
const t1 = performance.now();
await importList(
  { pool: services.db.pool, boss: services.boss, log, enricher: benchEnricher(0), companies: offlineCompanies(services.db.pool), notifiers: {}, concurrency: 50, perDomainConcurrency: 2, progressIntervalSeconds: 2 },
  id,
);
const t2 = performance.now();
const { rows: [list] } = await services.db.pool.query('SELECT total_rows, bad_rows FROM lists WHERE id = $1', [id]);
await services.close();
process.stdout.write(
  JSON.stringify({ listId: id, rows: list.total_rows, bad: list.bad_rows, bytes, uploadMs: t1 - t0, importMs: t2 - t1, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n',
);
