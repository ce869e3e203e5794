/**
 * The confidence score: 0–100, made of additive parts that explain it (design.md §2.6).
 *
 * The core is a probability, not a points table: confidence = 100 × P(this is the person's
 * address), so that "of answers scored 80, about 80 % are right" can hold once the constants
 * below are calibrated on a benchmark. The probability is built in steps, and each step's part
 * is how many points that step moved it:
 *
 *   1. pattern       — the candidate's probability from the pattern ranker (prior + learned
 *                      addresses at the domain, and the spelling of the name), sharpened
 *                      (`sharpenPrior`) and renormalised over the candidates not rejected;
 *   2. smtp          — the mail server's answer, as a likelihood ratio on the odds, with floors
 *                      and ceilings for what a server's answer can and cannot prove ("mailbox
 *                      full" counts as proof that the mailbox exists);
 *   3. provider      — providers whose "250 OK" is weak (Microsoft 365, Yahoo) take some back;
 *   4. accept_all    — a domain that accepts every address confirms nothing;
 *   5. mail_servers  — MX found (no change), only an A record (down), no mail at all (to 0);
 *   6. webmail / role / disposable — penalties.
 *
 * This keeps the spirit of Toofr's published score (mail-server test weighted most, then
 * pattern evidence, then MX, then catch-all; anchors-email.md §3.4) while its parts still add up
 * to an honest probability. The parts always sum exactly to `confidence`.
 *
 * Calibration is measured by `npm run bench:engine` (docs/benchmarks.md, "Engine"): answers are
 * grouped in 10-point bands and each band's mean confidence is compared with how often its
 * answers were right. The constants marked "benchmark" below were fitted there (with
 * PRIOR_STRENGTH in patterns.ts); the others are priors from the literature that the benchmark's
 * mail world does not exercise (weak providers, webmail, role, disposable, blocked or greylisted
 * servers that never answer) and are left as reasoned.
 */
import type { Flag, ScorePart, Verification } from './types.ts';
import type { MailProvider } from './domain.ts';
import { WEAK_ACCEPT_PROVIDERS } from './domain.ts';

/**
 * What the MX lookup found: MX records, none but an A record (RFC 5321 §5.1), or no mail at all.
 * The finer statuses of dns.ts's `MailStatus` are accepted as they are: `null_mx`, `nxdomain`
 * and `no_mail` mean `none`; `error` (SERVFAIL, timeout) changes nothing, since nothing is known.
 */
export type MxStatus = 'ok' | 'a_fallback' | 'none' | 'null_mx' | 'nxdomain' | 'no_mail' | 'error';

/**
 * Every weight in one place, for calibration against a benchmark. Likelihood ratios (LR)
 * multiply the odds p/(1-p); factors multiply the probability; MIN/MAX bound it.
 */
export const SCORE_WEIGHTS = {
  /** Starting probability for an address the user gave (verify), which no pattern backs. */
  givenAddressPrior: 0.5,
  /**
   * Without any address learned at the domain, pattern evidence alone never exceeds this: the
   * worldwide prior is at most about a third for any pattern, and a name can't make it certain.
   */
  priorOnlyMax: 0.5,
  /** Pattern evidence alone never exceeds this, however many addresses were learned. */
  patternMax: 0.95,
  /**
   * The ranker's candidate probabilities (patterns.ts: pattern posterior × spelling weights, each
   * a cautious guess, multiplied as if independent) come out too flat: on the benchmark the top
   * candidate was right far more often than its share said (a hyphenated first name's joined
   * spelling got half its pattern's mass and was the right one nearly every time). Before scoring,
   * each candidate's prior is raised to this power and renormalised over the same candidates
   * (`sharpenPrior`): temperature scaling, the usual one-parameter calibration of a categorical
   * forecast. 1 = the ranker's numbers as they are; the order of the candidates never changes.
   * Benchmark: 1.5. At 1.3, learned guesses for names with several spellings scored 20–35 points
   * under their accuracy; at 1.7, prior-only guesses (whose pattern really is uncertain) scored
   * 5–9 points over theirs.
   */
  priorSharpness: 1.5,

  /** 250 to the real address, and the random probe was rejected: strong evidence. */
  validLr: 1000,
  /**
   * …and at least this probable: Toofr measured < 5 % bounces for a positive mail-server test on
   * a domain that is not catch-all (anchors-email.md §3.4); Reacher's "safe" is < 2 %.
   */
  validMin: 0.95,
  /** …but not above this: the mailbox may be another person's (jane@ for a different Jane). */
  validMax: 0.99,
  /** 250, but the catch-all probe was inconclusive (4xx, timeout): many domains accept all. */
  validUnprobedLr: 3,
  validUnprobedMax: 0.9,
  /**
   * Microsoft 365 and Yahoo may say 250 and bounce later (anchors-email.md §3.1, §5.3–4): their
   * yes counts for this much of the usual LR, and the floor does not apply.
   */
  weakProviderLrFactor: 0.02,

  /** 5.1.x "no such user". */
  invalidLr: 0.001,
  invalidMax: 0.02,

  /** No answer we can use (greylisting, 5.7.x block, timeout): at most this, whatever the pattern. */
  unknownMax: 0.7,
  /**
   * "Mailbox full" (4.2.2 / 5.2.2): not deliverable now, so the verification stays `unknown`, but
   * the server spoke about one existing mailbox, which is as strong as a 250 for "this is the
   * address" (the same LR and floor as a valid address). Capped lower than a valid address: a
   * mailbox that fills up may be one nobody reads any more (the person left). Benchmark: every one
   * of the 40–60 full-inbox answers per run was the person's address.
   */
  fullInboxMax: 0.9,

  /**
   * On an accept-all domain even the right pattern may not be a live mailbox (people leave,
   * aliases differ), and nothing confirms it. Benchmark: 0.85 fits (0.8 and 0.9 both did worse);
   * 14–18 % of the people asked about at its catch-all domains did not work there.
   */
  acceptAllFactor: 0.85,

  /** Only an A record: real mail domains rarely rely on the implicit MX. */
  aFallbackLr: 0.5,
  /** Null MX / NXDOMAIN: the domain takes no mail. */
  noMailFactor: 0,

  /** Free webmail: the address may well belong to another person of the same name. */
  webmailFactor: 0.5,
  /** A role address (info@, sales@) is not a person's own address (finding a person). */
  roleFactor: 0.3,
  /**
   * Verifying a given role address: it is deliverable, but often a list or shared inbox that may
   * not reach one person. (Webmail is no penalty when verifying: the address exists as given.)
   */
  verifyRoleFactor: 0.9,
  /** A disposable-address service. */
  disposableFactor: 0.05,
  /**
   * The address exists but is probably another person's (engine.ts `possibleNamesake`): the
   * person's own address under the domain's learned pattern was refused. Reasoned, not fitted:
   * the benchmark has one or two such answers per seed, every one wrong.
   */
  namesakeFactor: 0.2,
} as const;

