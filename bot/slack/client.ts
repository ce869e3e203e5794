/**
 * Slack Web API clients for background work (file intake, progress, delivery). Rate-limited calls
 * are rejected at once (not waited out inside the client, which would pause every call of that
 * client): the caller decides whether to wait for Retry-After, skip, or let the job retry.
 */
import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Settings } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';

export function slackClient(settings: Settings, log: Logger, token: string, teamId?: string): WebClient {
  return new WebClient(token, {
    slackApiUrl: apiUrl(settings),
    teamId,
    logger: slackLogger(log),
    rejectRateLimitedCalls: true,
    // A few quick retries for 5xx and network errors; longer outages are the job queue's business.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000 },
    timeout: 30_000,
  });
}

/** The Web API base URL, with the trailing slash @slack/web-api expects. */
export function apiUrl(settings: Settings): string | undefined {
  const u = settings.slack.apiUrl;
  return u ? (u.endsWith('/') ? u : `${u}/`) : undefined;
}

/** Slack's SDK logger interface on top of our pino logger (the SDK would otherwise print to the console). */
export function slackLogger(log: Logger): SlackLogger {
  const child = log.child({ component: 'slack-sdk' });
  let level = LogLevel.WARN;
  return {
    debug: (...m: unknown[]) => child.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => child.info(m.map(String).join(' ')),
    // The SDK's own warnings are chatty (e.g. "missing text argument"); keep them below our warn.
    warn: (...m: unknown[]) => child.info(m.map(String).join(' ')),
    error: (...m: unknown[]) => child.warn(m.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
