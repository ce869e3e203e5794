/**
 * Fetch a company's homepage without becoming a tool for reaching inside our own network
 * (design.md §2.5, §2.8; research §4).
 *
 * - undici `request` through a per-call `Agent` whose `connect.lookup` resolves the name itself,
 *   refuses any non-public address (loopback, RFC 1918, link-local incl. the 169.254.169.254
 *   metadata service, CGNAT, ULA, …: `isPublicAddress`, the SMTP checker's policy) and hands undici
 *   exactly the addresses it checked, so a second DNS answer cannot swap them (rebinding).
 * - The lookup hook is never called for IP-literal hosts, nor does undici follow redirects here
 *   (`request` does not): redirects are followed by hand, at most `maxRedirects` hops, and every
 *   hop's URL is judged before it is requested — IP literals directly, names through the hook.
 * - Connect, headers and body timeouts plus one overall deadline; the body is streamed and we stop
 *   reading at `maxBytes` of the decompressed page (a 10 MB page, or a gzip bomb, costs us 1 MB).
 * - https before http, the bare domain before `www.`; the first candidate that answers with HTTP
 *   at all is the website (a 404 there is the site's answer, not a reason to try the next).
 *
 * Nothing here throws for a site that is down, missing, slow, private or not HTML: the result's
 * `status` says which, so a list of 10 000 companies never fails on one bad domain.
 *
 * undici is present as a dependency of @slack/socket-mode (8.14.0, hoisted); it must become a
 * direct dependency in package.json (left to the lead: this change may not touch packages).
 */
import { Resolver } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import net from 'node:net';
import { pipeline, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { Agent, request } from 'undici';
import { isPublicAddress } from '../engine/dns.ts';
import { extractPageText, type PageText } from './html-text.ts';

export type HomepageStatus =
  | 'ok'           // an HTML page was read (maybe truncated at maxBytes)
  | 'no_website'   // no candidate host name resolves: the domain has no website
  | 'unreachable'  // names resolve but nothing answers HTTP (refused, TLS failure, reset)
  | 'blocked'      // the site (or a redirect) points at a private/local address; refused
  | 'timeout'      // a server accepted but did not answer in time, or the overall deadline passed
  | 'not_html'     // the site answered with something other than HTML (PDF, image, JSON, …)
  | 'http_error'   // the site answered 4xx/5xx
  | 'too_many_redirects';

export interface HomepageAttempt {
  url: string;
  outcome: string;
}

export interface HomepageResult {
  domain: string;
  status: HomepageStatus;
  /** Final URL after redirects (when any HTTP answer came). */
  url?: string;
  httpStatus?: number;
  contentType?: string;
  /** Bytes of body read (≤ maxBytes). */
  bytes: number;
  /** True when the body was longer than maxBytes and we stopped reading. */
  truncated: boolean;
  charset?: string;
  page?: PageText;
  /** What happened, for people: why it is not `ok`. */
  reason?: string;
  /** Every URL tried or redirected to, in order, with what came of it. */
  attempts: HomepageAttempt[];
  ms: number;
}

export interface HomepageFetchOptions {
  /** settings.web.allowPrivate (ALLOW_PRIVATE_WEB): permit private/local targets (tests, labs). */
  allowPrivate: boolean;
  /**
   * Exact addresses permitted even when allowPrivate is false. Only tests pass this, so that the
   * guard itself can be tested against a server on 127.0.0.1 (a redirect to 127.0.0.2 or a name
   * resolving to 10.0.0.1 must still be refused). Never set from configuration.
   */
  allowAddresses?: readonly string[];
  /** Resolve a host name to addresses (IPv4 first). Default: A/AAAA via `dnsServers`. */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** settings.dns.servers; the system's when absent. */
  dnsServers?: string[];
  /** Ports that `http://` / `https://` candidates of a bare domain use (tests point them at local servers). */
  ports?: { http?: number; https?: number };
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Whole call, all candidates and redirects. */
  totalTimeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  userAgent?: string;
  signal?: AbortSignal;
}

const DEFAULTS = {
  connectTimeoutMs: 3000,
  headersTimeoutMs: 5000,
  bodyTimeoutMs: 5000,
  totalTimeoutMs: 8000,
  maxBytes: 1_000_000,
  maxRedirects: 5,
  userAgent: 'Mozilla/5.0 (compatible; ToofrBot/1.0; company classification)',
};

class BlockedError extends Error {
  readonly code = 'ETOOFR_BLOCKED';
}

function defaultResolver(servers: string[] | undefined, timeoutMs: number): (hostname: string) => Promise<string[]> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers?.length) resolver.setServers(servers);
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const out = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (out.length === 0) {
      // "No such name / no address" means no website; a resolver failure (timeout, refused,
      // SERVFAIL) says nothing about the site and must not be remembered as "no website".
      const codes = [v4, v6].map((r) => (r.status === 'rejected' ? String((r.reason as { code?: string }).code) : 'ENODATA'));
      const failure = codes.find((c) => c !== 'ENOTFOUND' && c !== 'ENODATA');
      if (failure) throw Object.assign(new Error(`DNS lookup of ${hostname} failed (${failure})`), { code: `EDNS_${failure}` });
      throw Object.assign(new Error(`${hostname} has no A/AAAA records`), { code: 'ENOTFOUND' });
    }
    return out;
  };
}

