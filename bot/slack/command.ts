/**
 * `/toofr`: acked at once (Slack allows 3 s; the ack carries help, or a "Looking up…" note),
 * then answered through response_url. Lookups go through the high-priority `lookup` queue, so
 * an answer never waits behind a running list; see answers.ts for who posts it and how it
 * survives a restart.
 */
import type { App } from '@slack/bolt';
import type { Settings } from '../../core/config.ts';
import type { Pool } from '../../core/db/pool.ts';
import type { Boss } from '../../core/queue/boss.ts';
import type { Logger } from '../../core/logger.ts';
import { ensureAccount, type ListRow } from '../../core/lists/store.ts';
import { requestLookup, type LookupWaiter } from '../../core/lookups.ts';
import { answerWhenDone, owe, postResponse } from './answers.ts';
import { helpMessage, listsMessage, lookupFailedMessage, workingMessage } from './blocks.ts';
import { parseCommand, type Command } from './parse-command.ts';
import { resolveCompanyDomain } from '../../core/engine/domain.ts';

export interface CommandDeps {
  settings: Settings;
  pool: Pool;
  boss: Boss;
  log: Logger;
  lookups: LookupWaiter;
  closed?: () => boolean;
  /** Answers being waited for, so a closing process can let them hand over cleanly. */
  inFlight?: Set<Promise<unknown>>;
}

export function registerCommand(app: App, deps: CommandDeps): void {
  const { pool, boss, log } = deps;
  app.command('/toofr', async ({ command, ack }) => {
    const cmd = checkCompany(parseCommand(command.text), deps.settings);
    if (cmd.kind === 'help' || cmd.kind === 'usage') {
      await ack({ response_type: 'ephemeral', ...helpMessage(cmd.kind === 'usage' ? cmd.problem : undefined) } as never);
      return;
    }
    const teamId = command.team_id;
    if (cmd.kind === 'lists') {
      await ack();
      try {
        const accountId = await ensureAccount(pool, 'slack', teamId, command.team_domain);
        const { rows } = await pool.query<ListRow>('SELECT * FROM lists WHERE account_id = $1 ORDER BY created_at DESC LIMIT 10', [accountId]);
        await postResponse(command.response_url, listsMessage(rows, deps.settings.publicUrl));
      } catch (err) {
        log.warn({ err }, '/toofr lists failed');
        await postResponse(command.response_url, lookupFailedMessage('your lists', 'the database did not answer')).catch(() => undefined);
      }
      return;
    }
    const label = cmd.kind === 'find' ? cmd.label : cmd.kind === 'verify' ? cmd.email : cmd.kind === 'company' ? `the company ${cmd.domain}` : `the pattern at ${cmd.domain}`;
    const working = cmd.kind === 'verify' ? `Verifying ${label}` : cmd.kind === 'company' ? `Reading ${cmd.domain}'s website` : `Looking up ${label}`;
    await ack({ response_type: 'ephemeral', ...workingMessage(working) } as never);
    const work = (async () => {
      try {
        const accountId = await ensureAccount(pool, 'slack', teamId, command.team_domain);
        const input = cmd.kind === 'find' ? cmd.input : cmd.kind === 'verify' ? { email: cmd.email } : { domain: cmd.domain };
        const id = await requestLookup(pool, boss, accountId, cmd.kind, input);
        await owe(pool, id, teamId, command.response_url, label);
        await answerWhenDone(deps, id, command.response_url, label);
      } catch (err) {
        log.warn({ err }, `/toofr ${cmd.kind} failed`);
        await postResponse(command.response_url, lookupFailedMessage(label, 'something went wrong on our side')).catch(() => undefined);
      }
    })();
    deps.inFlight?.add(work);
    await work;
    deps.inFlight?.delete(work);
  });
}

/**
 * A company's domain is checked here, as the worker would (IP, unknown suffix…), so the asker
 * gets the reason with the usage at once instead of a failed lookup; `.test` and other lab names
 * only where private websites are allowed, like the worker.
 */
function checkCompany(cmd: Command, settings: Settings): Command {
  if (cmd.kind !== 'company') return cmd;
  const d = resolveCompanyDomain(cmd.domain, { allowReserved: settings.web.allowPrivate });
  return d.ok ? { kind: 'company', domain: d.domain } : { kind: 'usage', problem: `${d.reason}.` };
}
