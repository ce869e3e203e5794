import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../../core/db/pool.ts';
import { loadMigrations, migrate } from '../../core/db/migrate.ts';
import { dropSchemas, testSettings } from '../helpers/db.ts';

describe('migrations', () => {
  it('should apply every migration once when several processes start at the same moment', async () => {
    const settings = testSettings('migrate-race');
    await dropSchemas(settings);
    const pools = [0, 1, 2].map(() => createPool({ url: settings.databaseUrl!, schema: settings.databaseSchema, max: 2 }));
    try {
      const applied = await Promise.all(pools.map((p) => migrate(p, settings.databaseSchema)));
      const all = (await loadMigrations()).map((m) => m.version);
      // Exactly one of them did the work; the others waited on the lock and found nothing to do.
      assert.deepEqual(applied.map((a) => a.length).sort(), [0, 0, all.length]);
      assert.deepEqual(applied.flat().sort((a, b) => a - b), all);
      const { rows } = await pools[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), all);
      // And again later: nothing to do.
      assert.deepEqual(await migrate(pools[1]!, settings.databaseSchema), []);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
