/**
 * The engine: from a name and a company, the most likely address, verified as far as the mail
 * server lets us, with an explainable confidence (design.md §2). It implements the `Enricher`
 * the pipeline and single lookups use.
 *
 *   input → name spellings + mail domain → ranked candidates (learned patterns over a prior)
 *         → mail servers (cached in Postgres and memory) → one polite SMTP session: RCPT in rank
 *           order, stop at the first proven address, catch-all probe once per domain
 *         → score → learn the domain's pattern from every proven address
 */
import type { Settings } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { EnrichContext, Enricher } from '../enricher.ts';
import type { Candidate, FindAnswer, FindInput, PatternAnswer, Verification, VerifyAnswer } from './types.ts';
import { createDnsResolver, type DnsResolver, type MailHosts } from './dns.ts';
import { createVerifier, type DomainCheck, type Verifier } from './verifier.ts';
import { createDomainStore, type DomainStore } from './domain-store.ts';
import { checkFindInput, readFindInput } from './input.ts';
import { flagsFor, isDisposable, isWebmail, mailProviderOf, parseEmail, resolveCompanyDomain } from './domain.ts';
import { inferPatternMatches, patternPosterior, rankCandidates, topPattern, type LearnedCounts } from './patterns.ts';
import { hasUmlauts, parseName, umlautStyleIn, type NameInput, type ParsedName, type UmlautStyle } from './names.ts';
import { scoreAnswer, sharpenPrior } from './score.ts';

/**
 * Candidates put to the server at most, per person. It used to be 10, a plain cut of the ranked
 * list: that never reached `{first}-{last}` or `{last}{f}` (ranks 11–12 for a one-spelling name,
 * and design.md §2.2 lists both), and a name with several spellings (Müller/Mueller,
 * Jean-Luc/Jean) filled the ten with spellings of three or four patterns. A domain that uses one
 * of the cut patterns could then never be found, so never learned either. See `selectCandidates`.
 */
export const MAX_CANDIDATES = 16;

/**
 * Every pattern at least this likely at the domain (posterior, patterns.ts) gets its best
 * spelling asked, whatever the cap does to the rest. With nothing learned that is the twelve
 * patterns with a prior share ≥ 1.5 % (design.md §2.2's list plus `{first}.{l}`); once a domain's
 * pattern is learned, the unlikely ones drop out and fewer addresses are asked.
 */
export const MIN_PATTERN_SHARE = 0.0125;

/**
 * Past the patterns above, further candidates are asked only while the ones left unasked still
 * hold at least this share of the name's probability. With nothing learned that share stays
 * large and the cap decides; once a domain's pattern is learned, the rest of the list is worth
 * almost nothing, and a person who does not work there (every candidate refused) costs a few
 * RCPTs instead of sixteen: fewer probes, and less like a directory-harvest to the server.
 */
export const UNASKED_MASS_STOP = 0.02;

export interface EngineDeps {
  pool: Pool;
  settings: Pick<Settings, 'dns' | 'smtp'>;
  log: Logger;
  /** Injected in tests; built from the settings otherwise. */
  dns?: DnsResolver;
  verifier?: Verifier;
}

export interface Engine extends Enricher {
  /** Teaches a domain its pattern from a known (name, address) pair; returns the patterns credited. */
  /**
   * Teaches a domain its pattern from a known (name, address) pair; returns the patterns credited.
   * With the name as written (`cells`), also how the domain spells umlauts.
   */
  learnAddress(name: ParsedName, email: string, cells?: NameInput): Promise<string[]>;
  store: DomainStore;
  close(): Promise<void>;
}

