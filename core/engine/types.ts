/**
 * The engine's answers. Vocabulary is Hunter-compatible (design.md §2): a verification is
 * `valid`, `invalid`, `accept_all` or `unknown`, with flags `webmail`, `disposable`, `role`.
 */

export type Verification = 'valid' | 'invalid' | 'accept_all' | 'unknown';

export type Flag = 'webmail' | 'disposable' | 'role';

/** One additive part of a confidence score, shown to users so the number explains itself. */
export interface ScorePart {
  /** e.g. 'smtp', 'pattern', 'mail_servers', 'accept_all', 'webmail', 'role', 'disposable' */
  part: string;
  points: number;
  why: string;
}

export interface Candidate {
  email: string;
  /** e.g. '{first}.{last}' */
  pattern: string;
  /** Probability (0–1) that this is the address, before any SMTP check. */
  prior: number;
  /** Set when the candidate was checked over SMTP. */
  verification?: Verification;
  /** A short, user-safe description of what the server said. */
  reply?: string;
}

/** What a record or a single lookup asks for; cells as the user gave them. */
export interface FindInput {
  first?: string;
  last?: string;
  full_name?: string;
  company?: string;
  domain?: string;
  /** An address already in the user's file: verified instead of guessed. */
  email?: string;
}

export type FindStatus =
  | 'found'        // an address we stand behind (valid, or the best guess on an accept-all domain)
  | 'not_found'    // every candidate was rejected, or nothing could be guessed
  | 'rechecking'   // temporary answers (greylisting, 4xx): unknown for now, re-checked later
  | 'unknown'      // nothing conclusive: the server refused us, timed out, or kept deferring
  | 'no_mail'      // the domain takes no mail (NXDOMAIN, null MX)
  | 'bad_input';   // not enough to look anything up

export interface FindAnswer {
  email: string | null;
  confidence: number;
  verification: Verification;
  pattern: string | null;
  score_parts: ScorePart[];
  candidates: Candidate[];
  domain: string | null;
  accept_all: boolean | null;
  mx: string[];
  flags: Flag[];
  status: FindStatus;
  reason?: string;
  /** With status 'rechecking': when to try again. */
  retry_after_seconds?: number;
  /**
   * With status 'rechecking': why. `deferred`: the server put these recipients off (greylisting);
   * `slow_down`: it asked us to slow down; `unavailable`: it (or DNS) could not be reached.
   */
  retry_kind?: 'deferred' | 'slow_down' | 'unavailable';
}

export interface VerifyAnswer {
  email: string;
  verification: Verification;
  flags: Flag[];
  reason: string;
  mx: string[];
  accept_all: boolean | null;
  confidence: number;
  score_parts: ScorePart[];
  retry_after_seconds?: number;
}

export interface PatternAnswer {
  domain: string;
  pattern: string | null;
  /** Learned pattern counts, most frequent first. */
  evidence: { pattern: string; count: number }[];
  accept_all: boolean | null;
  mx: string[];
  /** Why there is no pattern, or what to do about it. */
  reason?: string;
}