/** A decompressor for a Content-Encoding; undefined for none, null for one we cannot read. */
function decoderFor(encoding: string): Transform | undefined | null {
  switch (encoding) {
    case '':
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      // Servers often end gzip streams early when they cut a response; take what arrived.
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'deflate':
      return zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'br':
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      return null;
  }
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err as { code?: unknown; name?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string') codes.push(e.code);
    if (typeof e.name === 'string') codes.push(e.name);
  }
  return codes;
}

/** Sniff the charset: Content-Type, then BOM, then <meta> in the first 4 KB; UTF-8 if valid, else windows-1252. */
export function decodeHtml(buf: Buffer, contentType: string | undefined): { text: string; charset: string } {
  const fromHeader = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  let charset = fromHeader;
  if (!charset) {
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) charset = 'utf-8';
    else if (buf[0] === 0xff && buf[1] === 0xfe) charset = 'utf-16le';
    else if (buf[0] === 0xfe && buf[1] === 0xff) charset = 'utf-16be';
  }
  if (!charset) {
    const head = buf.subarray(0, 4096).toString('latin1');
    charset = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  }
  if (!charset || !iconv.encodingExists(charset)) {
    // HTML's legacy default is windows-1252, but most unlabelled pages today are UTF-8: use it when the bytes are valid UTF-8.
    charset = isUtf8(buf) ? 'utf-8' : 'windows-1252';
  }
  charset = charset.toLowerCase();
  return { text: iconv.decode(buf, charset), charset };
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    // A cut at maxBytes can split the last character: judge without the last 3 bytes.
    if (buf.length > 4) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, buf.length - 3));
        return true;
      } catch {
        return false;
      }
    }
    return false;
  }
}

/** Stop reading a body we do not want; undici reports the abort as an error nobody needs to hear. */
function drop(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function bareDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
}

function isIpLiteral(hostname: string): boolean {
  return net.isIP(hostname.replace(/^\[|\]$/g, '')) !== 0;
}