export function createEngine(deps: EngineDeps): Engine {
  const { pool, settings, log } = deps;
  const allowReserved = settings.smtp.allowPrivate;
  const store = createDomainStore(pool);
  const rawDns =
    deps.dns ?? createDnsResolver({ servers: settings.dns.servers, timeoutMs: Math.min(5000, settings.smtp.timeoutMs), allowPrivate: settings.smtp.allowPrivate, log });

  // Mail servers are looked up once per TTL for every worker process: Postgres first, then DNS.
  // Within one lookup the answer is asked for twice (the engine, then the verifier): a short
  // in-process memo spares the second trip to Postgres, and is short enough that another
  // process's fresher answer is seen within a minute.
  const memo = new Map<string, { mail: MailHosts; until: number }>();
  const remember = (mail: MailHosts) => {
    if (memo.size >= 10_000) memo.delete(memo.keys().next().value!);
    memo.set(mail.domain, { mail, until: Date.now() + Math.min(60, mail.ttlSeconds) * 1000 });
  };
  const dns: DnsResolver = {
    async resolveMailHosts(domain) {
      const hit = memo.get(domain);
      if (hit && hit.until > Date.now()) return hit.mail;
      const facts = await store.get(domain);
      const mail = facts.mail ?? (await rawDns.resolveMailHosts(domain));
      if (!facts.mail) await store.saveMail(mail);
      if (mail.status !== 'error') remember(mail);
      return mail;
    },
    clearCache: (domain) => {
      if (domain) memo.delete(domain);
      else memo.clear();
      rawDns.clearCache(domain);
    },
  };
  const verifier = deps.verifier ?? createVerifier({ settings: settings.smtp, dns, log });

  async function learnAddress(name: ParsedName, email: string, cells?: NameInput): Promise<string[]> {
    const parsed = parseEmail(email);
    if (!parsed) return [];
    const matches = inferPatternMatches(name, parsed.email);
    await store.learn(parsed.domain, matches);
    const style = cells ? umlautStyleIn(cells, parsed.local) : undefined;
    if (style) await store.learnSpelling(parsed.domain, style);
    return matches.map((m) => m.pattern);
  }

  async function find(input: FindInput, _ctx: EnrichContext): Promise<FindAnswer> {
    const read = readFindInput(input, { allowReserved });
    if (!read.ok) return empty({ status: 'bad_input', reason: read.reason, domain: read.domain ?? null });
    if (read.kind === 'verify') return fromVerify(await verify(read.email, _ctx));

    const { name, domain } = read;
    // An address already in the user's file is checked first: if the server does not reject it,
    // it is the answer (and, proven, teaches the domain its pattern); if it does, we guess.
    const given = input.email?.trim() ? parseEmail(input.email) : undefined;
    if (!given) return guess(name, domain, input);
    const v = await verify(given.email, _ctx);
    if (v.verification !== 'invalid') {
      const a = fromVerify(v);
      a.pattern = inferPatternMatches(name, given.email)[0]?.pattern ?? null;
      if (v.verification === 'valid' && v.accept_all === false) await learnAddress(name, given.email, input);
      return a;
    }
    const a = await guess(name, domain, input);
    const rejected = `the address given, ${given.email}, was rejected (${v.reason})`;
    a.reason = a.reason ? `${rejected}; ${a.reason}` : rejected;
    return a;
  }

  /** The guess: candidates in rank order, put to the mail server, scored. */
  async function guess(parsedName: ParsedName, domain: string, cells: NameInput): Promise<FindAnswer> {
    if (isWebmail(domain) || isDisposable(domain)) {
      const what = isWebmail(domain) ? 'a webmail provider' : 'a disposable-address service';
      return empty({ status: 'not_found', domain, reason: `${domain} is ${what}: a person's address there cannot be guessed. Give the company's own domain.` });
    }

    const facts = await store.get(domain);
    if (facts.mail && facts.mail.status !== 'error') remember(facts.mail);
    // Müller as mueller first where the domain writes umlauts that way (or is German-speaking).
    const expand = hasUmlauts(cells) && prefersUmlautExpansion(domain, facts.spelling);
    const reparsed = expand ? parseName(cells, { preferUmlautExpansion: true }) : undefined;
    const name = reparsed?.ok ? reparsed.name : parsedName;
    const all = rankCandidates(name, domain, facts.patternCounts);
    const ranked = selectCandidates(all, facts.patternCounts);
    if (!ranked.length) return empty({ status: 'bad_input', domain, reason: 'no address can be built from this name' });
    // The probability mass of every address this name could have, asked or not: a candidate's
    // probability after the server rejected some is its share of what is left of *this*, not of
    // the few we asked (see `answer`).
    const mass = all.reduce((sum, c) => sum + sharpenPrior(c.prior), 0);

    const mail = await dns.resolveMailHosts(domain);
    const mx = mail.hosts.map((h) => h.exchange);
    if (mail.status === 'no_mail' && mail.refused?.length) {
      // We refused its hosts (private ranges, design.md §2.5, ALLOW_PRIVATE_MX off): the domain may
      // well take mail, we just will not connect there. That is "we could not check", not
      // "the domain takes no mail" (the verifier reads it the same way: unknown, not invalid).
      return empty({ status: 'unknown', domain, candidates: ranked, reason: mail.reason ?? `${domain}'s mail servers are in private address ranges; refused` });
    }
    if (mail.status === 'nxdomain' || mail.status === 'null_mx' || mail.status === 'no_mail') {
      return empty({ status: 'no_mail', domain, mx, candidates: ranked, reason: mail.reason ?? `${domain} takes no mail` });
    }
    if (mail.status === 'error') {
      // dns.ts's reason already says "DNS lookup failed (…); try again later".
      return answer({ ranked, mass, chosen: ranked[0]!, verification: 'unknown', acceptAll: facts.acceptAll, mail, facts: facts.patternCounts, domain, status: 'rechecking', reason: mail.reason ?? 'DNS lookup failed; try again later', retryAfter: 300, retryKind: 'unavailable' });
    }

    // A domain known to accept every address: SMTP cannot tell candidates apart, so we spare the
    // server the probes and answer from the pattern evidence alone.
    if (facts.acceptAll === true) {
      return answer({ ranked, mass, chosen: ranked[0]!, verification: 'accept_all', acceptAll: true, mail, facts: facts.patternCounts, domain, status: 'found' });
    }

    const check = await verifier.checkDomain(domain, ranked.map((c) => c.email), { stopAtFirstValid: true, knownAcceptAll: facts.acceptAll });
    if (check.acceptAll !== null && check.acceptAll !== facts.acceptAll) await store.saveAcceptAll(domain, check.acceptAll);
    const byEmail = new Map(check.results.map((r) => [r.email, r]));
    let disabled: Candidate | undefined;
    for (const c of ranked) {
      const r = byEmail.get(c.email);
      if (r && r.kind !== 'not_checked') {
        c.verification = r.verification;
        c.reply = r.reply;
        if (r.kind === 'disabled') disabled ??= c;
      }
    }

    const valid = ranked.find((c) => c.verification === 'valid');
    // A greylisting server may already know a lower-ranked address (someone else's, asked for
    // another person) while it defers the ones above it: that 250 is not this person's answer
    // until the deferred candidates have been asked again.
    const deferredAbove = valid && check.temporary
      ? ranked.slice(0, ranked.indexOf(valid)).find((c) => ['greylisted', 'temporary', 'rate_limited'].includes(byEmail.get(c.email)?.kind ?? ''))
      : undefined;
    if (deferredAbove) {
      return answer({ ranked, mass, chosen: deferredAbove, verification: 'unknown', acceptAll: check.acceptAll, mail, facts: facts.patternCounts, domain, status: 'rechecking', reason: check.temporary!.reason, retryAfter: check.temporary!.retryAfterSeconds, retryKind: check.temporary!.kind, check });
    }
    const namesake = valid && check.acceptAll === false ? possibleNamesake(ranked, valid, facts.patternCounts) : undefined;
    if (valid && namesake) {
      // The mailbox exists, but it is most likely someone else's: not proof, and nothing to learn.
      return answer({ ranked, mass, chosen: valid, verification: 'unknown', acceptAll: false, mail, facts: facts.patternCounts, domain, status: 'found', reason: namesake, check, namesake: true });
    }
    if (valid) {
      // Only a domain that rejects unknown users proves an address, so only then do we learn from it.
      if (check.acceptAll === false) await learnAddress(name, valid.email, cells);
      return answer({ ranked, mass, chosen: valid, verification: 'valid', acceptAll: false, mail, facts: facts.patternCounts, domain, status: 'found', check });
    }
    if (disabled && check.acceptAll !== true) {
      // The person's address exists and is switched off: undeliverable, and the user should hear
      // exactly that rather than "rejected".
      return empty({ status: 'not_found', domain, mx, candidates: ranked, accept_all: check.acceptAll, reason: `${disabled.email} exists but is disabled (${disabled.reply ?? '5.2.1'})` });
    }
    const alive = ranked.filter((c) => c.verification !== 'invalid');
    if (check.acceptAll === true) {
      return answer({ ranked, mass, chosen: alive[0] ?? ranked[0]!, verification: 'accept_all', acceptAll: true, mail, facts: facts.patternCounts, domain, status: 'found', check });
    }
    if (!alive.length) {
      return empty({ status: 'not_found', domain, mx, candidates: ranked, accept_all: check.acceptAll, reason: `the mail server rejected all ${ranked.length} likely addresses` });
    }
    // Nothing conclusive (greylisted, blocked, timed out): the best guess among the addresses not
    // ruled out, scored as a guess.
    const status = check.temporary ? 'rechecking' : 'unknown';
    const why = check.temporary?.reason ?? check.reason ?? alive[0]!.reply ?? 'the mail server gave no clear answer';
    return answer({ ranked, mass, chosen: alive[0]!, verification: 'unknown', acceptAll: check.acceptAll, mail, facts: facts.patternCounts, domain, status, reason: why, retryAfter: check.temporary?.retryAfterSeconds, retryKind: check.temporary?.kind, check });
  }

  async function verify(emailInput: string, _ctx: EnrichContext): Promise<VerifyAnswer> {
    const parsed = parseEmail(emailInput);
    if (!parsed) {
      return { email: emailInput, verification: 'invalid', flags: [], reason: 'not a valid email address', mx: [], accept_all: null, confidence: 0, score_parts: [] };
    }
    const { email, domain } = parsed;
    const flags = flagsFor(email);
    const facts = await store.get(domain);
    const check = await verifier.checkDomain(domain, [email], { stopAtFirstValid: true, knownAcceptAll: facts.acceptAll });
    if (check.acceptAll !== null && check.acceptAll !== facts.acceptAll) await store.saveAcceptAll(domain, check.acceptAll);
    const r = check.results[0]!;
    let verification: Verification = r.verification;
    if (verification === 'valid' && check.acceptAll === true) verification = 'accept_all';
    const score = scoreAnswer({
      verification,
      acceptAll: check.acceptAll,
      domain,
      mx: check.mailStatus,
      provider: mailProviderOf(check.mx),
      flags,
      purpose: 'verify',
    });
    const out: VerifyAnswer = {
      email, verification, flags, reason: r.reply || check.reason || r.kind, mx: check.mx, accept_all: check.acceptAll,
      confidence: score.confidence, score_parts: score.parts,
    };
    if (check.temporary && verification === 'unknown') out.retry_after_seconds = check.temporary.retryAfterSeconds;
    return out;
  }

  async function pattern(domainInput: string, _ctx: EnrichContext): Promise<PatternAnswer> {
    const d = resolveCompanyDomain(domainInput, { allowReserved });
    if (!d.ok) return { domain: domainInput, pattern: null, evidence: [], accept_all: null, mx: [], reason: d.reason };
    const facts = await store.get(d.domain);
    const mail = await dns.resolveMailHosts(d.domain);
    const evidence = Object.entries(facts.patternCounts)
      .map(([p, count]) => ({ pattern: p, count: Math.round(count * 100) / 100 }))
      .filter((e) => e.count > 0)
      .sort((a, b) => b.count - a.count);
    const out: PatternAnswer = { domain: d.domain, pattern: evidence[0]?.pattern ?? null, evidence, accept_all: facts.acceptAll, mx: mail.hosts.map((h) => h.exchange) };
    if (!evidence.length) out.reason = `nothing learned about ${d.domain} yet: find a few people there, or import known addresses with \`toofr learn known.csv\``;
    if (mail.status !== 'ok' && mail.status !== 'a_fallback') out.reason = mail.reason ?? `${d.domain} takes no mail`;
    return out;
  }

  return {
    find,
    verify,
    pattern,
    checkInput: (input) => checkFindInput(input, { allowReserved }),
    learnAddress,
    store,
    close: () => verifier.close(),
  };
}

