/**
 * What the api.*.test.ts files share: a web app (createWebApp, the real one) on a loopback port,
 * a worker with a deterministic enricher, two accounts with a key each, and fetch helpers.
 * Lookups of a person named "Slow" wait on a gate the test opens, so deadline tests need no
 * timing luck.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import type { Enricher } from '../../core/enricher.ts';
import type { Notifiers } from '../../worker/notifiers/types.ts';
import { LookupWaiter } from '../../core/lookups.ts';
import { ensureAccount } from '../../core/lists/store.ts';
import { createApiKey } from '../../core/api-keys.ts';
import { createWebApp } from '../../bot/web.ts';
import { freshServices } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { startTestWorker } from '../helpers/pipeline.ts';
import type { Companies } from '../../core/classify/companies.ts';
import { localWebsites } from '../helpers/websites.ts';
import type { Pool } from '../../core/db/pool.ts';

export interface Gate {
  open(): void;
  opened: Promise<void>;
}

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** fetch's Response, with JSON bodies typed loosely: tests assert on their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiResponse = Omit<Response, 'json'> & { json(): Promise<any> };

/** An advertising agency's homepage, as the fixture web server serves it. */
export const AGENCY_HOME = `<!doctype html><html><head><title>Brandworks – creative advertising agency</title>
<meta name="description" content="Brandworks is an independent creative advertising agency: brand strategy, campaigns and digital marketing for our clients."></head>
<body><nav><a>Work</a><a>Clients</a><a>Services</a><a>Contact</a></nav><h1>Campaigns for brands</h1>
<h2>Our work</h2><p>Case studies for our clients. Brand identity, advertising campaigns, media buying and social media marketing.</p>
<p>We are an award-winning agency. Start a project with us.</p></body></html>`;

/**
 * Company classification for API/Slack tests: the real classifier and cache; names ending in
 * `brandworks.com` resolve to a local web server serving AGENCY_HOME, names ending in
 * `slowco.com` resolve only once `slow` is opened, and every other name has no website.
 */
export async function fixtureCompanies(): Promise<{ companies(pool: Pool): Companies; slow: Gate; hits(): number; close(): Promise<void> }> {
  const slow = gate();
  const sites = await localWebsites(
    () => AGENCY_HOME,
    async (host) => {
      if (host.endsWith('slowco.com')) await slow.opened;
      return host.endsWith('brandworks.com') || host.endsWith('slowco.com');
    },
  );
  return {
    companies: sites.companies,
    slow,
    hits: () => [...sites.hits.values()].reduce((a, b) => a + b, 0),
    close: async () => {
      slow.open();
      await sites.close();
    },
  };
}

export interface ApiHarness {
  settings: Settings;
  services: Services;
  log: Logger;
  waiter: LookupWaiter;
  base: string;
  accountA: number;
  accountB: number;
  keyA: string;
  keyB: string;
  slow: Gate;
  /** A second web app on the same database with other settings (e.g. a low rate limit). */
  app(overrides: Record<string, string>): Promise<{ base: string; close(): Promise<void> }>;
  get(path: string, key?: string | null, init?: RequestInit): Promise<ApiResponse>;
  close(): Promise<void>;
}

export async function listenApp(settings: Settings, services: Services, log: Logger, waiter: LookupWaiter): Promise<{ base: string; server: Server; close(): Promise<void> }> {
  const app = createWebApp({ settings, pool: services.db.pool, boss: services.boss, log, lookups: waiter });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function startApiHarness(name: string, overrides: Record<string, string> = {}, opts: { notifiers?: (deps: { settings: Settings; pool: Services['db']['pool']; log: Logger }) => Notifiers; enricher?: Enricher; companies?: (pool: Pool) => Companies } = {}): Promise<ApiHarness> {
  const { settings, services, log } = await freshServices(name, { LOCAL_MODE: 'false', ALLOW_PRIVATE_CALLBACKS: 'true', ...overrides });
  const slow = gate();
  const fake = opts.enricher ?? fakeEnricher();
  const enricher: Enricher = {
    ...fake,
    async find(input, ctx) {
      if (input.first === 'Slow') await slow.opened;
      return fake.find(input, ctx);
    },
  };
  const worker = await startTestWorker(services, log, enricher, { notifiers: opts.notifiers?.({ settings, pool: services.db.pool, log }), progressIntervalSeconds: 1, companies: opts.companies?.(services.db.pool) });
  const waiter = new LookupWaiter({ url: settings.databaseUrl!, schema: settings.databaseSchema, log });
  await waiter.start();
  const web = await listenApp(settings, services, log, waiter);
  const accountA = await ensureAccount(services.db.pool, 'api', 'customer-a', 'Customer A');
  const accountB = await ensureAccount(services.db.pool, 'api', 'customer-b', 'Customer B');
  const keyA = (await createApiKey(services.db.pool, accountA, 'a')).key;
  const keyB = (await createApiKey(services.db.pool, accountB, 'b')).key;
  const extra: { close(): Promise<void> }[] = [];

  return {
    settings,
    services,
    log,
    waiter,
    base: web.base,
    accountA,
    accountB,
    keyA,
    keyB,
    slow,
    async app(more) {
      const { loadSettings } = await import('../../core/config.ts');
      const s = loadSettings({ ...process.env, NODE_ENV: 'test', DATABASE_SCHEMA: settings.databaseSchema, LOCAL_MODE: 'false', ...overrides, ...more });
      const w = await listenApp(s, services, log, waiter);
      extra.push(w);
      return w;
    },
    get(path, key = keyA, init = {}) {
      const headers = new Headers(init.headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      return fetch(`${web.base}${path}`, { ...init, headers });
    },
    async close() {
      slow.open();
      for (const e of extra) await e.close();
      await web.close();
      await waiter.stop();
      await worker.stop(1000);
      await services.close();
    },
  };
}

/** The `{error: {code, message}}` body of a failed response, checked for shape. */
export async function errorOf(res: ApiResponse | Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
  if (!body.error || typeof body.error.code !== 'string' || typeof body.error.message !== 'string' || !body.error.message) {
    throw new Error(`not an error body: ${JSON.stringify(body)}`);
  }
  return body.error as { code: string; message: string };
}
