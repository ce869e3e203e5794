/**
 * Lists over HTTP: upload a CSV, watch it, page through its records, download the results
 * (regenerated from the records on every download), cancel or delete it. Every query is scoped
 * to the caller's account: another account's list id answers 404, exactly like a missing one.
 */
import { Router, type Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WebDeps } from '../web.ts';
import { getList, outputStatus, type ListRow, type ResultRecord } from '../../core/lists/store.ts';
import { resultsCsv, resultsFilename } from '../../core/lists/results.ts';
import { callerOf } from './auth.ts';
import { ApiError } from './errors.ts';
import { checkQuota } from './quota.ts';
import { idParam, listsQuery, recordsQuery } from './schemas.ts';
import { receiveList } from './upload.ts';
import { parse } from './validate.ts';

export function listJson(l: ListRow) {
  const settled = l.processed + l.bad_rows;
  return {
    id: l.id,
    filename: l.filename,
    source: l.source,
    status: l.status,
    total_rows: l.total_rows,
    bad_rows: l.bad_rows,
    processed: l.processed,
    found: l.found,
    // Unknown until the import has counted the rows; a finished list is complete by definition.
    progress: ['delivering', 'done'].includes(l.status) ? 1 : l.imported_at && l.total_rows ? Math.min(1, settled / l.total_rows) : 0,
    error: l.error,
    created_at: l.created_at.toISOString(),
    finished_at: l.finished_at ? l.finished_at.toISOString() : null,
    results_url: `/api/v1/lists/${l.id}/results.csv`,
    records_url: `/api/v1/lists/${l.id}/records`,
  };
}

export function recordJson(r: ResultRecord) {
  return {
    ordinal: r.ordinal,
    line: r.line,
    raw: r.raw,
    status: r.status,
    result: outputStatus(r),
    reason: r.reason,
    email: r.email,
    confidence: r.confidence,
    verification: r.verification,
    pattern: r.pattern,
  };
}

export async function ownList(deps: WebDeps, res: Response, id: string): Promise<ListRow> {
  const list = await getList(deps.pool, id, callerOf(res).accountId);
  if (!list) throw new ApiError(404, 'not_found', `No list ${id} in this account. GET /api/v1/lists shows yours.`);
  return list;
}

/** Keyset cursor over (created_at, id), newest first: stable while new lists arrive. */
function encodeCursor(l: ListRow): string {
  return Buffer.from(`${l.created_at.toISOString()}|${l.id}`).toString('base64url');
}
function decodeCursor(c: string): [string, string] {
  const [at, id] = Buffer.from(c, 'base64url').toString().split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new ApiError(400, 'invalid_request', 'cursor must be the next_cursor of a previous page.');
  }
  return [at, id];
}

export function listRoutes(deps: WebDeps): Router {
  const r = Router();

  r.post('/lists', async (req, res) => {
    const { accountId, via } = callerOf(res);
    await checkQuota(deps.pool, accountId, deps.settings.api.monthlyLookupQuota);
    // Uploads from the pages (session or local mode) are the web's; keyed requests are the API's.
    const source = via === 'key' ? 'api' : 'web';
    const { id } = await receiveList(req, { pool: deps.pool, boss: deps.boss, maxBytes: deps.settings.api.maxUploadBytes, accountId, source });
    const list = (await getList(deps.pool, id, accountId))!;
    res.status(202).set('Location', `/api/v1/lists/${id}`).json(listJson(list));
  });

  r.get('/lists', async (req, res) => {
    const q = parse(listsQuery, req.query);
    const limit = q.limit ?? 20;
    const [at, id] = q.cursor ? decodeCursor(q.cursor) : [null, null];
    const { rows } = await deps.pool.query<ListRow>(
      `SELECT * FROM lists WHERE account_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [callerOf(res).accountId, at, id, limit + 1],
    );
    const page = rows.slice(0, limit);
    res.json({ lists: page.map(listJson), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null });
  });

  r.get('/lists/:id', async (req, res) => {
    const { id } = parse(idParam, req.params);
    res.json(listJson(await ownList(deps, res, id)));
  });

  r.get('/lists/:id/records', async (req, res) => {
    const { id } = parse(idParam, req.params);
    const q = parse(recordsQuery, req.query);
    await ownList(deps, res, id);
    const limit = q.limit ?? 100;
    const { rows } = await deps.pool.query<ResultRecord>(
      `SELECT ordinal, line, raw, status, reason, email, confidence, verification, pattern, result
         FROM records WHERE list_id = $1 AND ordinal > $2 AND ($3::text IS NULL OR status = $3)
        ORDER BY ordinal LIMIT $4`,
      [id, q.cursor === undefined ? -1 : Number(q.cursor), q.status ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    res.json({ records: page.map(recordJson), next_cursor: rows.length > limit ? String(page[page.length - 1]!.ordinal) : null });
  });

  r.get('/lists/:id/results.csv', async (req, res) => {
    const { id } = parse(idParam, req.params);
    const list = await ownList(deps, res, id);
    if (!list.header) {
      throw new ApiError(409, 'not_ready', list.status === 'failed'
        ? `This list failed before any row was read: ${list.error ?? 'unknown error'}.`
        : 'The file is still being read; try again in a few seconds (GET /api/v1/lists/:id shows the progress).');
    }
    const name = resultsFilename(list.filename);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
      'Cache-Control': 'no-store',
    });
    // Streamed page by page from the records; a client that goes away stops the reading.
    await pipeline(Readable.from(resultsCsv(deps.pool, list)), res);
  });

  r.delete('/lists/:id', async (req, res) => {
    const { id } = parse(idParam, req.params);
    const list = await ownList(deps, res, id);
    if (['queued', 'importing', 'running'].includes(list.status)) {
      // Still running: cancel, so workers skip its remaining records (their jobs are already
      // queued) and the import stops; its rows stay readable. DELETE again to remove it.
      const { rows } = await deps.pool.query<ListRow>(
        `UPDATE lists SET status = 'cancelled', finished_at = now(), updated_at = now()
          WHERE id = $1 AND status IN ('queued', 'importing', 'running') RETURNING *`,
        [id],
      );
      if (rows[0]) return void res.json(listJson(rows[0]));
    }
    // It moved on meanwhile (e.g. the last record finished): judge its state as it is now.
    const now = (await ownList(deps, res, id)).status;
    if (now === 'delivering' || now === 'queued' || now === 'importing' || now === 'running') {
      throw new ApiError(409, 'delivering', 'The list has just finished and its results are being delivered; try again in a few seconds.');
    }
    await deps.pool.query('DELETE FROM lists WHERE id = $1 AND account_id = $2', [id, callerOf(res).accountId]);
    res.status(204).end();
  });

  return r;
}
