/**
 * Lists shared in Slack: progress edits the list's threaded message (coalesced and rate-limited,
 * see bot/slack/progress.ts); delivery uploads the results file into the thread with a summary
 * (bot/slack/deliver.ts). Off unless Slack is configured.
 */
import { updateProgress } from '../../bot/slack/progress.ts';
import { deliverList } from '../../bot/slack/deliver.ts';
import type { NotifierDeps } from './index.ts';
import type { ListNotifier } from './types.ts';

export function createSlackNotifier(deps: NotifierDeps): ListNotifier | undefined {
  const { settings } = deps;
  if (!settings.slack.singleWorkspace && !settings.slack.oauth) return undefined;
  return {
    async progress(list, ctx) {
      await updateProgress({ settings, pool: ctx.pool, log: ctx.log, signal: ctx.signal }, list);
    },
    async deliver(list, ctx) {
      await deliverList({ settings, pool: ctx.pool, log: ctx.log, signal: ctx.signal }, list);
    },
  };
}
