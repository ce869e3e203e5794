/**
 * Company websites for tests: a local HTTP server that serves a homepage by Host header, and the
 * real classifier and cache (core/classify/companies.ts) pointed at it. Names resolve to the
 * server only where the test says so; every other name has no website, as offline.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCompanies, type Companies } from '../../core/classify/companies.ts';
import type { Pool } from '../../core/db/pool.ts';

/** What the resolver throws for a name with no address (the fetcher reads it as "no website"). */
export function noSuchHost(host: string): Error {
  return Object.assign(new Error(`${host}: no such host (offline test)`), { code: 'ENOTFOUND' });
}

export interface LocalWebsites {
  /** Companies whose fetcher reaches this server (ALLOW_PRIVATE_WEB on, as in labs). */
  companies(pool: Pool): Companies;
  /** Requests per host name so far. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * `page(host)`: the HTML served for a host (404 when undefined). `resolves(host)`: whether a name
 * has an address at all (default: when it has a page); it may wait, to hold a fetch back.
 */
export async function localWebsites(
  page: (host: string) => string | undefined,
  resolves: (host: string) => boolean | Promise<boolean> = (host) => page(host) !== undefined,
): Promise<LocalWebsites> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    hits.set(host, (hits.get(host) ?? 0) + 1);
    const html = page(host);
    if (html === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const resolveHost = async (host: string): Promise<string[]> => {
    if (await resolves(host)) return ['127.0.0.1'];
    throw noSuchHost(host);
  };
  return {
    companies: (pool) =>
      // https:// goes to port 1, where nothing listens, so every fetch also takes the http fallback.
      createCompanies({ pool, settings: { web: { allowPrivate: true }, dns: { servers: undefined } }, fetch: { resolveHost, ports: { http: port, https: 1 } } }),
    hits,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
