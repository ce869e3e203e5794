/**
 * Corporate address patterns: render them for a name, infer them from known addresses, and rank
 * a person's candidate addresses by how likely each is at a given domain.
 *
 * Ranking is a Dirichlet-multinomial update. A domain's pattern is a draw from a categorical
 * distribution; the global prior below is a Dirichlet with pseudo-counts
 * `PRIOR_STRENGTH × share`, and each learned address at the domain adds one observation. The
 * posterior mean of pattern p is
 *
 *     P(p | domain) = (PRIOR_STRENGTH × share_p + n_p) / (PRIOR_STRENGTH + N)
 *
 * so a domain with nothing learned follows the prior, and a handful of observations dominates it
 * (companies almost always use one pattern, which is why the prior is weak: see PRIOR_STRENGTH).
 * A candidate's probability is then P(p | domain) × P(first spelling) × P(last spelling), summed
 * over every (pattern, spelling) that yields the same address — those are disjoint hypotheses
 * about how the address was made, so their probabilities add.
 *
 * Hand-written because no library does this; the formula is the textbook conjugate update.
 */
import type { Candidate } from './types.ts';
import { NAME_WEIGHTS, type ParsedName, type Variant } from './names.ts';
import { parseEmail } from './domain.ts';

// ---------------------------------------------------------------------------------------------
// Patterns and the global prior
// ---------------------------------------------------------------------------------------------

/**
 * Tokens: `{first}`, `{last}`, `{f}` (first initial), `{l}` (last initial), `{m}` (middle
 * initial); anything else is literal. Ordered by the prior, most common first.
 */
export const PATTERNS = [
  '{first}.{last}',
  '{f}{last}',
  '{first}',
  '{first}{last}',
  '{f}.{last}',
  '{first}_{last}',
  '{first}{l}',
  '{first}.{l}',
  '{last}',
  '{last}.{first}',
  '{first}-{last}',
  '{last}{f}',
  '{f}{m}{last}',
  '{last}{first}',
  '{last}_{first}',
  '{f}{l}',
  '{last}.{f}',
  '{f}_{last}',
  '{first}.{m}.{last}',
  '{f}.{m}.{last}',
  '{f}-{last}',
  '{last}-{first}',
  '{first}_{l}',
  '{l}{first}',
] as const;

export type Pattern = (typeof PATTERNS)[number];

/**
 * Global prior as shares of 100 (anchors-email.md §6). No authoritative table exists and the
 * published numbers disagree, so this blends them:
 * - Mailsfinder blog: ~60 % of B2B companies use first.last; ~25 % first / flast / first.l.
 * - ColdReach table (startup founders, unsourced): first 40 %, first.last 25 %, firstlast 15 %,
 *   flast 10 %, first_last 5 %, last 3 %, last.first 2 %.
 * - Informal survey of ~59 business contacts: flast 27, first.last 16, first 6.
 * - Toofr's doc example also lists first-last, first_last, firstlast, first.last, flast, firstl,
 *   last (an ordering, not a statistic).
 * B2B lookups are the use case, so first.last leads, flast is second (large in the survey), first
 * third (large for startups); the long tail gets small shares so every pattern can be tried.
 * The lead may refit these against a benchmark; keep them summing to 100 for readability
 * (they are normalised anyway).
 */
export const PATTERN_PRIOR_SHARES: Readonly<Record<Pattern, number>> = {
  '{first}.{last}': 32,
  '{f}{last}': 20,
  '{first}': 13,
  '{first}{last}': 9,
  '{f}.{last}': 5,
  '{first}_{last}': 3,
  '{first}{l}': 3,
  '{first}.{l}': 2,
  '{last}': 2,
  '{last}.{first}': 2,
  '{first}-{last}': 1.5,
  '{last}{f}': 1.5,
  '{f}{m}{last}': 1,
  '{last}{first}': 1,
  '{last}_{first}': 0.5,
  '{f}{l}': 0.5,
  '{last}.{f}': 0.5,
  '{f}_{last}': 0.5,
  '{first}.{m}.{last}': 0.5,
  '{f}.{m}.{last}': 0.3,
  '{f}-{last}': 0.3,
  '{last}-{first}': 0.2,
  '{first}_{l}': 0.2,
  '{l}{first}': 0.1,
};

