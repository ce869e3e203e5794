/**
 * Posting a /toofr answer once its lookup is done. The web process that acked the command waits
 * for the lookup on the shared LISTEN connection (no polling) and posts to the response_url;
 * the debt is written down first (slack_answers), so if that process restarts, the next one to
 * start picks up every answer still owed within the response_url's 30 minutes. The row is
 * claimed right before posting, so two processes never both answer.
 */
import type { Pool } from '../../core/db/pool.ts';
import type { FindAnswer, PatternAnswer, VerifyAnswer } from '../../core/engine/types.ts';
import type { Logger } from '../../core/logger.ts';
import type { LookupRow, LookupWaiter } from '../../core/lookups.ts';
import type { CachedCompany } from '../../core/classify/company-store.ts';
import { companyMessage, findMessage, lookupFailedMessage, patternMessage, stillWorkingMessage, verifyMessage, type Message } from './blocks.ts';

export interface AnswerDeps {
  pool: Pool;
  lookups: LookupWaiter;
  log: Logger;
  /** How long to wait before telling the user it is slow (the answer still follows). */
  patienceMs?: number;
  /** True once this process is shutting down: stop waiting, the next process answers. */
  closed?: () => boolean;
}

const WAIT_SLICE_MS = 1000;

/** response_urls accept posts for 30 minutes; stop a little before. */
const RESPONSE_URL_LIFETIME_MS = 29 * 60 * 1000;

export async function owe(pool: Pool, lookupId: string, teamId: string, responseUrl: string, label: string): Promise<void> {
  await pool.query('INSERT INTO slack_answers (lookup_id, team_id, response_url, label) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [lookupId, teamId, responseUrl, label]);
}

export function answerMessage(row: LookupRow, label: string): Message {
  if (row.status === 'failed' || !row.result) return lookupFailedMessage(label, row.error ?? 'the lookup failed');
  if (row.kind === 'find') return findMessage(label, row.result as FindAnswer);
  if (row.kind === 'verify') return verifyMessage(row.result as VerifyAnswer);
  if (row.kind === 'company') return companyMessage(row.result as CachedCompany);
  return patternMessage(row.result as PatternAnswer);
}

export async function postResponse(responseUrl: string, m: Message): Promise<void> {
  const res = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: true, text: m.text, blocks: m.blocks }),
  });
  if (!res.ok) throw new Error(`Slack refused the answer (${res.status}); the response URL may have expired.`);
}

/**
 * Waits on the LookupWaiter in short slices, so a web process that is closing (`closed()`) stops
 * waiting promptly and leaves the answer to the next process (the debt row stays open).
 */
async function waitFor(deps: AnswerDeps, lookupId: string, untilMs: number): Promise<LookupRow | 'closed' | undefined> {
  for (;;) {
    if (deps.closed?.()) return 'closed';
    const left = untilMs - Date.now();
    if (left <= 0) return undefined;
    const row = await deps.lookups.wait(deps.pool, lookupId, Math.min(left, WAIT_SLICE_MS));
    if (row) return row;
  }
}

/** Waits for the lookup and posts its answer; resolves when posted (or owed to nobody any more). */
export async function answerWhenDone(deps: AnswerDeps, lookupId: string, responseUrl: string, label: string, createdAt = Date.now()): Promise<'answered' | 'taken' | 'expired' | 'closed'> {
  const { pool, log } = deps;
  const expires = createdAt + RESPONSE_URL_LIFETIME_MS;
  let row = await waitFor(deps, lookupId, Math.min(expires, Date.now() + (deps.patienceMs ?? 20_000)));
  if (row === undefined && Date.now() < expires) {
    await postResponse(responseUrl, stillWorkingMessage(label)).catch((err: unknown) => log.warn({ err }, 'could not post a "still working" note'));
    row = await waitFor(deps, lookupId, expires);
  }
  if (row === 'closed') return 'closed';
  if (!row) {
    await pool.query('UPDATE slack_answers SET answered_at = now() WHERE lookup_id = $1 AND answered_at IS NULL', [lookupId]);
    return 'expired';
  }
  const { rowCount } = await pool.query('UPDATE slack_answers SET answered_at = now() WHERE lookup_id = $1 AND answered_at IS NULL', [lookupId]);
  if (!rowCount) return 'taken';
  await postResponse(responseUrl, answerMessage(row, label));
  return 'answered';
}

/** At start-up: answers owed by a process that stopped before posting them. */
export async function resumeOwedAnswers(deps: AnswerDeps): Promise<number> {
  // Answers older than their response_url are owed to nobody; forget them.
  await deps.pool.query(`DELETE FROM slack_answers WHERE created_at < now() - interval '1 day'`);
  const { rows } = await deps.pool.query<{ lookup_id: string; response_url: string; label: string; created_at: Date }>(
    `SELECT lookup_id, response_url, label, created_at FROM slack_answers
      WHERE answered_at IS NULL AND created_at > now() - make_interval(secs => $1)`,
    [RESPONSE_URL_LIFETIME_MS / 1000],
  );
  for (const r of rows) {
    answerWhenDone(deps, r.lookup_id, r.response_url, r.label, r.created_at.getTime()).catch((err: unknown) =>
      deps.log.warn({ err, lookupId: r.lookup_id }, 'could not post a resumed /toofr answer'),
    );
  }
  return rows.length;
}

