/**
 * The queues, their payloads and their options: the contract between whoever sends a job
 * (bot, CLI, other jobs) and the worker that runs it. One place, so both sides agree.
 */
import type { Queue } from 'pg-boss';

export const QUEUES = {
  listImport: 'list.import',
  recordEnrich: 'record.enrich',
  listProgress: 'list.progress',
  listDeliver: 'list.deliver',
  listClassify: 'list.classify',
  lookup: 'lookup',
  sheetsWrite: 'sheets.write',
  slackFile: 'slack.file',
} as const;

export interface Payloads {
  'list.import': { listId: string };
  'record.enrich': { recordId: number; listId: string };
  'list.progress': { listId: string };
  'list.deliver': { listId: string };
  /** Industry and agency for each distinct company domain of a list (worker/jobs/list.classify.ts). */
  'list.classify': { listId: string };
  lookup: { lookupId: string };
  /** Write a Sheets list's finished results back into its sheet (worker/jobs/sheets.write.ts). */
  'sheets.write': { listId: string };
  /** A file shared in Slack: fetched, checked and turned into a list by the web process (bot/slack/intake.ts). */
  'slack.file': { teamId: string; enterpriseId?: string; fileId: string; channelId: string; userId?: string };
}

/**
 * Single lookups outrank everything; bulk records come last. A re-check of a deferred record
 * (greylisting) goes before fresh records, so a list does not end with a tail of re-checks.
 */
export const PRIORITY = { lookup: 100, list: 10, recheck: 1, record: 0 } as const;

/** Re-checks of temporary SMTP answers (greylisting) before a record is settled as unknown. */
export const MAX_RECHECKS = 3;

// Heartbeats make a SIGKILLed worker's jobs come back in ~10 s + one monitor pass instead of
// pg-boss's 15-minute expiry default (measured in shared/research/pgboss.md §3.3).
const HEARTBEAT = 10;

export const QUEUE_OPTIONS: Record<(typeof QUEUES)[keyof typeof QUEUES], Omit<Queue, 'name'>> = {
  // notify: a worker starts reading an uploaded file at once, not at its next poll.
  'list.import': { retryLimit: 3, retryDelay: 5, retryBackoff: true, heartbeatSeconds: HEARTBEAT, expireInSeconds: 3600, notify: true },
  // retryLimit counts failures of the engine itself (bugs, lost database); SMTP answers are
  // results, and temporary ones are re-checked with a fresh delayed job, not a failure.
  'record.enrich': { retryLimit: 4, retryDelay: 2, retryBackoff: true, retryDelayMax: 120, heartbeatSeconds: HEARTBEAT, expireInSeconds: 600 },
  'list.progress': { retryLimit: 1, retryDelay: 1, expireInSeconds: 60 },
  'list.deliver': { retryLimit: 10, retryDelay: 10, retryBackoff: true, retryDelayMax: 900, heartbeatSeconds: HEARTBEAT, expireInSeconds: 900 },
  // Resumable: each domain's answer is cached as it comes, so a retry only does what is left.
  'list.classify': { retryLimit: 3, retryDelay: 10, retryBackoff: true, heartbeatSeconds: HEARTBEAT, expireInSeconds: 3600 },
  lookup: { retryLimit: 2, retryDelay: 1, heartbeatSeconds: HEARTBEAT, expireInSeconds: 300, notify: true },
  // One job per list at a time (stately + singletonKey = list id); it re-queues itself while
  // results keep coming, paced across workers by worker/jobs/sheets.pacer.ts.
  'sheets.write': { policy: 'stately', retryLimit: 5, retryDelay: 5, retryBackoff: true, retryDelayMax: 300, heartbeatSeconds: HEARTBEAT, expireInSeconds: 300 },
  'slack.file': { retryLimit: 5, retryDelay: 5, retryBackoff: true, retryDelayMax: 120, heartbeatSeconds: HEARTBEAT, expireInSeconds: 600 },
};
