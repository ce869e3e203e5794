/**
 * Turning a POST body into a list: `text/csv` (the body is the file) or `multipart/form-data`
 * (a browser form, or `curl -F file=@leads.csv`). Either way the bytes stream straight into
 * Postgres (createList), never whole into memory, and stop at the size limit.
 */
import type { Request } from 'express';
import busboy from 'busboy';
import type { Readable } from 'node:stream';
import type { Pool } from '../../core/db/pool.ts';
import type { Boss } from '../../core/queue/boss.ts';
import { createList, type ListSource } from '../../core/lists/store.ts';
import { ApiError } from './errors.ts';
import { createListQuery } from './schemas.ts';
import { parse } from './validate.ts';

const RAW_TYPES = new Set(['text/csv', 'application/csv', 'text/plain', 'text/tab-separated-values', 'application/octet-stream', 'application/vnd.ms-excel']);

export interface UploadDeps {
  pool: Pool;
  boss: Boss;
  maxBytes: number;
}

/** Counts bytes, and refuses an empty file before the list is committed. */
async function* nonEmpty(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    yield chunk;
  }
  if (!bytes) throw new ApiError(400, 'empty_file', 'The file is empty. Send a CSV with a header row and one row per person.');
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'upload_too_large', `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB. Split it into smaller files and upload them one by one.`);
}

type ListDeps = UploadDeps & { accountId: number; source: ListSource };
type ListQuery = ReturnType<typeof createListQuery.parse>;

/** The one way both upload forms create their list: the file streams in, refused if empty. */
async function startList(deps: ListDeps, q: ListQuery, content: AsyncIterable<Buffer>): Promise<{ id: string; callbackUrl?: string }> {
  const { id } = await createList(deps.pool, deps.boss, {
    accountId: deps.accountId,
    source: deps.source,
    sourceRef: q.callback_url ? { callback_url: q.callback_url } : {},
    filename: q.filename ?? 'upload.csv',
    content: nonEmpty(content),
    maxBytes: deps.maxBytes,
  });
  return { id, callbackUrl: q.callback_url };
}

export async function receiveList(req: Request, deps: ListDeps): Promise<{ id: string; callbackUrl?: string }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = Number(req.headers['content-length'] ?? 0);
  // Refuse what we know is too large before reading a byte of it.
  if (declared > deps.maxBytes + 64 * 1024) throw tooLarge(deps.maxBytes);

  if (RAW_TYPES.has(type)) {
    const q = parse(createListQuery, { callback_url: req.query.callback_url, filename: req.query.filename });
    return startList(deps, q, req as AsyncIterable<Buffer>);
  }
  if (type === 'multipart/form-data') return receiveMultipart(req, deps);
  throw new ApiError(415, 'unsupported_media_type', `Send the CSV as the body with Content-Type: text/csv, or as a multipart/form-data upload with a "file" field (got ${type ? `"${type}"` : 'no Content-Type'}).`);
}

/**
 * A form upload. Fields that shape the list (callback_url, filename) must come before the file,
 * as browsers and curl send them in order: the list is created while the file streams in.
 */
function receiveMultipart(req: Request, deps: ListDeps): Promise<{ id: string; callbackUrl?: string }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 4096, fileSize: deps.maxBytes + 1, parts: 30 } });
    } catch (err) {
      reject(new ApiError(400, 'bad_multipart', `The multipart body could not be read: ${(err as Error).message}.`));
      return;
    }
    const fields: Record<string, string> = { ...(typeof req.query.callback_url === 'string' ? { callback_url: req.query.callback_url } : {}) };
    const lateFields: string[] = [];
    let upload: Promise<{ id: string; callbackUrl?: string }> | undefined;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.resume();
      reject(err);
    };

    bb.on('field', (name, value) => {
      if (upload) lateFields.push(name);
      else fields[name] = value;
    });
    bb.on('file', (_name, file: Readable, info) => {
      if (upload) {
        file.resume();
        return;
      }
      let q: ListQuery;
      try {
        q = parse(createListQuery, { callback_url: fields.callback_url, filename: fields.filename ?? (info.filename || undefined) });
      } catch (err) {
        file.resume();
        fail(err);
        return;
      }
      file.on('limit', () => file.destroy(tooLarge(deps.maxBytes)));
      upload = startList(deps, q, file as AsyncIterable<Buffer>);
      upload.catch((err: unknown) => {
        file.resume();
        fail(err);
      });
    });
    bb.on('error', (err: Error) => fail(new ApiError(400, 'bad_multipart', `The multipart body could not be read: ${err.message}.`)));
    bb.on('close', async () => {
      if (failed) return;
      if (!upload) return fail(new ApiError(400, 'missing_file', 'No file in the upload: send the CSV in a form field named "file".'));
      try {
        const created = await upload;
        if (lateFields.some((f) => f === 'callback_url' || f === 'filename')) {
          // Too late to shape a list already queued: remove it rather than run it unlike asked.
          await deps.pool.query('DELETE FROM lists WHERE id = $1', [created.id]);
          return fail(new ApiError(400, 'field_after_file', 'Put the callback_url and filename fields before the file in the form (or pass them in the query string).'));
        }
        resolve(created);
      } catch (err) {
        fail(err);
      }
    });
    req.on('aborted', () => fail(new ApiError(400, 'upload_aborted', 'The upload was interrupted. Send it again.')));
    req.pipe(bb);
  });
}