export interface ScoreInput {
  /** The verification of the chosen address. */
  verification: Verification;
  /** Whether the domain accepts every address: false = rejects unknown users, null = not known. */
  acceptAll: boolean | null;
  /**
   * The candidate's probability from the pattern ranker (`Candidate.prior`, 0–1). Leave it out
   * for an address the user gave (verify), which is not a guess.
   */
  probability?: number;
  /** How many learned addresses at the domain back the candidate's pattern (0 = prior only). */
  observations?: number;
  /** For the explanations. */
  pattern?: string | null;
  domain?: string | null;
  mx: MxStatus;
  provider?: MailProvider;
  flags?: readonly Flag[];
  /**
   * The server said the chosen address's mailbox exists but cannot take mail now (full inbox).
   * Only read with verification `unknown`.
   */
  mailboxExists?: boolean;
  /** The address exists but probably belongs to someone else (a namesake). */
  namesake?: boolean;
  /**
   * `find`: is this *the person's* address (role and webmail addresses count against it).
   * `verify`: is this given address deliverable. Default: `verify` when `probability` is left out.
   */
  purpose?: 'find' | 'verify';
}

export interface Score {
  confidence: number;
  parts: ScorePart[];
}

/**
 * A candidate's prior as scoring weighs it (see `SCORE_WEIGHTS.priorSharpness`). The probability
 * given to `scoreAnswer` is then `sharpenPrior(chosen) / Σ sharpenPrior(c)` over every candidate
 * the name allows that the server did not reject.
 */
export function sharpenPrior(prior: number): number {
  return Number.isFinite(prior) && prior > 0 ? prior ** SCORE_WEIGHTS.priorSharpness : 0;
}

/** The natural core of the score: a probability as points, clamped to 0–100. */
export function probabilityToPoints(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.round(100 * Math.min(1, Math.max(0, p)));
}

const clamp01 = (p: number): number => (Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 0);

/** Multiply the odds by `lr`. */
function withLr(p: number, lr: number): number {
  if (p >= 1) return 1;
  if (p <= 0) return 0;
  const odds = (p / (1 - p)) * lr;
  return odds / (1 + odds);
}

const pct = (p: number): string => `${Math.round(100 * p)}%`;

