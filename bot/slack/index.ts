/**
 * Slack on the web process's express app: `POST /slack/events` (commands, events,
 * interactivity) and, in multi-workspace mode, `GET /slack/install` + `GET /slack/oauth_redirect`.
 * Only Bolt's router is mounted, so no body parser of ours runs before its signature check.
 * Switched on by the settings (never by reading the environment here):
 * - single workspace: SLACK_SIGNING_SECRET + SLACK_BOT_TOKEN;
 * - many workspaces:  SLACK_SIGNING_SECRET + SLACK_CLIENT_ID/SECRET + SLACK_STATE_SECRET
 *   (installations in Postgres, tokens sealed).
 * The web process also runs the slack.file intake jobs (see intake.ts) and, at start, posts any
 * /toofr answers a previous process still owed.
 */
import { App, ErrorCode, ExpressReceiver, type Authorize, type CodedError } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Express } from 'express';
import type { WebDeps } from '../web.ts';
import { QUEUES } from '../../core/queue/queues.ts';
import { postResponse, resumeOwedAnswers } from './answers.ts';
import { helpMessage } from './blocks.ts';
import { apiUrl, slackLogger } from './client.ts';
import { registerCommand } from './command.ts';
import { registerEvents } from './events.ts';
import { intakeHandler } from './intake.ts';
import { postgresInstallationStore } from './installation-store.ts';

/** Bot scopes; the manifest (bot/manifest.yml) lists the same. */
export const SCOPES = ['commands', 'chat:write', 'files:read', 'files:write'];

export interface MountedSlack {
  app: App;
  /** Resolves once the intake worker is registered and owed answers are resumed. */
  ready: Promise<void>;
  /** Stops taking intake jobs and waiting for answers (answers still owed stay in Postgres for the next process). */
  close(): Promise<void>;
}

export function mountSlack(web: Express, deps: WebDeps): MountedSlack | undefined {
  const { settings, pool, boss, log, lookups } = deps;
  const s = settings.slack;
  if (!s.signingSecret || (!s.singleWorkspace && !s.oauth)) return undefined;
  const logger = slackLogger(log);
  const slackApiUrl = apiUrl(settings);

  const receiver = new ExpressReceiver({
    signingSecret: s.signingSecret,
    logger,
    ...(s.oauth
      ? {
          clientId: s.clientId,
          clientSecret: s.clientSecret,
          stateSecret: s.stateSecret,
          scopes: SCOPES,
          installationStore: postgresInstallationStore(pool, s.clientSecret!),
          redirectUri: `${settings.publicUrl}/slack/oauth_redirect`,
          installerOptions: { directInstall: true, redirectUriPath: '/slack/oauth_redirect', clientOptions: { slackApiUrl } },
        }
      : {}),
  });

  const app = new App({
    receiver,
    logger,
    extendedErrorHandler: true,
    convoStore: false,
    clientOptions: { slackApiUrl, logger },
    // OAuth mode: Bolt authorizes from the installation store. Single workspace: our own
    // authorize, so auth.test runs on first use (and again after a failure), not in a constructor
    // where an unreachable Slack would become an unhandled rejection.
    ...(s.oauth ? {} : { authorize: singleWorkspaceAuthorize(s.botToken!, slackApiUrl, logger) }),
  });
  // A workspace without an installation (never installed, or uninstalled) gets told so, not silence.
  app.error((async ({ error, body }: { error: CodedError; body?: unknown }) => {
    log.warn({ err: { message: error.message, code: error.code } }, 'Slack request failed');
    const responseUrl = (body as { response_url?: string } | undefined)?.response_url;
    if (error.code === ErrorCode.AuthorizationError && responseUrl) {
      const m = helpMessage(`Toofr is not installed in this workspace (or was removed). Install it from ${settings.publicUrl}/slack/install and try again.`);
      await postResponse(responseUrl, m).catch(() => undefined);
    }
  }) as never);

  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  const live = { ...deps, closed: () => closed, inFlight };
  registerCommand(app, live);
  registerEvents(app, deps);
  web.use(receiver.router);

  const ready = (async () => {
    await boss.work(QUEUES.slackFile, { localConcurrency: 2, pollingIntervalSeconds: 0.5 }, intakeHandler({ settings, pool, boss, log }));
    const resumed = await resumeOwedAnswers({ pool, lookups, log, closed: live.closed });
    if (resumed) log.info({ resumed }, 'resuming /toofr answers owed by a previous web process');
  })();
  ready.catch((err: unknown) => log.error({ err }, 'Slack background work could not start; files shared in Slack will wait until it does'));
  const mounted: MountedSlack = {
    app,
    ready,
    close: async () => {
      closed = true;
      await ready.catch(() => undefined);
      // Waiting answers notice `closed` within a second and leave their debt for the next process.
      await Promise.allSettled([...inFlight]);
      await boss.offWork(QUEUES.slackFile).catch(() => undefined);
    },
  };
  // Tests (and anything else holding the express app) reach the Bolt app and its start-up here.
  web.locals.slack = mounted;
  return mounted;
}

function singleWorkspaceAuthorize(token: string, slackApiUrl: string | undefined, logger: ReturnType<typeof slackLogger>): Authorize<boolean> {
  const client = new WebClient(token, { slackApiUrl, logger });
  let who: Promise<{ botId?: string; botUserId?: string }> | undefined;
  return async () => {
    who ??= client.auth.test().then(
      (r) => ({ botId: r.bot_id as string | undefined, botUserId: r.user_id as string | undefined }),
      (err: unknown) => {
        who = undefined;
        throw err;
      },
    );
    const { botId, botUserId } = await who;
    return { botToken: token, botId, botUserId };
  };
}
