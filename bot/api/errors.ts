/**
 * Every API error has one shape, `{error: {code, message}}`: `code` is stable for programs,
 * `message` says what went wrong and what to do, for people. Handlers throw `ApiError`; the
 * router's error handler (below) turns anything else into a 500 without leaking internals.
 */
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from '../../core/logger.ts';
import { UploadTooLargeError } from '../../core/lists/store.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function sendError(res: Response, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.set(headers).status(status).json({ error: { code, message } });
}

export function apiErrorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof ApiError) return sendError(res, err.status, err.code, err.message, err.headers);
    if (err instanceof UploadTooLargeError) return sendError(res, 413, 'upload_too_large', err.message);
    // body-parser / express errors carry a status and a type.
    const e = err as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') return sendError(res, 413, 'body_too_large', 'The request body is too large. Send a smaller one.');
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'The request body is not valid JSON.');
    if (e.status && e.status >= 400 && e.status < 500) return sendError(res, e.status, 'bad_request', e.message ?? 'The request could not be read.');
    log.error({ err, method: req.method, path: req.path }, 'API request failed');
    sendError(res, 500, 'internal_error', 'Something went wrong on our side. Try again; if it keeps failing, tell the operator the time of the request.');
  };
}
