/**
 * Company classifications cached per domain in Postgres (`domains.company`, `company_checked_at`),
 * shared by every process, so a list with 500 people at one company fetches its homepage once,
 * and a company is re-checked only after `maxAgeDays` (companies rarely change industry).
 *
 * Transient failures (a timeout, nothing answering) are kept for a day only: the site may be back
 * tomorrow. "No website", "blocked" and real answers are kept for the full age.
 */
import type { Pool } from '../db/pool.ts';
import { resolveCompanyDomain, type DomainOptions } from '../engine/domain.ts';
import { classifyCompany, type ClassifyCompanyDeps, type CompanyResult } from './company.ts';

export const COMPANY_MAX_AGE_DAYS = 90;
const TRANSIENT_MAX_AGE_DAYS = 1;
const TRANSIENT = new Set(['timeout', 'unreachable']);

export interface CachedCompany extends CompanyResult {
  checked_at: string;
  /** True when this answer came from the cache. */
  cached: boolean;
}

export function createCompanyStore(pool: Pool, opts: { maxAgeDays?: number; now?: () => Date } = {}) {
  const now = opts.now ?? (() => new Date());
  const maxAgeDays = opts.maxAgeDays ?? COMPANY_MAX_AGE_DAYS;
  // The one rule for "fresh", shared by get() and stale(): $2..$5 follow the domain(s) in $1.
  const FRESH = `d.company IS NOT NULL AND d.company_checked_at > $2::timestamptz - make_interval(days =>
    CASE WHEN d.company->'website'->>'status' = ANY($3::text[]) THEN $4::int ELSE $5::int END)`;
  const freshParams = () => [now(), [...TRANSIENT], TRANSIENT_MAX_AGE_DAYS, maxAgeDays];
  return {
    /** The cached answer if it is still fresh, else undefined. */
    async get(domain: string): Promise<CachedCompany | undefined> {
      const { rows } = await pool.query<{ company: CompanyResult; company_checked_at: Date }>(
        `SELECT d.company, d.company_checked_at FROM domains d WHERE d.domain = $1 AND ${FRESH}`,
        [domain, ...freshParams()],
      );
      const r = rows[0];
      return r && { ...r.company, checked_at: r.company_checked_at.toISOString(), cached: true };
    },

    /** Of these domains, the ones with no fresh answer (never classified, or past their age). */
    async stale(domains: readonly string[]): Promise<string[]> {
      if (!domains.length) return [];
      const { rows } = await pool.query<{ domain: string }>(
        `SELECT u.domain FROM unnest($1::text[]) AS u(domain) LEFT JOIN domains d ON d.domain = u.domain
          WHERE NOT COALESCE(${FRESH}, false)`,
        [domains, ...freshParams()],
      );
      return rows.map((r) => r.domain);
    },

    async save(result: CompanyResult): Promise<Date> {
      const at = now();
      await pool.query(
        `INSERT INTO domains (domain, company, company_checked_at) VALUES ($1, $2, $3)
         ON CONFLICT (domain) DO UPDATE SET company = EXCLUDED.company,
           company_checked_at = EXCLUDED.company_checked_at, updated_at = now()`,
        [result.domain, JSON.stringify(result), at],
      );
      return at;
    },
  };
}

export type CompanyStore = ReturnType<typeof createCompanyStore>;

/** The input is not a company domain (an IP, localhost, garbage): the caller's mistake, not ours. */
export class CompanyInputError extends Error {}

/**
 * A domain, URL or email address → its cached classification, or a fresh one (then cached).
 * Throws only for input that is not a company domain at all (the message says why).
 */
export async function classifyCompanyCached(
  input: string,
  deps: ClassifyCompanyDeps & { store: CompanyStore; refresh?: boolean; domainOptions?: DomainOptions },
): Promise<CachedCompany> {
  const d = resolveCompanyDomain(input, deps.domainOptions);
  if (!d.ok) throw new CompanyInputError(`${d.reason}; give a company domain such as acme.com`);
  if (!deps.refresh) {
    const hit = await deps.store.get(d.domain);
    if (hit) return hit;
  }
  const fresh = await classifyCompany(d.domain, deps);
  const at = await deps.store.save(fresh);
  return { ...fresh, checked_at: at.toISOString(), cached: false };
}
