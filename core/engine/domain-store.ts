/**
 * What the engine remembers per mail domain, in Postgres (shared by every worker process):
 * its mail servers until their TTL runs out, whether it accepts every address, and the address
 * patterns learned from verified and imported addresses.
 */
import type { Pool } from '../db/pool.ts';
import type { MailHosts } from './dns.ts';
import type { UmlautStyle } from './names.ts';

export interface DomainFacts {
  domain: string;
  mail: MailHosts | null;
  acceptAll: boolean | null;
  acceptAllCheckedAt: Date | null;
  patternCounts: Record<string, number>;
  /** Umlaut spellings seen in its addresses: {expand, plain} counts. */
  spelling: Partial<Record<UmlautStyle, number>>;
}

interface Row {
  domain: string;
  mx: MailHosts | null;
  mx_expires_at: Date | null;
  accept_all: boolean | null;
  accept_all_checked_at: Date | null;
  pattern_counts: Record<string, number>;
  spelling: Partial<Record<UmlautStyle, number>> | null;
}

/** How long an accept-all verdict is trusted before the domain is probed again. */
export const ACCEPT_ALL_TTL_DAYS = 30;

export function createDomainStore(pool: Pool, now: () => Date = () => new Date()) {
  return {
    async get(domain: string): Promise<DomainFacts> {
      const { rows } = await pool.query<Row>(
        'SELECT domain, mx, mx_expires_at, accept_all, accept_all_checked_at, pattern_counts, spelling FROM domains WHERE domain = $1',
        [domain],
      );
      const r = rows[0];
      const t = now().getTime();
      const acceptAllFresh = r?.accept_all_checked_at && t - r.accept_all_checked_at.getTime() < ACCEPT_ALL_TTL_DAYS * 86400_000;
      return {
        domain,
        mail: r?.mx && r.mx_expires_at && r.mx_expires_at.getTime() > t ? r.mx : null,
        acceptAll: acceptAllFresh ? r!.accept_all : null,
        acceptAllCheckedAt: r?.accept_all_checked_at ?? null,
        patternCounts: r?.pattern_counts ?? {},
        spelling: r?.spelling ?? {},
      };
    },

    async saveMail(mail: MailHosts): Promise<void> {
      // Errors (SERVFAIL, timeouts) are not cached here: they say nothing about the domain.
      if (mail.status === 'error') return;
      await pool.query(
        `INSERT INTO domains (domain, mx, mx_status, mx_checked_at, mx_expires_at)
         VALUES ($1, $2, $3, $4, $4::timestamptz + make_interval(secs => $5))
         ON CONFLICT (domain) DO UPDATE SET mx = EXCLUDED.mx, mx_status = EXCLUDED.mx_status,
           mx_checked_at = EXCLUDED.mx_checked_at, mx_expires_at = EXCLUDED.mx_expires_at, updated_at = now()`,
        [mail.domain, JSON.stringify(mail), mail.status, now(), mail.ttlSeconds],
      );
    },

    async saveAcceptAll(domain: string, acceptAll: boolean): Promise<void> {
      await pool.query(
        `INSERT INTO domains (domain, accept_all, accept_all_checked_at) VALUES ($1, $2, $3)
         ON CONFLICT (domain) DO UPDATE SET accept_all = EXCLUDED.accept_all,
           accept_all_checked_at = EXCLUDED.accept_all_checked_at, updated_at = now()`,
        [domain, acceptAll, now()],
      );
    },

    /**
     * Adds evidence for a domain's patterns: `{pattern, share}` pairs whose shares sum to the
     * weight of one address (an address that several patterns explain — a one-letter first name —
     * splits its one observation, so ambiguity never counts double). One statement, so concurrent
     * workers never lose each other's increments.
     */
    /** One more address at the domain that spells umlauts this way. */
    async learnSpelling(domain: string, style: UmlautStyle): Promise<void> {
      await pool.query(
        `INSERT INTO domains AS d (domain, spelling) VALUES ($1, jsonb_build_object($2::text, 1))
         ON CONFLICT (domain) DO UPDATE SET updated_at = now(),
           spelling = d.spelling || jsonb_build_object($2::text, COALESCE((d.spelling->>$2)::numeric, 0) + 1)`,
        [domain, style],
      );
    },

    async learn(domain: string, increments: readonly { pattern: string; share: number }[]): Promise<void> {
      if (!increments.length) return;
      // One statement (insert or add), so concurrent workers never lose each other's increments.
      await pool.query(
        `INSERT INTO domains AS d (domain, pattern_counts)
           SELECT $1, jsonb_object_agg(u.p, round(u.s, 4)) FROM unnest($2::text[], $3::numeric[]) AS u(p, s)
         ON CONFLICT (domain) DO UPDATE SET updated_at = now(), pattern_counts = d.pattern_counts || (
           SELECT jsonb_object_agg(u.p, round(COALESCE((d.pattern_counts->>u.p)::numeric, 0) + u.s, 4))
             FROM unnest($2::text[], $3::numeric[]) AS u(p, s))`,
        [domain, increments.map((i) => i.pattern), increments.map((i) => i.share)],
      );
    },
  };
}

export type DomainStore = ReturnType<typeof createDomainStore>;