/**
 * How many observed addresses the global prior is worth. Small on purpose: a company almost
 * always has one pattern, so the first verified address there should outweigh the worldwide
 * statistics. With 1, one observation of `{f}{last}` lifts it from 20 % to 60 % (first.last falls
 * to 16 %); three observations lift it to 80 %; twenty to 96 %.
 *
 * Fitted on the engine benchmark (docs/benchmarks.md, "Engine"): with 4, three known addresses at
 * a catch-all domain made their pattern only ~45–65 % likely, while it was the right pattern for
 * 98 % of the people there, and learned guesses scored ~40 where 85 % of them were right. 1 takes
 * about half of that gap; score.ts's `priorSharpness` the rest.
 */
export const PRIOR_STRENGTH = 1;

/**
 * A `{m}` pattern for a person whose middle initial we don't know: if they have none, companies
 * usually fall back to the same pattern without it (`{f}{m}{last}` → `{f}{last}`); if they have
 * one we can't guess it. Half of the pattern's probability goes to the fallback address.
 */
export const MIDDLE_FALLBACK_SHARE = 0.5;

const PRIOR_TOTAL = Object.values(PATTERN_PRIOR_SHARES).reduce((a, b) => a + b, 0);
const PATTERN_ORDER = new Map<string, number>(PATTERNS.map((p, i) => [p, i]));