/**
 * The candidates to put to the server, in rank order: the best spelling of every pattern that is
 * reasonably likely at this domain (MIN_PATTERN_SHARE), then the most probable of the rest, up to
 * MAX_CANDIDATES. `all` is rankCandidates' full list, most probable first.
 */
export function selectCandidates(all: Candidate[], learned: LearnedCounts): Candidate[] {
  const posterior = patternPosterior(learned);
  const take = new Set<Candidate>();
  const covered = new Set<string>();
  for (const c of all) {
    if (covered.has(c.pattern) || (posterior.get(c.pattern) ?? 0) < MIN_PATTERN_SHARE) continue;
    covered.add(c.pattern);
    take.add(c);
  }
  const total = all.reduce((sum, c) => sum + c.prior, 0);
  let unasked = total - [...take].reduce((sum, c) => sum + c.prior, 0);
  for (const c of all) {
    if (take.size >= MAX_CANDIDATES || unasked < UNASKED_MASS_STOP * total) break;
    if (take.has(c)) continue;
    take.add(c);
    unasked -= c.prior;
  }
  return all.filter((c) => take.has(c));
}

interface AnswerArgs {
  ranked: Candidate[];
  /** Sum of the sharpened priors (score.ts sharpenPrior) of every candidate the name allows, asked or not. */
  mass: number;
  chosen: Candidate;
  verification: Verification;
  acceptAll: boolean | null;
  mail: MailHosts;
  facts: LearnedCounts;
  domain: string;
  status: FindAnswer['status'];
  reason?: string;
  retryAfter?: number;
  retryKind?: FindAnswer['retry_kind'];
  check?: DomainCheck;
  /** The chosen address exists but is probably another person's (see `possibleNamesake`). */
  namesake?: boolean;
}

