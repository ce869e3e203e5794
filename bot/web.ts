/**
 * The web process's express app. Each integration mounts its routes here (one line each, in
 * order); this file owns what every deployment needs: health and readiness.
 */
import express, { type Express } from 'express';
import type { Settings } from '../core/config.ts';
import type { Pool } from '../core/db/pool.ts';
import type { Boss } from '../core/queue/boss.ts';
import type { Logger } from '../core/logger.ts';
import type { LookupWaiter } from '../core/lookups.ts';
import { mountSlack } from './slack/index.ts';
import { createAddonRouter } from './addon/index.ts';
import { mountApi } from './api/index.ts';
import { mountPages } from './pages/index.ts';

export interface WebDeps {
  settings: Settings;
  pool: Pool;
  boss: Boss;
  log: Logger;
  /** Waits for single lookups to finish (one LISTEN connection for the whole process). */
  lookups: LookupWaiter;
}

export function createWebApp(deps: WebDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind Heroku-style routers the client's address and protocol come from X-Forwarded-*.
  app.set('trust proxy', 1);

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

  // Integrations (each switches itself on only when its settings are present):
  // (mount lines go here, in this order: Slack, Sheets add-on, API, pages)
  mountSlack(app, deps);
  if (deps.settings.google.enabled) app.use('/addon', createAddonRouter(deps));
  mountApi(app, deps);
  mountPages(app, deps);

  return app;
}
