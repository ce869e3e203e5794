/**
 * The HTTP API, `/api/v1`: auth → rate limit → routes, with a hard deadline around all of it
 * and one error shape. The OpenAPI document and its docs page need no key.
 */
import { Router, type Express } from 'express';
import type { WebDeps } from '../web.ts';
import { createAuthenticator } from './auth.ts';
import { hardDeadline, HARD_DEADLINE_MS } from './deadline.ts';
import { renderDocs } from './docs.ts';
import { apiErrorHandler, sendError } from './errors.ts';
import { listRoutes } from './lists.ts';
import { lookupRoutes } from './lookups.ts';
import { openApiDocument } from './openapi.ts';
import { rateLimiter } from './rate-limit.ts';

export function createApiRouter(deps: WebDeps, opts: { hardDeadlineMs?: number } = {}): Router {
  const r = Router();
  const auth = createAuthenticator(deps);
  const doc = openApiDocument(deps.settings.publicUrl);

  r.use(hardDeadline(opts.hardDeadlineMs ?? HARD_DEADLINE_MS));
  r.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  r.get('/openapi.json', (_req, res) => void res.json(doc));
  r.use(auth.requireCaller);
  r.use(rateLimiter({ pool: deps.pool, perMinute: deps.settings.api.rateLimitPerMinute }));
  r.use(lookupRoutes(deps));
  r.use(listRoutes(deps));
  r.use((req, res) => sendError(res, 404, 'not_found', `There is no ${req.method} ${req.baseUrl}${req.path}. The endpoints are listed at /api/v1/openapi.json and /api/docs.`));
  r.use(apiErrorHandler(deps.log));
  return r;
}

/** The one line in bot/web.ts: the API and its docs page. */
export function mountApi(app: Express, deps: WebDeps): void {
  const docs = renderDocs(openApiDocument(deps.settings.publicUrl));
  app.get('/api/docs', (_req, res) => void res.type('html').send(docs));
  app.use('/api/v1', createApiRouter(deps));
  // Anything else under /api (e.g. /api/v2) answers JSON too, not an HTML 404.
  app.use('/api', (req, res) => sendError(res, 404, 'not_found', `There is no ${req.method} ${req.originalUrl.split('?')[0]}. This server speaks /api/v1 (see /api/docs).`));
}
