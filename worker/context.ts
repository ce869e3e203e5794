/** What every job handler is given: settings are passed in, never read from the environment. */
import type { Pool } from '../core/db/pool.ts';
import type { Companies } from '../core/classify/companies.ts';
import type { Enricher } from '../core/enricher.ts';
import type { Logger } from '../core/logger.ts';
import type { Boss } from '../core/queue/boss.ts';
import type { Notifiers } from './notifiers/types.ts';

export interface WorkerContext {
  pool: Pool;
  boss: Boss;
  log: Logger;
  enricher: Enricher;
  /** Company industry / agency classification, cached per domain (core/classify). */
  companies: Companies;
  notifiers: Notifiers;
  /** Record jobs at once in this process (WORKER_CONCURRENCY). */
  concurrency: number;
  /** Record jobs at once per mail domain across all worker processes (politeness). */
  perDomainConcurrency: number;
  /** Seconds between progress notifications for one list. */
  progressIntervalSeconds: number;
  /**
   * Record jobs were just queued by this process: its record pump fetches at once instead of at
   * its next poll (pumps of other processes find them by polling).
   */
  recordsQueued?: () => void;
}
