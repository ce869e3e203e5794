/**
 * Which bot token speaks for a workspace: its OAuth installation, or in single-workspace mode
 * SLACK_BOT_TOKEN. Workers and the web process ask the same way, so an uninstall stops both.
 */
import type { Settings } from '../../core/config.ts';
import type { Pool } from '../../core/db/pool.ts';
import { unseal } from './seal.ts';

export interface BotAuth {
  token: string;
  botUserId?: string;
}

/** The sealing secret: tokens exist in the database only in OAuth mode, which has a client secret. */
export function sealSecret(settings: Settings): string {
  const s = settings.slack.clientSecret ?? settings.slack.signingSecret;
  if (!s) throw new Error('Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN, or the SLACK_CLIENT_* settings.');
  return s;
}

/** undefined when Toofr is no longer installed there (uninstalled, tokens revoked). */
export async function botAuthFor(pool: Pool, settings: Settings, teamId: string, enterpriseId?: string): Promise<BotAuth | undefined> {
  const { rows } = await pool.query<{ bot_token_sealed: string | null; bot_user_id: string | null }>(
    `SELECT bot_token_sealed, bot_user_id FROM slack_installations
      WHERE install_key = $1 OR install_key = $2 ORDER BY (install_key = $1) DESC LIMIT 1`,
    [`T:${teamId}`, `E:${enterpriseId ?? '-'}`],
  );
  const row = rows[0];
  if (row) return row.bot_token_sealed ? { token: unseal(sealSecret(settings), row.bot_token_sealed), botUserId: row.bot_user_id ?? undefined } : undefined;
  // In OAuth mode every workspace must have installed Toofr; the single token is for single-workspace mode only.
  if (settings.slack.singleWorkspace && !settings.slack.oauth && settings.slack.botToken) return { token: settings.slack.botToken };
  return undefined;
}
