/**
 * Toofr's web process (the real createWebApp, with Slack mounted) and a worker on real Postgres,
 * talking to the fake Slack through SLACK_API_URL. One per test file.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import type { Enricher } from '../../core/enricher.ts';
import type { FindAnswer, FindInput } from '../../core/engine/types.ts';
import { LookupWaiter } from '../../core/lookups.ts';
import { createWebApp } from '../../bot/web.ts';
import type { MountedSlack } from '../../bot/slack/index.ts';
import { createNotifiers } from '../../worker/notifiers/index.ts';
import { freshServices } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { startTestWorker } from '../helpers/pipeline.ts';
import { FakeSlack } from '../fakes/slack.ts';
import type { Companies } from '../../core/classify/companies.ts';
import type { Pool } from '../../core/db/pool.ts';

export const SECRET = 'test-signing-secret';
export const T1 = { teamId: 'T1', token: 'xoxb-team-one', botUserId: 'UBOT1', botId: 'BBOT1', name: 'Acme' };
export const T2 = { teamId: 'T2', token: 'xoxb-team-two', botUserId: 'UBOT2', botId: 'BBOT2', name: 'Beta' };

/**
 * The deterministic test enricher, with a little more texture for Slack's messages: score parts
 * and candidates on every find, "Nobody" is never found, "Catchall" lands on an accept-all domain.
 * Every find input is recorded so tests can check what a command was parsed into.
 */
export function slackTestEnricher(opts: { delayMs?: number } = {}): Enricher & { inputs: FindInput[]; hold(last: string): { reached: Promise<void>; release(): void } } {
  const base = fakeEnricher({ delayMs: opts.delayMs });
  const inputs: FindInput[] = [];
  const gates = new Map<string, { reached: PromiseWithResolvers<void>; released: PromiseWithResolvers<void> }>();
  return {
    ...base,
    inputs,
    /** Finds for this last name stop until released; `reached` resolves when one arrives. */
    hold(last: string) {
      const gate = { reached: Promise.withResolvers<void>(), released: Promise.withResolvers<void>() };
      gates.set(last, gate);
      return { reached: gate.reached.promise, release: () => gate.released.resolve() };
    },
    async find(input, ctx): Promise<FindAnswer> {
      inputs.push(input);
      const gate = input.last ? gates.get(input.last) : undefined;
      if (gate) {
        gate.reached.resolve();
        await gate.released.promise;
      }
      if (input.company && !input.domain) input = { ...input, domain: `${input.company.toLowerCase().replace(/[^a-z0-9]+/g, '')}.com` };
      const a = await base.find(input, ctx);
      if ((input.last ?? input.full_name ?? '').includes('Nobody')) return { ...a, email: null, confidence: 0, status: 'not_found', verification: 'unknown' };
      if (!a.email) return a;
      const accept = (input.last ?? '').includes('Catchall');
      return {
        ...a,
        verification: accept ? 'accept_all' : 'valid',
        confidence: accept ? 55 : 92,
        score_parts: [{ part: 'smtp', points: 60, why: 'server accepted the address' }, { part: 'pattern', points: 32, why: 'first.last seen 12 times' }],
        candidates: [
          { email: a.email, pattern: '{first}.{last}', prior: 0.6, verification: 'valid' },
          { email: a.email.replace('.', ''), pattern: '{first}{last}', prior: 0.2, verification: 'invalid' },
        ],
      };
    },
  };
}

export interface Harness {
  fake: FakeSlack;
  settings: Settings;
  services: Services;
  log: Logger;
  base: string;
  enricher: ReturnType<typeof slackTestEnricher>;
  slack: MountedSlack;
  /** Starts another web process on the same database (e.g. after stopping this one). */
  startWeb(): Promise<{ base: string; slack: MountedSlack; close(): Promise<void> }>;
  stopWeb(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(name: string, opts: { mode: 'single' | 'oauth'; env?: Record<string, string>; delayMs?: number; progressIntervalSeconds?: number; worker?: boolean; concurrency?: number; companies?: (pool: Pool) => Companies }): Promise<Harness> {
  const fake = await new FakeSlack().start();
  fake.addTeam(T1);
  if (opts.mode === 'oauth') fake.teams.clear();
  const env: Record<string, string> = {
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    ...(opts.mode === 'single'
      ? { SLACK_BOT_TOKEN: T1.token }
      : { SLACK_CLIENT_ID: '111.222', SLACK_CLIENT_SECRET: 'client-secret', SLACK_STATE_SECRET: 'state-secret' }),
    ...opts.env,
  };
  const { settings, services, log } = await freshServices(name, env);
  const enricher = slackTestEnricher({ delayMs: opts.delayMs });
  const worker = opts.worker === false ? undefined : await startTestWorker(services, log, enricher, {
    notifiers: createNotifiers({ settings, pool: services.db.pool, log }),
    progressIntervalSeconds: opts.progressIntervalSeconds ?? 1,
    concurrency: opts.concurrency ?? 50,
    companies: opts.companies?.(services.db.pool),
  });

  const webs: Array<{ close(): Promise<void> }> = [];
  const startWeb = async () => {
    const lookups = new LookupWaiter({ url: services.db.url, schema: services.db.schema, log });
    await lookups.start();
    const app = createWebApp({ settings, pool: services.db.pool, boss: services.boss, log, lookups });
    const slack = app.locals.slack as MountedSlack;
    await slack.ready;
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const web = {
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      slack,
      close: async () => {
        await slack.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await lookups.stop();
      },
    };
    webs.push(web);
    return web;
  };
  const first = await startWeb();
  return {
    fake, settings, services, log, enricher, base: first.base, slack: first.slack, startWeb,
    stopWeb: () => first.close(),
    close: async () => {
      for (const w of webs) await w.close().catch(() => undefined);
      await worker?.stop(1000);
      await services.close();
      await fake.stop();
      // Give in-flight fetches to the closed fake a tick to fail before the process exits.
      await delay(1);
    },
  };
}