export function isKnownPattern(p: string): p is Pattern {
  return PATTERN_ORDER.has(p);
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/** One spelling of a person's name, as patterns consume it. */
export interface NameVariant {
  first?: string;
  last?: string;
  middleInitial?: string;
}

const TOKEN = /\{([a-z]+)\}/g;
const LOCAL_OK = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/**
 * The local part `pattern` makes for `name`, or undefined when the pattern needs a part the
 * name lacks (`{last}` for "Madonna", `{m}` with no middle initial), uses an unknown token, or
 * would make an unusable local part (empty, over 64 characters, `..`, leading/trailing `.`/`-`).
 */
export function renderPattern(pattern: string, name: NameVariant): string | undefined {
  let missing = false;
  const local = pattern.replace(TOKEN, (_, token: string) => {
    const value = tokenValue(token, name);
    if (value === undefined) missing = true;
    return value ?? '';
  });
  if (missing) return undefined;
  if (local.length === 0 || local.length > 64 || !LOCAL_OK.test(local) || /[._-]{2}/.test(local)) return undefined;
  return local;
}

function tokenValue(token: string, n: NameVariant): string | undefined {
  switch (token) {
    case 'first':
      return n.first || undefined;
    case 'last':
      return n.last || undefined;
    case 'f':
      return n.first ? n.first[0] : undefined;
    case 'l':
      return n.last ? n.last[0] : undefined;
    case 'm':
      return n.middleInitial ? n.middleInitial[0] : undefined;
    default:
      return undefined;
  }
}

function tokensOf(pattern: string): Set<string> {
  return new Set([...pattern.matchAll(TOKEN)].map((m) => m[1]));
}

/** `{f}{m}{last}` → `{f}{last}`, `{f}.{m}.{last}` → `{f}.{last}`. */
function withoutMiddle(pattern: string): string {
  return pattern.replace(/\{m\}[._-]?/, '');
}

// ---------------------------------------------------------------------------------------------
// Inference from known addresses
// ---------------------------------------------------------------------------------------------

/** One pattern that explains an address, with its share of the explanation (shares sum to 1). */
export interface PatternMatch {
  pattern: Pattern;
  share: number;
}

/**
 * Which patterns turn this person's name into this address, each with a share: the prior of the
 * pattern times the weights of the spellings that produce it, normalised. An address with one
 * explanation gets share 1; "j@acme.com" for "J Doe" is both `{first}` and `{f}`-style patterns
 * and the shares split. Learning code can add `share` to each pattern's count. Empty when no
 * pattern explains the address (a nickname we don't know, digits, a different person).
 */
export function inferPatternMatches(name: ParsedName, email: string): PatternMatch[] {
  const parsed = parseEmail(email);
  const local = (parsed?.local ?? email.split('@')[0] ?? '').toLowerCase().split('+')[0];
  if (!local) return [];
  const firsts: (Variant | undefined)[] = name.firsts.length ? name.firsts : [undefined];
  const lasts: (Variant | undefined)[] = name.lasts.length ? name.lasts : [undefined];

  const scores = new Map<Pattern, number>();
  for (const pattern of PATTERNS) {
    let best = 0;
    for (const f of firsts) {
      for (const l of lasts) {
        const r = renderPattern(pattern, { first: f?.value, last: l?.value, middleInitial: name.middleInitial });
        if (r === local) best = Math.max(best, (f?.weight ?? 1) * (l?.weight ?? 1));
      }
    }
    if (best > 0) scores.set(pattern, best * PATTERN_PRIOR_SHARES[pattern]);
  }
  const total = [...scores.values()].reduce((a, b) => a + b, 0);
  return [...scores]
    .map(([pattern, s]) => ({ pattern, share: s / total }))
    .sort((a, b) => b.share - a.share || order(a.pattern) - order(b.pattern));
}

/** The patterns that produce `email` for this person, most plausible first (see `inferPatternMatches`). */
export function inferPatterns(name: ParsedName, email: string): Pattern[] {
  return inferPatternMatches(name, email).map((m) => m.pattern);
}

// ---------------------------------------------------------------------------------------------
// Posterior and ranking
// ---------------------------------------------------------------------------------------------

/** Learned counts for one domain: pattern → number of addresses seen (may be fractional). */
export type LearnedCounts = Readonly<Record<string, number>>;

function cleanCount(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * Posterior probability of each pattern at a domain, given its learned counts. Patterns learned
 * at the domain but not in `PATTERNS` (e.g. `{last}{first}{m}`) get `n / (strength + N)`, so an
 * exotic pattern the company really uses can still lead. Entries sum to 1.
 */
export function patternPosterior(learnedCounts: LearnedCounts = {}, strength: number = PRIOR_STRENGTH): Map<string, number> {
  const counts = Object.entries(learnedCounts).map(([p, n]) => [p, cleanCount(n)] as const);
  const observed = counts.reduce((a, [, n]) => a + n, 0);
  const denom = strength + observed;
  const post = new Map<string, number>();
  for (const p of PATTERNS) {
    post.set(p, (strength * PATTERN_PRIOR_SHARES[p]) / PRIOR_TOTAL / denom);
  }
  for (const [p, n] of counts) {
    if (n > 0) post.set(p, (post.get(p) ?? 0) + n / denom);
  }
  return post;
}

/** The most probable pattern at a domain and its probability (for `/toofr pattern`). */
export function topPattern(learnedCounts: LearnedCounts = {}): { pattern: string; probability: number } {
  let best = { pattern: PATTERNS[0] as string, probability: 0 };
  for (const [pattern, probability] of patternPosterior(learnedCounts)) {
    if (probability > best.probability + 1e-12) best = { pattern, probability };
  }
  return best;
}

export interface RankOptions {
  /** Return at most this many candidates (all by default). */
  limit?: number;
  /** Override PRIOR_STRENGTH (for calibration experiments). */
  priorStrength?: number;
}

/** Spelling weights → probabilities (they sum to 1 over a part's spellings). */
function normalise(variants: Variant[]): { value: string | undefined; p: number }[] {
  const total = variants.reduce((a, v) => a + v.weight, 0);
  return variants.length && total > 0 ? variants.map((v) => ({ value: v.value, p: v.weight / total })) : [];
}

/**
 * Every candidate address for this person at `domain`, most probable first. `prior` on each is
 * its probability before any SMTP check: the pattern posterior at the domain times the
 * probability of the spellings used, summed over all ways of making the same address. The list
 * sums to at most 1 — less when some patterns can't be rendered (no surname, unknown middle).
 * `pattern` is the pattern that contributes most to the address.
 */
export function rankCandidates(
  name: ParsedName,
  domain: string,
  learnedCounts: LearnedCounts = {},
  options: RankOptions = {},
): Candidate[] {
  const d = domain.toLowerCase().replace(/\.$/, '');
  const post = patternPosterior(learnedCounts, options.priorStrength ?? PRIOR_STRENGTH);
  const firsts = normalise(name.firsts);
  const lasts = normalise(name.lasts);
  // Initial-only patterns ({f}{last}, {f}.{last}…) take only the spellings that start like the
  // person's own first name, or ones the user wrote: an unstated table nickname with another
  // initial (Patricia → Trish: tjackson@) names someone else at least as often as this person,
  // and a server's 250 cannot tell whose mailbox it is.
  const own = name.firsts[0]?.value[0];
  const firstsForInitial = normalise(name.firsts.filter((v) => v.value[0] === own || v.weight >= NAME_WEIGHTS.statedNickname));
  const one = [{ value: undefined, p: 1 }];

  type Acc = { prob: number; pattern: string; best: number };
  const byEmail = new Map<string, Acc>();
  const add = (local: string, pattern: string, p: number): void => {
    if (p <= 0) return;
    const email = `${local}@${d}`;
    const acc = byEmail.get(email) ?? { prob: 0, pattern, best: 0 };
    acc.prob += p;
    if (p > acc.best + 1e-12 || (Math.abs(p - acc.best) <= 1e-12 && order(pattern) < order(acc.pattern))) {
      acc.best = p;
      acc.pattern = pattern;
    }
    byEmail.set(email, acc);
  };

  for (const [pattern, pp] of post) {
    const tokens = tokensOf(pattern);
    if (tokens.size === 0) continue;
    const usesFirst = tokens.has('first') || tokens.has('f');
    const usesLast = tokens.has('last') || tokens.has('l');
    const initialOnly = tokens.has('f') && !tokens.has('first');
    const fs = !usesFirst ? one : initialOnly ? firstsForInitial : firsts;
    const ls = usesLast ? lasts : one;
    // A `{m}` pattern without a known middle initial: part of its mass goes to the fallback.
    const middleMissing = tokens.has('m') && !name.middleInitial;
    const renderAs = middleMissing ? withoutMiddle(pattern) : pattern;
    const mass = middleMissing ? pp * MIDDLE_FALLBACK_SHARE : pp;
    for (const f of fs) {
      for (const l of ls) {
        const local = renderPattern(renderAs, { first: f.value, last: l.value, middleInitial: name.middleInitial });
        if (local !== undefined) add(local, renderAs, mass * f.p * l.p);
      }
    }
  }

  const list = [...byEmail]
    .map(([email, a]) => ({ email, pattern: a.pattern, prior: round(a.prob) }))
    .sort((a, b) => b.prior - a.prior || order(a.pattern) - order(b.pattern) || a.email.localeCompare(b.email));
  return options.limit !== undefined ? list.slice(0, Math.max(0, options.limit)) : list;
}

function order(pattern: string): number {
  return PATTERN_ORDER.get(pattern) ?? PATTERNS.length;
}

/** Nine decimals: stable output without visible float noise; rounding down keeps the sum ≤ 1. */
function round(n: number): number {
  return Math.floor(n * 1e9) / 1e9;
}
