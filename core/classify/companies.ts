/**
 * What the worker needs from company classification: one object, built once per process from the
 * settings, that the list pipeline and single lookups share (like the Enricher for the engine),
 * so tests can run the pipeline with the real classifier and a resolver that stays offline.
 *
 * Concurrent asks for the same domain in one process share one fetch: a list of 500 people at
 * acme.com reaches its homepage once even when 50 of them are looked up at the same moment.
 */
import type { Pool } from '../db/pool.ts';
import type { Settings } from '../config.ts';
import type { Classifier } from './classifier.ts';
import { classifyCompanyCached, createCompanyStore, type CachedCompany, type CompanyStore } from './company-store.ts';
import type { HomepageFetchOptions } from './fetch-homepage.ts';

export interface Companies {
  /**
   * A domain, URL or email address → its classification, from the cache when fresh. Throws
   * CompanyInputError for input that is not a company domain; never for a bad website.
   */
  classify(input: string, opts?: { refresh?: boolean }): Promise<CachedCompany>;
  readonly store: CompanyStore;
}

export interface CompaniesOptions {
  pool: Pool;
  settings: Pick<Settings, 'web' | 'dns'>;
  classifier?: Classifier;
  /** Fetcher overrides (tests: an offline resolver, local ports, short timeouts). */
  fetch?: Omit<HomepageFetchOptions, 'allowPrivate'>;
  maxAgeDays?: number;
}

export function createCompanies(opts: CompaniesOptions): Companies {
  const store = createCompanyStore(opts.pool, { maxAgeDays: opts.maxAgeDays });
  const inFlight = new Map<string, Promise<CachedCompany>>();
  // Test and lab names (.test, .example) only where private web targets are allowed, as the engine does for mail.
  const domainOptions = { allowReserved: opts.settings.web.allowPrivate };
  return {
    store,
    classify(input, o = {}) {
      const key = `${o.refresh ? 'refresh:' : ''}${input.trim().toLowerCase()}`;
      const running = inFlight.get(key);
      if (running) return running;
      const p = classifyCompanyCached(input, {
        settings: opts.settings,
        classifier: opts.classifier,
        fetch: opts.fetch,
        store,
        refresh: o.refresh,
        domainOptions,
      }).finally(() => inFlight.delete(key));
      inFlight.set(key, p);
      return p;
    },
  };
}
