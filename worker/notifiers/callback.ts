/**
 * The API's `callback_url`: when a list is done (or failed), POST a JSON summary to it, signed so
 * the receiver can trust it came from us and is fresh:
 *
 *   Toofr-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(account's callback secret, "<t>.<raw body>")>
 *
 * (the scheme Stripe uses). A network error or a non-2xx answer throws, and list.deliver retries
 * with backoff (core/queue/queues.ts); the receiver should de-duplicate on `Toofr-Delivery`.
 * Like the engine, this never reaches inside: a URL whose address is loopback, private,
 * link-local or metadata is refused unless ALLOW_PRIVATE_CALLBACKS, and we connect to the very
 * address we checked (no second DNS answer can swap it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Settings } from '../../core/config.ts';
import type { Pool } from '../../core/db/pool.ts';
import type { ListRow } from '../../core/lists/store.ts';
import type { Logger } from '../../core/logger.ts';
import { callbackSecret } from '../../core/api-keys.ts';
import { isPublicAddress } from '../../core/engine/dns.ts';
import type { ListNotifier } from './types.ts';

const TIMEOUT_MS = 10_000;

export function sign(secret: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** For receivers (and tests): true when the header signs this exact body within `toleranceSeconds`. */
export function verifySignature(secret: string, header: string | undefined, body: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.trim().split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(now / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, body, t).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function callbackPayload(list: ListRow, publicUrl: string) {
  return {
    event: list.status === 'failed' ? 'list.failed' : 'list.done',
    list: {
      id: list.id,
      filename: list.filename,
      status: list.status === 'delivering' ? 'done' : list.status,
      total_rows: list.total_rows,
      bad_rows: list.bad_rows,
      processed: list.processed,
      found: list.found,
      error: list.error,
      finished_at: list.finished_at ? list.finished_at.toISOString() : null,
    },
    results_url: `${publicUrl}/api/v1/lists/${list.id}/results.csv`,
    list_url: `${publicUrl}/api/v1/lists/${list.id}`,
  };
}

/** A DNS lookup that refuses non-public answers, used as the socket's own resolver. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, cb: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => !allowPrivate && !isPublicAddress(a.address));
      if (bad) return cb(new Error(`callback_url ${hostname} resolves to ${bad.address}, a private or local address; refused (set ALLOW_PRIVATE_CALLBACKS=true for labs and tests)`), '', 0);
      if (options.all) return cb(null, list);
      return cb(null, list[0]!.address, list[0]!.family);
    });
  }) as LookupFunction;
}

export async function postCallback(url: string, body: string, headers: Record<string, string>, opts: { allowPrivate: boolean; signal?: AbortSignal; timeoutMs?: number }): Promise<number> {
  const u = new URL(url);
  // A literal IP in the URL skips DNS: judge it here.
  const literal = u.hostname.replace(/^\[|\]$/g, '');
  if (!opts.allowPrivate && /^[\d.]+$|:/.test(literal) && !isPublicAddress(literal)) {
    throw new Error(`callback_url ${u.host} is a private or local address; refused (set ALLOW_PRIVATE_CALLBACKS=true for labs and tests)`);
  }
  const mod = u.protocol === 'https:' ? https : http;
  const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS), ...(opts.signal ? [opts.signal] : [])]);
  return new Promise<number>((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Toofr-Callback/1', ...headers },
        lookup: guardedLookup(opts.allowPrivate),
        signal,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function createCallbackNotifier(deps: { settings: Settings; pool: Pool; log: Logger }): ListNotifier {
  return {
    async deliver(list, ctx) {
      const url = typeof list.source_ref?.callback_url === 'string' ? list.source_ref.callback_url : undefined;
      if (!url) return;
      const body = JSON.stringify(callbackPayload(list, deps.settings.publicUrl));
      const secret = await callbackSecret(deps.pool, list.account_id);
      const started = performance.now();
      let status: number;
      try {
        status = await postCallback(url, body, { 'toofr-signature': sign(secret, body), 'toofr-delivery': list.id }, { allowPrivate: deps.settings.api.allowPrivateCallbacks, signal: ctx.signal });
      } catch (err) {
        throw new Error(`callback to ${new URL(url).host} failed: ${(err as Error).message}; will retry`, { cause: err });
      }
      if (status < 200 || status >= 300) throw new Error(`callback to ${new URL(url).host} answered ${status}; will retry`);
      ctx.log.info({ listId: list.id, host: new URL(url).host, status, ms: Math.round(performance.now() - started) }, 'callback delivered');
    },
  };
}
