/**
 * The web process's express app. Integrations (Slack receiver, add-on endpoints, API, pages)
 * mount their routers here; this file owns what every deployment needs: health and readiness.
 */
import express, { type Express } from 'express';
import type { Pool } from '../core/db/pool.ts';
import type { Boss } from '../core/queue/boss.ts';
import type { Logger } from '../core/logger.ts';

export interface WebDeps {
  pool: Pool;
  boss: Boss;
  log: Logger;
}

export function createWebApp(deps: WebDeps): Express {
  const app = express();
  app.disable('x-powered-by');

  // Liveness: the process answers. Platforms restart it when this fails.
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  // Readiness: the database and the queue answer, so requests can be served.
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    try {
      await deps.pool.query('SELECT 1');
      checks.database = 'ok';
    } catch (err) {
      checks.database = `unreachable: ${(err as Error).message}`;
    }
    try {
      if (!(await deps.boss.getQueue('record.enrich'))) throw new Error('queues are not created yet');
      checks.queue = 'ok';
    } catch (err) {
      checks.queue = `unreachable: ${(err as Error).message}`;
    }
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ ok, checks });
  });

  return app;
}
