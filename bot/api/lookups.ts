/**
 * find / verify / pattern / company: each becomes a lookup on the high-priority queue, and the request
 * waits for its answer up to its deadline (`max_duration`, default 10 s, at most 20 s). Past it
 * the answer is 202 with a URL to poll; the lookup keeps running in a worker either way, so a
 * slow mail server never holds a request (or a platform router's 30 s limit) hostage.
 */
import { Router, type Request, type Response } from 'express';
import type { WebDeps } from '../web.ts';
import { getLookup, requestLookup, type LookupInput, type LookupKind, type LookupRow } from '../../core/lookups.ts';
import { callerOf } from './auth.ts';
import { checkQuota } from './quota.ts';
import { companyQuery, findQuery, idParam, MAX_DURATION_DEFAULT, patternQuery, verifyQuery } from './schemas.ts';
import { resolveCompanyDomain } from '../../core/engine/domain.ts';
import { ApiError } from './errors.ts';
import { parse } from './validate.ts';
import { remainingMs } from './deadline.ts';

const REPLY_MARGIN_MS = 50;

export function pollPath(id: string): string {
  return `/api/v1/lookups/${id}`;
}

/** The one response shape for a lookup, whether answered at once or polled later. */
export function sendLookup(res: Response, row: LookupRow | undefined, id: string): void {
  if (!row || row.status === 'pending') {
    res.status(202).set('Location', pollPath(id)).json({ status: 'pending', id, poll: pollPath(id) });
    return;
  }
  if (row.status === 'failed') {
    res.status(502).json({ error: { code: 'lookup_failed', message: `The lookup could not be completed (${row.error ?? 'engine error'}). Try again in a minute.` }, id });
    return;
  }
  res.json({ id: row.id, kind: row.kind, status: 'done', data: row.result });
}

async function waitUnlessGone(res: Response, waiting: Promise<LookupRow | undefined>): Promise<LookupRow | undefined> {
  let onClose!: () => void;
  const gone = new Promise<undefined>((resolve) => {
    onClose = () => resolve(undefined);
    res.once('close', onClose);
  });
  try {
    return await Promise.race([waiting, gone]);
  } finally {
    res.off('close', onClose);
    // The abandoned wait still ends at its deadline; its outcome no longer matters to anyone.
    waiting.catch(() => undefined);
  }
}

export function lookupRoutes(deps: WebDeps): Router {
  const r = Router();

  async function run(req: Request, res: Response, kind: LookupKind, input: LookupInput, maxDuration: number | undefined) {
    const { accountId } = callerOf(res);
    // Verifying, reading patterns and classifying companies find no address; only finds can exhaust the quota.
    if (kind === 'find') await checkQuota(deps.pool, accountId, deps.settings.api.monthlyLookupQuota);
    const id = await requestLookup(deps.pool, deps.boss, accountId, kind, input);
    // The deadline covers the whole request; keep a little for reading the answer and replying.
    const deadlineMs = remainingMs(res, (maxDuration ?? MAX_DURATION_DEFAULT) * 1000 - REPLY_MARGIN_MS);
    // Stop waiting if the client hangs up: the lookup still completes and can be polled, and
    // the handler does not sit out the deadline for nobody.
    const row = deadlineMs > 0 && !res.writableEnded && !req.socket.destroyed ? await waitUnlessGone(res, deps.lookups.wait(deps.pool, id, deadlineMs)) : undefined;
    if (!res.destroyed) sendLookup(res, row, id);
  }

  r.get('/find', async (req, res) => {
    const q = parse(findQuery, req.query);
    const input = q.full_name && !(q.first && q.last) ? { full_name: q.full_name } : { first: q.first, last: q.last };
    await run(req, res, 'find', { ...input, domain: q.domain ?? q.company }, q.max_duration);
  });

  r.get('/verify', async (req, res) => {
    const q = parse(verifyQuery, req.query);
    await run(req, res, 'verify', { email: q.email }, q.max_duration);
  });

  r.get('/pattern', async (req, res) => {
    const q = parse(patternQuery, req.query);
    await run(req, res, 'pattern', { domain: q.domain }, q.max_duration);
  });

  r.get('/company', async (req, res) => {
    const q = parse(companyQuery, req.query);
    // The worker would refuse these too (as a failed lookup); say it now, as a 400 with the why.
    // Test and lab names (.test, .example) only where private websites are allowed, as the worker does.
    const d = resolveCompanyDomain(q.domain, { allowReserved: deps.settings.web.allowPrivate });
    if (!d.ok) throw new ApiError(400, 'invalid_request', `domain: ${d.reason}. Send the company's domain, e.g. ?domain=acme.com.`);
    await run(req, res, 'company', q.refresh ? { domain: d.domain, refresh: true } : { domain: d.domain }, q.max_duration);
  });

  r.get('/lookups/:id', async (req, res) => {
    const { id } = parse(idParam, req.params);
    const row = await getLookup(deps.pool, id, callerOf(res).accountId);
    if (!row) {
      res.status(404).json({ error: { code: 'not_found', message: `No lookup ${id} in this account. Lookup ids come from a 202 answer of find, verify, pattern or company.` } });
      return;
    }
    sendLookup(res, row, id);
  });

  return r;
}
