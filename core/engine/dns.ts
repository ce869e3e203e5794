/**
 * Where a domain's mail goes: MX lookup, the RFC 5321 §5.1 fallback to A/AAAA, null MX (RFC 7505),
 * and the private-range guard (design.md §2.5).
 *
 * Every name is resolved through one `node:dns/promises` Resolver pointed at `servers` — including
 * the MX host names. `dns.lookup()` (getaddrinfo) would read /etc/hosts and the system resolver,
 * which is not the resolver we were told to use, and it would let a host name be re-resolved at
 * connect time (DNS rebinding). The addresses returned here are the only ones the SMTP checker
 * connects to.
 *
 * The in-memory cache honours TTLs. Node's `resolveMx` does not return TTLs, so MX answers are
 * assumed to live `mxTtlSeconds` (1 hour by default, a common MX TTL); the A/AAAA TTLs of the mail
 * hosts shorten that when they are lower. The lead layers the Postgres `domains` cache on top by
 * storing `MailHosts` as it is (a plain JSON object).
 */
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Logger } from '../logger.ts';

export type MailStatus =
  | 'ok'          // MX records, at least one host with a usable address
  | 'a_fallback'  // no MX: the domain's own A/AAAA is its mail host (RFC 5321 §5.1)
  | 'null_mx'     // "MX 0 ." — the domain says it takes no mail (RFC 7505)
  | 'nxdomain'    // the domain does not exist
  | 'no_mail'     // exists, but no usable mail host (none at all, or only private addresses)
  | 'error';      // SERVFAIL, timeout, refused: retry later, nothing is known

export interface MailHost {
  /** MX host name (or the domain itself for `a_fallback`), lower case, no trailing dot. */
  exchange: string;
  priority: number;
  /** Checked addresses, IPv4 first. Connect to these, never re-resolve the name. */
  addresses: string[];
}

export interface MailHosts {
  domain: string;
  status: MailStatus;
  /** In preference order (lowest MX priority first). Empty unless status is ok / a_fallback. */
  hosts: MailHost[];
  /** How long this answer may be cached. */
  ttlSeconds: number;
  /** Human-readable, for no_mail / error / nxdomain / null_mx. */
  reason?: string;
  /** MX hosts left out because every address was private (unless allowPrivate). */
  refused?: { exchange: string; addresses: string[] }[];
}

export interface DnsResolver {
  resolveMailHosts(domain: string): Promise<MailHosts>;
  /** Forget cached answers (all, or one domain). */
  clearCache(domain?: string): void;
}

export interface DnsResolverOptions {
  /** `host` or `host:port` entries (`[v6]:port` too); the system's resolvers when absent. */
  servers?: string[];
  /** Per-query timeout. */
  timeoutMs: number;
  /** Queries per server before giving up (c-ares `tries`). Default 2. */
  tries?: number;
  /** Permit MX/A targets in loopback/private/link-local/… ranges (tests, labs). */
  allowPrivate: boolean;
  log?: Logger;
  /** Clock for the cache, in milliseconds. */
  now?: () => number;
  /** Assumed TTL of MX answers (Node does not expose it). Default 3600 s. */
  mxTtlSeconds?: number;
  /** How long NXDOMAIN / no-data answers are cached. Default 300 s (RFC 2308 style negative caching). */
  negativeTtlSeconds?: number;
  /** Cache entries kept at most (oldest dropped first). Default 10 000. */
  maxEntries?: number;
}

const MIN_TTL = 30; // a TTL of 0 must not turn the cache into a query storm
const MAX_TTL = 86_400;

/** Error codes from c-ares that mean "we could not find out" rather than "it does not exist". */
const RETRYABLE = new Set(['ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED', 'EREFUSED', 'ECANCELLED', 'EBADRESP', 'ECONNRESET', 'EOF', 'EFORMERR', 'ENOTIMP']);