export async function fetchHomepage(domain: string, options: HomepageFetchOptions): Promise<HomepageResult> {
  const o = { ...DEFAULTS, ...options };
  const started = performance.now();
  const bare = bareDomain(domain);
  const attempts: HomepageAttempt[] = [];
  const result = (r: Omit<HomepageResult, 'domain' | 'attempts' | 'ms' | 'bytes' | 'truncated'> & { bytes?: number; truncated?: boolean }): HomepageResult => ({
    domain: bare,
    bytes: 0,
    truncated: false,
    ...r,
    attempts,
    ms: Math.round(performance.now() - started),
  });

  const noWebsite = () => result({ status: 'no_website', reason: `neither ${bare} nor www.${bare} has a web server address` });

  if (!/^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)+$/.test(bare)) {
    return result({ status: 'no_website', reason: `"${domain}" is not a domain name` });
  }

  const allowed = new Set(o.allowAddresses ?? []);
  const permitted = (address: string) => o.allowPrivate || allowed.has(address) || isPublicAddress(address);
  // Each name is resolved once per call: https:// and then http:// of the same host (and every
  // redirect back to it) reuse the addresses that were checked, instead of asking DNS again.
  const resolveOnce = o.resolveHost ?? defaultResolver(o.dnsServers, o.connectTimeoutMs);
  const resolved = new Map<string, Promise<string[]>>();
  const resolveHost = (hostname: string): Promise<string[]> => {
    let p = resolved.get(hostname);
    if (!p) resolved.set(hostname, (p = resolveOnce(hostname)));
    return p;
  };
  const deadline = AbortSignal.timeout(o.totalTimeoutMs);
  const signal = o.signal ? AbortSignal.any([deadline, o.signal]) : deadline;

  // The socket's own resolver: only checked addresses reach connect().
  const lookup = (hostname: string, opts: { all?: boolean; family?: number | string }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void): void => {
    resolveHost(hostname).then(
      (addresses) => {
        const bad = addresses.find((a) => !permitted(a));
        if (bad) {
          cb(new BlockedError(`${hostname} resolves to ${bad}, a private or local address; refused (ALLOW_PRIVATE_WEB=true permits it, for tests and labs only)`), '', 0);
          return;
        }
        const list = addresses.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
        if (opts.all) cb(null, list);
        else cb(null, list[0]!.address, list[0]!.family);
      },
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err)), '', 0),
    );
  };

  const port = (scheme: 'http' | 'https') => {
    const p = o.ports?.[scheme];
    return p ? `:${p}` : '';
  };
  // An IP address given as the "domain" has no www. form (and is judged by the literal check below).
  const hostForms = isIpLiteral(bare) ? [bare.includes(':') ? `[${bare}]` : bare] : [bare, `www.${bare}`];
  const candidates = (['https', 'http'] as const).flatMap((scheme) => hostForms.map((h) => `${scheme}://${h}${port(scheme)}/`));

  // Most domains without a website have no address at all: find that out from DNS before setting
  // up HTTP (an Agent and four failed requests cost ~1 ms of CPU; a list has thousands of domains).
  if (!isIpLiteral(bare)) {
    const names = await Promise.allSettled(hostForms.map((h) => resolveHost(h)));
    const missing = names.every((n) => n.status === 'rejected' && errorCodes(n.reason).some((c) => c === 'ENOTFOUND' || c === 'ENODATA'));
    if (missing) {
      for (const h of hostForms) attempts.push({ url: `http://${h}/`, outcome: 'no such host' });
      return noWebsite();
    }
  }

  const agent = new Agent({
    connect: { timeout: o.connectTimeoutMs, lookup: lookup as never },
    headersTimeout: o.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs,
    // One request per connection is all we do; do not keep sockets (or the process) alive.
    pipelining: 0,
    keepAliveTimeout: 1,
  } as Agent.Options);

  // What the failures were, to say the most useful thing when no candidate answered.
  const seen = new Set<'dns' | 'blocked' | 'timeout' | 'unreachable'>();
  let blockedReason: string | undefined;

  try {
    for (const start of candidates) {
      let url = new URL(start);
      const visited = new Set<string>();
      for (let hop = 0; ; hop++) {
        if (signal.aborted) {
          return result({ status: 'timeout', reason: `no answer within ${o.totalTimeoutMs} ms` });
        }
        const host = url.hostname.replace(/^\[|\]$/g, '');
        if (isIpLiteral(host) && !permitted(host)) {
          blockedReason = `${url.host} is a private or local address; refused (ALLOW_PRIVATE_WEB=true permits it, for tests and labs only)`;
          attempts.push({ url: url.href, outcome: 'blocked' });
          if (hop > 0) return result({ status: 'blocked', reason: `redirected to ${blockedReason}` });
          seen.add('blocked');
          break;
        }
        visited.add(url.href);
        let res: Awaited<ReturnType<typeof request>>;
        try {
          res = await request(url, {
            method: 'GET',
            dispatcher: agent,
            signal,
            headers: {
              'user-agent': o.userAgent,
              accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1',
              'accept-language': 'en;q=1, *;q=0.5',
              // Most sites compress; a page is a third of the bytes on the wire this way. The
              // size cap applies to the decompressed page, so a compression bomb costs 1 MB.
              'accept-encoding': 'gzip, deflate, br',
            },
          });
        } catch (err) {
          const codes = errorCodes(err);
          if (codes.includes('ETOOFR_BLOCKED')) {
            blockedReason = (err as Error).message;
            attempts.push({ url: url.href, outcome: 'blocked' });
            // A redirect into our network is the site's answer: do not try other candidates.
            if (hop > 0) return result({ status: 'blocked', reason: `redirected to ${url.host}, which ${blockedReason.replace(/^\S+ /, '')}` });
            seen.add('blocked');
          } else if (signal.aborted) {
            attempts.push({ url: url.href, outcome: 'timeout (overall deadline)' });
            return result({ status: 'timeout', reason: `no answer within ${o.totalTimeoutMs} ms` });
          } else if (codes.some((c) => /TIMEOUT|Timeout/.test(c))) {
            attempts.push({ url: url.href, outcome: `timeout (${codes.find((c) => /TIMEOUT|Timeout/.test(c))})` });
            seen.add('timeout');
          } else if (codes.includes('ENOTFOUND') || codes.includes('ENODATA')) {
            attempts.push({ url: url.href, outcome: 'no such host' });
            seen.add('dns');
          } else {
            attempts.push({ url: url.href, outcome: `unreachable (${codes[0] ?? (err as Error).message})` });
            seen.add('unreachable');
          }
          break; // next candidate
        }

        const status = res.statusCode;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location) {
          drop(res.body);
          attempts.push({ url: url.href, outcome: `redirect ${status}` });
          let next: URL;
          try {
            next = new URL(String(location), url);
          } catch {
            return result({ status: 'http_error', url: url.href, httpStatus: status, reason: `redirect to an invalid URL (${String(location).slice(0, 100)})` });
          }
          if (next.protocol !== 'http:' && next.protocol !== 'https:') {
            return result({ status: 'http_error', url: url.href, httpStatus: status, reason: `redirect to a ${next.protocol} URL; only http and https are followed` });
          }
          if (hop + 1 > o.maxRedirects || visited.has(next.href)) {
            return result({ status: 'too_many_redirects', url: url.href, httpStatus: status, reason: visited.has(next.href) ? `redirect loop at ${next.href}` : `more than ${o.maxRedirects} redirects` });
          }
          url = next;
          continue;
        }

        const contentType = String(res.headers['content-type'] ?? '').toLowerCase();
        if (status >= 400) {
          drop(res.body);
          attempts.push({ url: url.href, outcome: `http ${status}` });
          return result({ status: 'http_error', url: url.href, httpStatus: status, contentType, reason: `the site answered ${status}` });
        }
        const declaredHtml = /^(text\/html|application\/xhtml\+xml)\b/.test(contentType);
        if (contentType && !declaredHtml) {
          drop(res.body);
          attempts.push({ url: url.href, outcome: `not html (${contentType})` });
          return result({ status: 'not_html', url: url.href, httpStatus: status, contentType, reason: `the homepage is ${contentType.split(';')[0]}, not HTML` });
        }

        // Stream with a cap: stop reading (and drop the connection) at maxBytes.
        const chunks: Buffer[] = [];
        let bytes = 0;
        let truncated = false;
        const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
        const decoder = decoderFor(encoding);
        if (decoder === null) {
          drop(res.body);
          attempts.push({ url: url.href, outcome: `unknown content-encoding ${encoding}` });
          return result({ status: 'unreachable', url: url.href, httpStatus: status, contentType, reason: `the site sent its homepage in an encoding we did not ask for (${encoding.slice(0, 40)})` });
        }
        const body: AsyncIterable<unknown> = decoder ? pipeline(res.body, decoder, () => undefined) : res.body;
        try {
          for await (const chunk of body) {
            const b = chunk as Buffer;
            if (bytes + b.length >= o.maxBytes) {
              chunks.push(b.subarray(0, o.maxBytes - bytes));
              bytes = o.maxBytes;
              truncated = true;
              break;
            }
            chunks.push(b);
            bytes += b.length;
          }
        } catch (err) {
          const codes = errorCodes(err);
          const timedOut = signal.aborted || codes.some((c) => /TIMEOUT|Timeout|Abort/.test(c));
          attempts.push({ url: url.href, outcome: timedOut ? 'timeout reading the body' : `body error (${codes[0] ?? ''})` });
          // What arrived before a stall is still a page; nothing at all is a timeout.
          if (bytes === 0) return result({ status: timedOut ? 'timeout' : 'unreachable', url: url.href, httpStatus: status, reason: timedOut ? 'the site stopped sending its homepage' : 'the connection broke while reading the homepage' });
          truncated = true;
        } finally {
          drop(res.body);
          decoder?.destroy();
        }
        const buf = Buffer.concat(chunks, bytes);
        if (!contentType && !/<(!doctype html|html|head|body|title)\b/i.test(buf.subarray(0, 2048).toString('latin1'))) {
          attempts.push({ url: url.href, outcome: 'not html (no content-type, no markup)' });
          return result({ status: 'not_html', url: url.href, httpStatus: status, bytes, reason: 'the homepage has no content type and does not look like HTML' });
        }
        const { text, charset } = decodeHtml(buf, contentType);
        attempts.push({ url: url.href, outcome: `ok ${status}${truncated ? ' (truncated)' : ''}` });
        return result({ status: 'ok', url: url.href, httpStatus: status, contentType, bytes, truncated, charset, page: extractPageText(text) });
      }
    }
  } finally {
    // Do not wait for sockets to close gracefully: a silent server would hold us up.
    agent.destroy().catch(() => undefined);
  }

  if (seen.has('blocked')) return result({ status: 'blocked', reason: blockedReason });
  if (seen.has('timeout')) return result({ status: 'timeout', reason: 'a server accepted the connection but did not answer in time' });
  if (seen.has('unreachable')) return result({ status: 'unreachable', reason: 'the domain resolves but no web server answered on https or http' });
  return noWebsite();
}