/** Country-code domains of German-speaking countries, where Müller is usually mueller@. */
const GERMAN_SPEAKING_TLDS = new Set(['de', 'at', 'ch', 'li']);

/**
 * Whether to rank the ae/oe/ue spelling first: what the domain's own addresses show, when they
 * show anything (a company writes every Müller the same way); else whether it is a German-speaking
 * country's domain (DIN 5007-2 spellings are the norm in German corporate addresses).
 */
export function prefersUmlautExpansion(domain: string, spelling: Partial<Record<UmlautStyle, number>>): boolean {
  const expand = spelling.expand ?? 0;
  const plain = spelling.plain ?? 0;
  if (expand !== plain) return expand > plain;
  return GERMAN_SPEAKING_TLDS.has(domain.slice(domain.lastIndexOf('.') + 1));
}

/** Learned addresses a pattern needs, and the share of them, before it can overrule a 250. */
const NAMESAKE_MIN_OBSERVATIONS = 3;
const NAMESAKE_MIN_SHARE = 0.8;

/** What a pattern's addresses look like, whoever they belong to: {last} → /^[a-z]{2,}$/. */
function patternShape(pattern: string): RegExp {
  const body = pattern
    .split(/(\{[a-z]+\})/)
    .map((part) => (part === '{first}' || part === '{last}' ? '[a-z]{2,}' : /^\{[a-z]\}$/.test(part) ? '[a-z]' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * A 250 for a lower-ranked candidate after the domain's own pattern was refused for this person
 * is usually a namesake: William Smith-Jones asked at a `{last}` domain, `william.smithjones@`
 * style candidates refused, then `williams@` (as `{first}{l}`) accepted — Ms Williams's mailbox.
 * The server cannot say whose mailbox it is, so we look at the shape: when the domain's pattern
 * is well learned, its address for this person was asked and refused, and the accepted address
 * is also what that pattern would make for some other name, the answer is "exists, probably not
 * theirs". An address the learned pattern could not have made (a real exception, like a
 * colleague's clash suffix or a new format) is not touched. Returns the reason, or undefined.
 */
export function possibleNamesake(ranked: readonly Candidate[], accepted: Candidate, learned: LearnedCounts): string | undefined {
  const top = topPattern(learned);
  if (top.pattern === accepted.pattern || top.probability < NAMESAKE_MIN_SHARE) return undefined;
  const observations = learned[top.pattern] ?? 0;
  if (observations < NAMESAKE_MIN_OBSERVATIONS) return undefined;
  // Its spellings asked before the accepted one (those ranked below were never asked).
  const own = ranked.slice(0, Math.max(0, ranked.indexOf(accepted))).filter((c) => c.pattern === top.pattern);
  if (!own.length || own.some((c) => c.verification !== 'invalid')) return undefined;
  const local = accepted.email.slice(0, accepted.email.lastIndexOf('@'));
  if (!patternShape(top.pattern).test(local)) return undefined;
  return `${accepted.email} exists, but it is probably another person's: ${top.pattern} is the pattern of ${Math.round(observations)} known addresses at this domain, and ${own[0]!.email} was refused`;
}

function answer(a: AnswerArgs): FindAnswer {
  // Candidates the server rejected are out; the chosen one's probability is its share of what is
  // left. What is left includes the addresses we never asked (past the cap): normalising over the
  // asked list alone inflated every guess — 2× for a name with many spellings on a catch-all
  // domain, where nothing is rejected and the asked list holds half the mass.
  // Priors are sharpened first (score.ts, SCORE_WEIGHTS.priorSharpness: calibrated on the benchmark).
  const rejected = a.ranked.filter((c) => c.verification === 'invalid').reduce((s, c) => s + sharpenPrior(c.prior), 0);
  const remaining = a.mass - rejected;
  const probability = remaining > 0 ? Math.min(1, sharpenPrior(a.chosen.prior) / remaining) : a.chosen.prior;
  const mx = a.mail.hosts.map((h) => h.exchange);
  const flags = flagsFor(a.chosen.email);
  const score = scoreAnswer({
    verification: a.verification,
    acceptAll: a.acceptAll,
    probability,
    observations: a.facts[a.chosen.pattern] ?? 0,
    pattern: a.chosen.pattern,
    domain: a.domain,
    // The finer status as it is: score.ts reads `error` (SERVFAIL, timeout) as "nothing known".
    // Folding it into `none` ("takes no mail") scored every DNS failure 0.
    mx: a.mail.status,
    provider: mailProviderOf(mx),
    flags,
    purpose: 'find',
    // "Mailbox full" (4.2.2 / 5.2.2) is about one existing mailbox: evidence the address is real.
    mailboxExists: a.check?.results.some((r) => r.email === a.chosen.email && r.kind === 'full_inbox') ?? false,
    namesake: a.namesake,
  });
  const out: FindAnswer = {
    email: a.chosen.email,
    confidence: score.confidence,
    verification: a.verification,
    pattern: a.chosen.pattern,
    score_parts: score.parts,
    candidates: a.ranked,
    domain: a.domain,
    accept_all: a.acceptAll,
    mx,
    flags,
    status: a.status,
  };
  if (a.reason) out.reason = a.reason;
  if (a.retryAfter) out.retry_after_seconds = a.retryAfter;
  if (a.retryAfter && a.retryKind) out.retry_kind = a.retryKind;
  return out;
}

function empty(p: Partial<FindAnswer> & Pick<FindAnswer, 'status'>): FindAnswer {
  return {
    email: null, confidence: 0, verification: 'unknown', pattern: null, score_parts: [], candidates: [], domain: null,
    accept_all: null, mx: [], flags: [], ...p,
  };
}

function fromVerify(v: VerifyAnswer): FindAnswer {
  const status: FindAnswer['status'] =
    v.verification === 'invalid' ? 'not_found' : v.retry_after_seconds ? 'rechecking' : v.verification === 'unknown' ? 'unknown' : 'found';
  const out: FindAnswer = {
    email: v.verification === 'invalid' ? null : v.email,
    confidence: v.confidence,
    verification: v.verification,
    pattern: null,
    score_parts: v.score_parts,
    candidates: [{ email: v.email, pattern: 'given', prior: 1, verification: v.verification, reply: v.reason }],
    domain: v.email.split('@')[1] ?? null,
    accept_all: v.accept_all,
    mx: v.mx,
    flags: v.flags,
    status,
    reason: v.reason,
  };
  if (v.retry_after_seconds) out.retry_after_seconds = v.retry_after_seconds;
  return out;
}