/**
 * Whether an address may be connected to from a service that must never reach inside its own
 * network. Allow-list: only global unicast passes. That refuses loopback, RFC 1918, link-local
 * (incl. the 169.254.169.254 metadata service), CGNAT 100.64/10, multicast, unspecified,
 * broadcast, reserved/TEST-NETs, ULA fc00::/7, and IPv6 forms that embed an IPv4 address
 * (v4-mapped is unwrapped and judged as IPv4; NAT64, 6to4 and Teredo are refused).
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr.range() === 'unicast';
}

const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$/;

function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

function errCode(err: unknown): string {
  return (err as { code?: string } | null)?.code ?? 'EUNKNOWN';
}

function clampTtl(ttl: number): number {
  return Math.min(MAX_TTL, Math.max(MIN_TTL, Math.floor(ttl)));
}

type AddrLookup = { addresses: { address: string; ttl: number }[]; error?: string };

export function createDnsResolver(opts: DnsResolverOptions): DnsResolver {
  const resolver = new Resolver({ timeout: opts.timeoutMs, tries: opts.tries ?? 2 });
  if (opts.servers?.length) resolver.setServers(opts.servers);
  const now = opts.now ?? Date.now;
  const mxTtl = opts.mxTtlSeconds ?? 3600;
  const negativeTtl = opts.negativeTtlSeconds ?? 300;
  const maxEntries = opts.maxEntries ?? 10_000;
  const cache = new Map<string, { value: MailHosts; expires: number }>();
  // Concurrent lookups of one domain (a list full of one company) share one query.
  const inflight = new Map<string, Promise<MailHosts>>();

  /** A and AAAA of one name, IPv4 first; "no such name / no data" is an empty list, not an error. */
  async function addressesOf(name: string): Promise<AddrLookup> {
    if (net.isIP(name)) return { addresses: [{ address: name, ttl: mxTtl }] }; // "MX 10 192.0.2.1": broken but seen
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name, { ttl: true }), resolver.resolve6(name, { ttl: true })]);
    const addresses: AddrLookup['addresses'] = [];
    let error: string | undefined;
    for (const r of [v4, v6]) {
      if (r.status === 'fulfilled') addresses.push(...r.value);
      else if (RETRYABLE.has(errCode(r.reason))) error = errCode(r.reason);
    }
    return error && addresses.length === 0 ? { addresses, error } : { addresses };
  }

  async function lookup(domain: string): Promise<MailHosts> {
    const base = { domain };
    if (!HOSTNAME_RE.test(domain) || !domain.includes('.')) {
      return { ...base, status: 'no_mail', hosts: [], ttlSeconds: negativeTtl, reason: 'not a valid domain name' };
    }

    let mx: { exchange: string; priority: number }[];
    try {
      mx = await resolver.resolveMx(domain);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOTFOUND') {
        return { ...base, status: 'nxdomain', hosts: [], ttlSeconds: negativeTtl, reason: 'the domain does not exist (NXDOMAIN)' };
      }
      if (code !== 'ENODATA') {
        return { ...base, status: 'error', hosts: [], ttlSeconds: 0, reason: `DNS lookup failed (${code}); try again later` };
      }
      mx = []; // the name exists but has no MX: fall back to its A/AAAA
    }

    // RFC 7505: "MX 0 ." alone means no mail. Node reports the root as ''.
    const isNull = (e: string) => e === '' || e === '.';
    if (mx.length > 0 && mx.every((r) => isNull(r.exchange))) {
      return { ...base, status: 'null_mx', hosts: [], ttlSeconds: clampTtl(mxTtl), reason: 'the domain publishes a null MX: it takes no mail (RFC 7505)' };
    }
    // A null MX next to real ones is a misconfiguration; the real ones are still the mail hosts.
    const records = mx.filter((r) => !isNull(r.exchange));

    let candidates: { exchange: string; priority: number }[];
    let status: 'ok' | 'a_fallback';
    if (records.length > 0) {
      status = 'ok';
      // Lowest preference first; equal preferences in name order (deterministic; RFC 5321 would
      // randomise, but a stable order keeps per-host caps and tests predictable).
      const sorted = records
        .map((r) => ({ exchange: normaliseName(r.exchange), priority: r.priority }))
        .sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange));
      // A host listed twice keeps its best preference.
      candidates = sorted.filter((r, i) => sorted.findIndex((x) => x.exchange === r.exchange) === i);
    } else {
      status = 'a_fallback';
      candidates = [{ exchange: domain, priority: 0 }];
    }

    const lookups = await Promise.all(candidates.map((c) => addressesOf(c.exchange)));
    const hosts: MailHost[] = [];
    const refused: { exchange: string; addresses: string[] }[] = [];
    let ttl = status === 'ok' ? mxTtl : MAX_TTL;
    let lookupError: string | undefined;
    candidates.forEach((c, i) => {
      const found = lookups[i];
      if (found.error) lookupError = found.error;
      const v4 = found.addresses.filter((a) => net.isIPv4(a.address));
      const v6 = found.addresses.filter((a) => !net.isIPv4(a.address));
      const all = [...v4, ...v6];
      const usable = opts.allowPrivate ? all : all.filter((a) => isPublicAddress(a.address));
      if (usable.length < all.length) {
        refused.push({ exchange: c.exchange, addresses: all.filter((a) => !usable.includes(a)).map((a) => a.address) });
      }
      for (const a of all) ttl = Math.min(ttl, a.ttl);
      if (usable.length > 0) {
        // Dedupe: two names for one address would otherwise be tried twice.
        hosts.push({ exchange: c.exchange, priority: c.priority, addresses: [...new Set(usable.map((a) => a.address))] });
      }
    });

    if (refused.length) {
      opts.log?.warn({ domain, refused }, 'mail host addresses in private ranges refused');
    }

    if (hosts.length === 0) {
      if (refused.length) {
        return {
          ...base, status: 'no_mail', hosts: [], ttlSeconds: clampTtl(ttl), refused,
          reason: "the domain's mail servers point at private addresses (loopback, internal or link-local); refused — set ALLOW_PRIVATE_MX=true only for tests and labs",
        };
      }
      if (lookupError) {
        return { ...base, status: 'error', hosts: [], ttlSeconds: 0, reason: `DNS lookup of the mail hosts failed (${lookupError}); try again later` };
      }
      return {
        ...base, status: 'no_mail', hosts: [], ttlSeconds: negativeTtl,
        reason: status === 'ok' ? 'the MX hosts have no A/AAAA records' : 'the domain has no MX and no A/AAAA records',
      };
    }
    const result: MailHosts = { ...base, status, hosts, ttlSeconds: clampTtl(ttl) };
    if (refused.length) result.refused = refused;
    return result;
  }

  function remember(domain: string, value: MailHosts): void {
    if (value.ttlSeconds <= 0) return; // errors are retried, not cached
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(domain, { value, expires: now() + value.ttlSeconds * 1000 });
  }

  return {
    async resolveMailHosts(rawDomain: string): Promise<MailHosts> {
      const domain = normaliseName(rawDomain);
      const hit = cache.get(domain);
      if (hit) {
        if (hit.expires > now()) {
          const left = Math.max(1, Math.ceil((hit.expires - now()) / 1000));
          return { ...structuredClone(hit.value), ttlSeconds: left };
        }
        cache.delete(domain);
      }
      let pending = inflight.get(domain);
      if (!pending) {
        pending = lookup(domain)
          .then((value) => {
            remember(domain, value);
            opts.log?.debug({ domain, status: value.status, hosts: value.hosts.map((h) => h.exchange) }, 'mail hosts resolved');
            return value;
          })
          .finally(() => inflight.delete(domain));
        inflight.set(domain, pending);
      }
      return structuredClone(await pending);
    },
    clearCache(domain?: string): void {
      if (domain === undefined) cache.clear();
      else cache.delete(normaliseName(domain));
    },
  };
}
