/**
 * `toofr keys create|list|revoke|secret`: API keys for the HTTP API and the web pages. A key is
 * printed once, at creation; only its hash is stored. Keys belong to an account: by default the
 * local one (the same lists the CLI and local mode see), or `--account <name>` for a separate
 * API account (e.g. one per customer).
 */
import type { Command } from 'commander';
import { settingsOrExit } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { openDatabase } from '../core/db/index.ts';
import type { Pool } from '../core/db/pool.ts';
import { ensureAccount } from '../core/lists/store.ts';
import { callbackSecret, createApiKey, listApiKeys, revokeApiKey } from '../core/api-keys.ts';
import { CliError } from './enrich.ts';

async function withPool<T>(fn: (pool: Pool) => Promise<T>): Promise<T> {
  const settings = settingsOrExit();
  const log = createLogger({ level: process.env.LOG_LEVEL ? settings.logLevel : 'warn', name: 'toofr-cli' });
  const db = await openDatabase(settings, log, { poolMax: 2, applicationName: 'toofr-cli' });
  try {
    return await fn(db.pool);
  } finally {
    await db.close();
  }
}

function account(pool: Pool, name: string | undefined): Promise<number> {
  return name ? ensureAccount(pool, 'api', name, name) : ensureAccount(pool, 'local', 'local');
}

const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-');

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('API keys for the HTTP API and web pages: create, list, revoke');

  keys
    .command('create')
    .description('make a key (printed once; only its hash is kept)')
    .option('--account <name>', 'the API account the key belongs to (created if new); default: the local account')
    .option('--name <label>', 'a label to recognise the key by, e.g. "zapier" or "alice"')
    .option('--json', 'print as JSON')
    .action(async (o: { account?: string; name?: string; json?: boolean }) => {
      const out = await withPool(async (pool) => {
        const accountId = await account(pool, o.account);
        const { key, info } = await createApiKey(pool, accountId, o.name);
        return { key, prefix: info.prefix, account: o.account ?? 'local', name: info.name, callback_secret: await callbackSecret(pool, accountId) };
      });
      if (o.json) return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      process.stdout.write(
        [
          `API key for account "${out.account}"${out.name ? ` (${out.name})` : ''}:`,
          '',
          `  ${out.key}`,
          '',
          'Copy it now: it is not shown again (only its hash is stored).',
          'Use it as "Authorization: Bearer <key>", ?api_key=<key>, or to sign in to the web pages.',
          `Callbacks to this account are signed with: ${out.callback_secret}`,
          '',
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description('keys, with their prefixes (never the keys themselves)')
    .option('--account <name>', 'only this API account')
    .option('--json', 'print as JSON')
    .action(async (o: { account?: string; json?: boolean }) => {
      const rows = await withPool(async (pool) => listApiKeys(pool, o.account ? await account(pool, o.account) : undefined));
      if (o.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      if (!rows.length) return void process.stdout.write('No keys yet. Make one with: toofr keys create\n');
      const lines = rows.map((k) =>
        [k.prefix.padEnd(15), (k.account_kind === 'local' ? 'local' : k.account_external_id).padEnd(16), (k.name ?? '').padEnd(14), when(k.created_at).padEnd(17), when(k.last_used_at).padEnd(17), k.revoked_at ? `revoked ${when(k.revoked_at)}` : 'active'].join(' '),
      );
      process.stdout.write(`${['prefix'.padEnd(15), 'account'.padEnd(16), 'name'.padEnd(14), 'created (UTC)'.padEnd(17), 'last used'.padEnd(17), 'state'].join(' ')}\n${lines.join('\n')}\n`);
    });

  keys
    .command('revoke')
    .description('revoke a key by its prefix (toofr_ab12cd34) or the whole key; its web sessions end too')
    .argument('<prefix>')
    .action(async (prefix: string) => {
      const k = await withPool((pool) => revokeApiKey(pool, prefix));
      if (!k) throw new CliError(`No key ${prefix}. See the prefixes with: toofr keys list`, 2);
      process.stdout.write(`Revoked ${k.prefix}${k.name ? ` (${k.name})` : ''}. Requests with it now answer 401.\n`);
    });

  keys
    .command('secret')
    .description("print the secret that signs an account's callbacks (HMAC-SHA256, Toofr-Signature header)")
    .option('--account <name>', 'the API account; default: the local account')
    .action(async (o: { account?: string }) => {
      const secret = await withPool(async (pool) => callbackSecret(pool, await account(pool, o.account)));
      process.stdout.write(`${secret}\n`);
    });
}