/** Confidence 0–100 for an answer, with the parts that explain it (they sum to `confidence`). */
export function scoreAnswer(input: ScoreInput): Score {
  const W = SCORE_WEIGHTS;
  const domain = input.domain || 'this domain';
  const flags = new Set(input.flags ?? []);
  const weakProvider = input.provider !== undefined && WEAK_ACCEPT_PROVIDERS.has(input.provider);
  const providerName = input.provider === 'microsoft365' ? 'Microsoft 365' : input.provider === 'yahoo' ? 'Yahoo' : 'this provider';

  const parts: ScorePart[] = [];
  let shown = 0; // points so far, so each part is a difference of rounded totals and they add up
  let p = 0;
  const step = (part: string, next: number, why: string): void => {
    p = clamp01(next);
    const points = probabilityToPoints(p) - shown;
    shown += points;
    parts.push({ part, points, why });
  };

  // 1. Pattern evidence.
  const obs = Math.max(0, input.observations ?? 0);
  if (input.probability === undefined) {
    step('pattern', W.givenAddressPrior, 'the address was given, not guessed from a pattern');
  } else {
    const raw = clamp01(input.probability);
    const capped = Math.min(raw, obs > 0 ? W.patternMax : W.priorOnlyMax);
    const pattern = input.pattern ?? 'this pattern';
    const why =
      obs > 0
        ? `${pattern} matches ${formatCount(obs)} known address${obs === 1 ? '' : 'es'} at ${domain}: ${pct(capped)} likely before asking the server`
        : `nothing learned at ${domain} yet; ${pattern} for this name is ${pct(capped)} likely from patterns seen worldwide`;
    step('pattern', capped, why);
  }

  // 2–4. What the mail server said.
  const v = input.verification;
  const acceptsAll = v === 'accept_all' || (input.acceptAll === true && v !== 'invalid');
  const before = p; // the pattern evidence, before the server's answer
  if (v === 'valid' && input.acceptAll === false) {
    const strong = Math.min(W.validMax, Math.max(W.validMin, withLr(p, W.validLr)));
    step('smtp', strong, `the mail server accepted this address and rejects addresses that don't exist`);
    if (weakProvider) {
      step('provider', Math.min(W.validMax, withLr(before, W.validLr * W.weakProviderLrFactor)), `${providerName} sometimes accepts addresses it later bounces, so its yes is weaker evidence`);
    }
  } else if (v === 'valid' && input.acceptAll === null) {
    step('smtp', Math.min(W.validUnprobedMax, withLr(before, W.validUnprobedLr)), `the mail server accepted this address, but we could not tell whether it accepts every address`);
    if (weakProvider) {
      step('provider', Math.min(W.validUnprobedMax, withLr(before, Math.max(1, W.validUnprobedLr * W.weakProviderLrFactor))), `${providerName} sometimes accepts addresses it later bounces, so its yes is weaker evidence`);
    }
  } else if (v === 'invalid') {
    step('smtp', Math.min(W.invalidMax, withLr(p, W.invalidLr)), 'the mail server said this address does not exist');
  } else if (v === 'unknown' && input.namesake) {
    step('smtp', Math.min(W.validMax, Math.max(W.validMin, withLr(before, W.validLr))), 'the mail server accepted this address and rejects addresses that don\'t exist');
    step('namesake', p * W.namesakeFactor, 'but the domain\'s usual address for this name was refused, so this mailbox is probably someone else\'s with a similar name');
  } else if (v === 'unknown' && input.mailboxExists) {
    step('smtp', Math.min(W.fullInboxMax, Math.max(W.validMin, withLr(before, W.validLr))), `the mail server says this mailbox exists but is full: it is a real address, though mail to it bounces for now`);
  } else if (v === 'unknown') {
    step('smtp', Math.min(W.unknownMax, p), `the mail server gave no usable answer (busy, greylisting or blocking us), so at most ${pct(W.unknownMax)}`);
  } else {
    step('smtp', p, `the mail server accepts every address, so its yes proves nothing`);
  }
  if (acceptsAll) {
    step('accept_all', p * W.acceptAllFactor, `${domain} accepts all addresses: nothing confirms this mailbox exists`);
  }

  // 5. Mail servers. If a server already confirmed the mailbox, what DNS said no longer matters.
  const confirmed = v === 'valid' && input.acceptAll === false;
  if (input.mx === 'none' || input.mx === 'null_mx' || input.mx === 'nxdomain' || input.mx === 'no_mail') {
    const why =
      input.mx === 'nxdomain' ? `${domain} does not exist`
      : input.mx === 'null_mx' ? `${domain} says it takes no mail (null MX)`
      : `${domain} takes no mail (no usable MX or A record)`;
    step('mail_servers', confirmed ? p : p * W.noMailFactor, why);
  } else if (input.mx === 'error') {
    step('mail_servers', p, `the DNS lookup for ${domain} failed, so its mail servers are not known`);
  } else if (input.mx === 'a_fallback') {
    step('mail_servers', confirmed ? p : withLr(p, W.aFallbackLr), `${domain} has no MX record; mail would go to its A record, which few real mail domains rely on`);
  } else {
    step('mail_servers', p, `${domain} has mail servers (MX records)`);
  }

  // 6. Flags.
  const finding = (input.purpose ?? (input.probability === undefined ? 'verify' : 'find')) === 'find';
  if (flags.has('disposable')) step('disposable', p * W.disposableFactor, 'a disposable-address service');
  if (flags.has('role')) {
    step(
      'role',
      p * (finding ? W.roleFactor : W.verifyRoleFactor),
      finding ? 'a role address (like info@ or sales@), not a person’s own' : 'a role address (like info@ or sales@): often a shared inbox',
    );
  }
  if (flags.has('webmail') && finding) {
    step('webmail', p * W.webmailFactor, 'a free webmail address: it may belong to someone else with the same name');
  }

  return { confidence: shown, parts };
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
