/**
 * Bolt's InstallationStore on Postgres, for multi-workspace installs. Keyed like Slack's own
 * examples: an org-wide install by its enterprise id, anything else by its team id. Tokens are
 * sealed before they are stored and never logged; the rest of the Installation is kept as JSON.
 * Installing also creates the workspace's account, so its lists are its own from the start.
 */
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { Pool } from '../../core/db/pool.ts';
import { ensureAccount } from '../../core/lists/store.ts';
import { seal, unseal } from './seal.ts';

export function installKey(q: { isEnterpriseInstall?: boolean; enterpriseId?: string; teamId?: string }): string {
  return q.isEnterpriseInstall && q.enterpriseId ? `E:${q.enterpriseId}` : `T:${q.teamId}`;
}

export function postgresInstallationStore(pool: Pool, secret: string): InstallationStore {
  return {
    async storeInstallation(installation) {
      const isEnterpriseInstall = Boolean(installation.isEnterpriseInstall);
      const teamId = installation.team?.id;
      const enterpriseId = installation.enterprise?.id;
      const key = installKey({ isEnterpriseInstall, teamId, enterpriseId });
      // Keep the bot token out of the JSON; user tokens are not requested, so none are kept.
      const { bot, user, ...rest } = installation;
      const data = { ...rest, bot: bot && { ...bot, token: undefined, refreshToken: undefined }, user: { id: user.id, scopes: user.scopes } };
      await pool.query(
        `INSERT INTO slack_installations (install_key, team_id, enterprise_id, is_enterprise_install, bot_user_id, bot_id, bot_token_sealed, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (install_key) DO UPDATE SET team_id = EXCLUDED.team_id, enterprise_id = EXCLUDED.enterprise_id,
           is_enterprise_install = EXCLUDED.is_enterprise_install, bot_user_id = EXCLUDED.bot_user_id, bot_id = EXCLUDED.bot_id,
           bot_token_sealed = EXCLUDED.bot_token_sealed, data = EXCLUDED.data, updated_at = now()`,
        [key, teamId ?? null, enterpriseId ?? null, isEnterpriseInstall, bot?.userId ?? null, bot?.id ?? null, bot ? seal(secret, bot.token) : null, JSON.stringify(data)],
      );
      await ensureAccount(pool, 'slack', teamId ?? `E:${enterpriseId}`, installation.team?.name ?? installation.enterprise?.name);
    },

    async fetchInstallation(query: InstallationQuery<boolean>) {
      // A workspace inside an org that installed org-wide has no row of its own: fall back to the org's.
      const { rows } = await pool.query<{ bot_token_sealed: string | null; data: Installation }>(
        `SELECT bot_token_sealed, data FROM slack_installations WHERE install_key = $1 OR install_key = $2
          ORDER BY (install_key = $1) DESC LIMIT 1`,
        [installKey(query), `E:${query.enterpriseId ?? '-'}`],
      );
      const row = rows[0];
      // Bolt expects a throw when there is nothing (it then answers the request with an authorization error).
      if (!row || !row.bot_token_sealed || !row.data.bot) {
        throw new Error(`Toofr is not installed in Slack workspace ${query.teamId ?? query.enterpriseId}: install it from /slack/install.`);
      }
      return { ...row.data, bot: { ...row.data.bot, token: unseal(secret, row.bot_token_sealed) } } as Installation;
    },

    async deleteInstallation(query: InstallationQuery<boolean>) {
      await pool.query('DELETE FROM slack_installations WHERE install_key = $1', [installKey(query)]);
    },
  };
}

/** tokens_revoked: the bot token is gone but the app may still be installed; forget the token. */
export async function forgetBotToken(pool: Pool, key: string, botUserIds: string[]): Promise<number> {
  const { rowCount } = await pool.query(
    'UPDATE slack_installations SET bot_token_sealed = NULL, updated_at = now() WHERE install_key = $1 AND bot_user_id = ANY($2)',
    [key, botUserIds],
  );
  return rowCount ?? 0;
}

/** app_uninstalled: drop the workspace's installation (and with it the token), and end the web sessions it admitted (Sign in with Slack). */
export async function removeInstallation(pool: Pool, key: string): Promise<number> {
  const { rowCount } = await pool.query(
    'WITH ended AS (DELETE FROM web_sessions WHERE slack_install_key = $1) DELETE FROM slack_installations WHERE install_key = $1',
    [key],
  );
  return rowCount ?? 0;
}
