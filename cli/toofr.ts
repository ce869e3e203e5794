#!/usr/bin/env node
/**
 * The `toofr` command: the same engine and pipeline as Slack and the API, from a terminal.
 * Settings come from the environment like every other process (DATABASE_URL or the embedded
 * database, DNS_SERVERS, SMTP_*).
 */
import { Command, CommanderError } from 'commander';
import { settingsOrExit, type Settings } from '../core/config.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { openDatabase } from '../core/db/index.ts';
import { createEngine, type Engine } from '../core/engine/engine.ts';
import type { FindInput } from '../core/engine/types.ts';
import { CliError, enrichFile } from './enrich.ts';
import { learnFile } from './learn.ts';
import { createProgress } from './progress.ts';
import { formatFind, formatPattern, formatVerify } from './format.ts';
import { registerKeys } from './keys.ts';
import { classifyCompanyCached, CompanyInputError, createCompanyStore } from '../core/classify/company-store.ts';
import { formatCompany } from '../core/classify/format.ts';

const ctx = { signal: new AbortController().signal, attempt: 0 };

function setup(): { settings: Settings; log: Logger } {
  const settings = settingsOrExit();
  // A terminal tool stays quiet unless asked: warnings and errors only, to stderr.
  const log = createLogger({ level: process.env.LOG_LEVEL ? settings.logLevel : 'warn', name: 'toofr-cli' });
  return { settings, log };
}

async function withEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
  const { settings, log } = setup();
  const db = await openDatabase(settings, log, { poolMax: 4, applicationName: 'toofr-cli' });
  const engine = createEngine({ pool: db.pool, settings, log });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
    await db.close();
  }
}

function print(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

/** `Jane Doe acme.com`, `"Jane Doe" acme.com`, `Jane Doe "https://acme.com"`: the last word is the company. */
export function findInput(words: string[]): FindInput {
  if (words.length < 2) throw new CliError('usage: toofr find <first> <last> <company domain or website>   (or: toofr find "<full name>" <domain>)', 2);
  const company = words[words.length - 1]!;
  const name = words.slice(0, -1);
  return name.length === 2 ? { first: name[0], last: name[1], domain: company } : { full_name: name.join(' '), domain: company };
}

const program = new Command()
  .name('toofr')
  .description("Find a person's work email address from their name and company, and say how sure it is.")
  .showHelpAfterError('(run toofr --help for usage)')
  .exitOverride();

program
  .command('find')
  .description('find the address of one person: toofr find Jane Doe acme.com')
  .argument('<words...>', 'first and last name (or a quoted full name), then the company domain or website')
  .option('--json', 'print the full answer as JSON')
  .action(async (words: string[], o: { json?: boolean }) => {
    const input = findInput(words);
    const a = await withEngine((e) => e.find(input, ctx));
    print(Boolean(o.json), a, formatFind(a));
    if (a.status === 'bad_input') process.exitCode = 2;
  });

program
  .command('verify')
  .description('check whether an address exists: toofr verify jane@acme.com')
  .argument('<email>')
  .option('--json', 'print the full answer as JSON')
  .action(async (email: string, o: { json?: boolean }) => {
    const v = await withEngine((e) => e.verify(email, ctx));
    print(Boolean(o.json), v, formatVerify(v));
  });

program
  .command('pattern')
  .description("a company's address pattern, with the evidence: toofr pattern acme.com")
  .argument('<domain>')
  .option('--json', 'print the full answer as JSON')
  .action(async (domain: string, o: { json?: boolean }) => {
    const p = await withEngine((e) => e.pattern(domain, ctx));
    print(Boolean(o.json), p, formatPattern(p));
  });

program
  .command('learn')
  .description('import known addresses (name + email per row) to teach companies their patterns')
  .argument('<file>', 'a CSV with Email and First/Last name (or Full name) columns')
  .option('--json', 'print the summary as JSON')
  .action(async (file: string, o: { json?: boolean }) => {
    const s = await withEngine((e) => learnFile(e, file));
    const human = [
      `learned ${s.learned} of ${s.rows} addresses at ${s.domains} domain${s.domains === 1 ? '' : 's'}`,
      ...s.skipped.slice(0, 20).map((k) => `  line ${k.line}: ${k.reason}`),
      ...(s.skipped.length > 20 ? [`  … and ${s.skipped.length - 20} more skipped rows`] : []),
    ].join('\n');
    print(Boolean(o.json), s, human);
  });

program
  .command('enrich')
  .description('find emails for every row of a CSV: toofr enrich leads.csv -o leads-with-emails.csv')
  .argument('<input>', 'a CSV with name and company columns (any common header names, in English, French, German, Spanish…)')
  .requiredOption('-o, --output <file>', 'where to write the results CSV')
  .option('--json', 'print the summary as JSON')
  .action(async (input: string, o: { output: string; json?: boolean }) => {
    const { settings, log } = setup();
    const progress = createProgress('finding emails');
    const s = await enrichFile({
      settings,
      log,
      input,
      output: o.output,
      onProgress: (l) => progress.update(l.processed + l.bad_rows, l.total_rows, `${l.found} found`),
    }).finally(() => progress.stop());
    const human = `${s.output}: ${s.rows} rows, ${s.found} emails found, ${s.processed - s.found} not found, ${s.bad} rows skipped (reasons in the status column) — ${s.seconds.toFixed(1)} s`;
    print(Boolean(o.json), s, human);
  });

program
  .command('company')
  .description("a company's industry and whether it is an agency, from its homepage: toofr company acme.com")
  .argument('<domain>', 'company domain or website')
  .option('--json', 'print the full answer as JSON')
  .option('--refresh', 'fetch the homepage again even if a recent answer is cached')
  .action(async (domain: string, o: { json?: boolean; refresh?: boolean }) => {
    const { settings, log } = setup();
    const db = await openDatabase(settings, log, { poolMax: 2, applicationName: 'toofr-cli' });
    try {
      const r = await classifyCompanyCached(domain, {
        settings,
        store: createCompanyStore(db.pool),
        refresh: Boolean(o.refresh),
        // Test and lab names (.test) only where private web targets are allowed, as the engine does for mail.
        domainOptions: { allowReserved: settings.web.allowPrivate },
      }).catch((err: unknown) => {
        throw err instanceof CompanyInputError ? new CliError(err.message, 2) : err;
      });
      print(Boolean(o.json), r, formatCompany(r));
    } finally {
      await db.close();
    }
  });

registerKeys(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const code = err instanceof CliError ? err.exitCode : 1;
  process.stderr.write(`toofr: ${(err as Error).message}\n`);
  process.exit(code);
}
