/**
 * The backstop behind every per-request deadline: whatever a handler waits on (a pool with no
 * free connection, a stuck query), no API request runs past 25 s, under the 30 s after which
 * platform routers (Heroku's H12) kill it. A response already streaming (results.csv) is
 * making progress and is left alone.
 */
import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors.ts';

export const HARD_DEADLINE_MS = 25_000;

export function hardDeadline(ms: number = HARD_DEADLINE_MS) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    // Per-request deadlines (max_duration) count from here, so time spent before the wait
    // (auth, queueing the lookup, a busy pool) is inside the budget, not added to it.
    res.locals.startedAt = performance.now();
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      sendError(res, 503, 'deadline_exceeded', `The request took longer than ${Math.round(ms / 1000)} s and was stopped. Try again; lookups that were started can be polled.`, { 'Retry-After': '5' });
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}

/** Milliseconds left of a `budgetMs` budget that started when the request arrived. */
export function remainingMs(res: Response, budgetMs: number): number {
  const started = typeof res.locals.startedAt === 'number' ? res.locals.startedAt : performance.now();
  return Math.max(0, Math.round(budgetMs - (performance.now() - started)));
}
