/**
 * Events: a shared file becomes a slack.file job; uninstalls and revocations remove tokens.
 * Bolt acks events before listeners run, so these never make Slack time out; Slack still
 * re-sends events (at-least-once delivery, X-Slack-Retry-Num), so an event id is recorded in the
 * same transaction that queues its job, and one already recorded is dropped.
 */
import type { App } from '@slack/bolt';
import type { Pool } from '../../core/db/pool.ts';
import { withTransaction } from '../../core/db/pool.ts';
import type { Boss } from '../../core/queue/boss.ts';
import { inTransaction } from '../../core/queue/boss.ts';
import { PRIORITY, QUEUES } from '../../core/queue/queues.ts';
import type { Logger } from '../../core/logger.ts';
import { forgetBotToken, installKey, removeInstallation } from './installation-store.ts';

export interface EventDeps {
  pool: Pool;
  boss: Boss;
  log: Logger;
}

export function registerEvents(app: App, deps: EventDeps): void {
  const { pool, boss, log } = deps;

  app.event('file_shared', async ({ event, body, context }) => {
    // Bolt's ignoreSelf does not cover file_shared (it has user_id, not user): Toofr's own
    // results upload would otherwise come back as a new list.
    if (context.botUserId && event.user_id === context.botUserId) return;
    const teamId = context.teamId ?? body.team_id;
    const eventId = (body as { event_id?: string }).event_id ?? `${teamId}:${event.file_id}:${event.channel_id}:${event.event_ts}`;
    const queued = await withTransaction(pool, async (client) => {
      const { rowCount } = await client.query('INSERT INTO slack_events (event_id, team_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [eventId, teamId]);
      if (!rowCount) return false;
      // Slack's retries come within minutes; ids older than two days can go (this keeps the table small).
      await client.query(`DELETE FROM slack_events WHERE received_at < now() - interval '2 days'`);
      await boss.send(
        QUEUES.slackFile,
        { teamId, ...(context.enterpriseId ? { enterpriseId: context.enterpriseId } : {}), fileId: event.file_id, channelId: event.channel_id, userId: event.user_id },
        { priority: PRIORITY.lookup, db: inTransaction(client) },
      );
      return true;
    });
    if (!queued) log.debug({ eventId, retry: context.retryNum }, 'duplicate Slack event dropped');
  });

  app.event('app_uninstalled', async ({ context }) => {
    const key = installKey({ isEnterpriseInstall: context.isEnterpriseInstall, teamId: context.teamId, enterpriseId: context.enterpriseId });
    const removed = await removeInstallation(pool, key);
    log.info({ key, removed }, 'Toofr was uninstalled from a Slack workspace; its token is deleted');
  });

  app.event('tokens_revoked', async ({ event, context }) => {
    const bots = event.tokens.bot ?? [];
    if (!bots.length) return;
    const key = installKey({ isEnterpriseInstall: context.isEnterpriseInstall, teamId: context.teamId, enterpriseId: context.enterpriseId });
    const cleared = await forgetBotToken(pool, key, bots);
    log.info({ key, cleared }, 'Slack revoked Toofr\'s bot token in a workspace; it is deleted');
  });
}
