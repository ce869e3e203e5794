/**
 * Scoring the engine's answers against the mail world's ground truth: precision and recall of
 * `valid`, top-1 on catch-all domains, calibration by confidence band, and what a naive checker
 * (one SMTP session per candidate) would have spent on the same people.
 *
 * Definitions (printed by the benchmark and written up in docs/benchmarks.md):
 *  - an answer is *right* when its address equals the person's real address (case-insensitive);
 *    an answer for a person who does not work there, or with another address, is wrong;
 *  - calibration covers every answer that names an address (the number is "the chance this
 *    address is the person's"). Answers with no address (not found, no mail, bad input) carry
 *    confidence 0 and are reported on their own: right when the person truly has no deliverable
 *    address there (a stranger, a disabled mailbox, a domain that takes no mail).
 */
import { MAX_CANDIDATES } from '../../core/engine/engine.ts';
import type { Candidate, ScorePart } from '../../core/engine/types.ts';
import { parseName } from '../../core/engine/names.ts';
import { rankCandidates } from '../../core/engine/patterns.ts';
import { seededRandom, type Person, type WorldDomain } from '../mailworld/index.ts';
import { CATCH_ALL, REACHABLE, REJECTING } from './engine-world.ts';

export interface Answer {
  email: string | null;
  confidence: number;
  verification: string | null;
  status: string;
  pattern: string | null;
  /** Kept for --dump (calibration work). */
  parts?: ScorePart[];
  candidates?: Candidate[];
  accept_all?: boolean | null;
}

export interface Scored {
  person: Person;
  domain: WorldDomain;
  answer: Answer;
  right: boolean;
}

export function score(people: readonly Person[], answers: readonly Answer[], domains: Map<string, WorldDomain>): Scored[] {
  return people.map((person, i) => {
    const answer = answers[i]!;
    const domain = domains.get(person.domain.toLowerCase())!;
    const right = answer.email !== null && person.email !== null && answer.email.toLowerCase() === person.email.toLowerCase();
    return { person, domain, answer, right };
  });
}

export const rejecting = (s: Scored) => REJECTING.has(s.domain.behaviour) && REACHABLE.has(s.domain.dns);
export const catchAll = (s: Scored) => CATCH_ALL.has(s.domain.behaviour) && REACHABLE.has(s.domain.dns);

export interface ValidFigures {
  /** Answers verified `valid`, and how many of them are the person's address. */
  valid: number;
  validRight: number;
  /** People with a live mailbox at a domain that rejects unknown users, and how many were answered `valid` with it. */
  findable: number;
  found: number;
  /** The findable people who were missed, for the report. */
  missed: Scored[];
  wrongValid: Scored[];
}

export function validFigures(all: readonly Scored[]): ValidFigures {
  const validAnswers = all.filter((s) => s.answer.verification === 'valid');
  const findable = all.filter((s) => rejecting(s) && s.person.mailbox === 'active');
  const found = findable.filter((s) => s.right && s.answer.verification === 'valid');
  return {
    valid: validAnswers.length,
    validRight: validAnswers.filter((s) => s.right).length,
    findable: findable.length,
    found: found.length,
    missed: findable.filter((s) => !(s.right && s.answer.verification === 'valid')),
    wrongValid: validAnswers.filter((s) => !s.right),
  };
}

/** Top-1 on catch-all domains: employees only (a stranger has no address to get right). */
export function topOne(all: readonly Scored[]): { people: number; right: number } {
  const employees = all.filter((s) => catchAll(s) && s.person.email !== null);
  return { people: employees.length, right: employees.filter((s) => s.right).length };
}

export interface Band {
  lo: number;
  hi: number;
  n: number;
  meanConfidence: number;
  /** Observed accuracy, 0–100. */
  observed: number;
  gap: number;
}

/** Bands with fewer answers than this are shown but left out of the mean gap (too noisy to judge). */
export const MIN_BAND = 20;

export interface Calibration {
  bands: Band[];
  /** Unweighted mean |confidence − observed| over bands with ≥ MIN_BAND answers. */
  meanGap: number;
  /** The same, weighted by answers (expected calibration error, in points). */
  weightedGap: number;
  answered: number;
  /** Answers without an address. */
  noAddress: number;
  noAddressRight: number;
}

export function calibration(all: readonly Scored[]): Calibration {
  const withAddress = all.filter((s) => s.answer.email !== null);
  const bands: Band[] = [];
  for (let b = 0; b < 10; b++) {
    const lo = b * 10;
    const hi = b === 9 ? 100 : lo + 9;
    const inBand = withAddress.filter((s) => Math.min(9, Math.floor(s.answer.confidence / 10)) === b);
    if (!inBand.length) continue;
    const meanConfidence = inBand.reduce((a, s) => a + s.answer.confidence, 0) / inBand.length;
    const observed = (100 * inBand.filter((s) => s.right).length) / inBand.length;
    bands.push({ lo, hi, n: inBand.length, meanConfidence, observed, gap: Math.abs(meanConfidence - observed) });
  }
  const judged = bands.filter((b) => b.n >= MIN_BAND);
  const noAddress = all.filter((s) => s.answer.email === null);
  const noneThere = (s: Scored) => s.person.email === null || s.person.mailbox === 'disabled' || !REACHABLE.has(s.domain.dns);
  return {
    bands,
    meanGap: judged.length ? judged.reduce((a, b) => a + b.gap, 0) / judged.length : Number.NaN,
    weightedGap: withAddress.length ? bands.reduce((a, b) => a + b.gap * b.n, 0) / withAddress.length : Number.NaN,
    answered: withAddress.length,
    noAddress: noAddress.length,
    noAddressRight: noAddress.filter(noneThere).length,
  };
}

/**
 * A naive checker on the same people: candidates from the global prior (it learns nothing), each
 * in a session of its own (connect, greet, EHLO, MAIL, one RCPT, QUIT), in rank order until the
 * server accepts one — the first on a catch-all domain, the real address on an honest one, all
 * of them for a stranger or a disabled mailbox. Only people at domains with a reachable MX count;
 * greylisting re-tries are not counted for it (they are for Toofr), which flatters it.
 */
export function naiveCost(all: readonly Scored[]): { records: number; connections: number; rcpts: number } {
  let connections = 0;
  let rcpts = 0;
  let records = 0;
  for (const s of all) {
    if (!REACHABLE.has(s.domain.dns)) continue;
    const parsed = parseName({ first: s.person.first, last: s.person.last });
    if (!parsed.ok) continue;
    records++;
    const ranked = rankCandidates(parsed.name, s.domain.domain, {}, { limit: MAX_CANDIDATES });
    let asked: number;
    if (CATCH_ALL.has(s.domain.behaviour)) asked = Math.min(1, ranked.length);
    else {
      const at = s.person.email && s.person.mailbox === 'active' ? ranked.findIndex((c) => c.email === s.person.email!.toLowerCase()) : -1;
      asked = at >= 0 ? at + 1 : ranked.length;
    }
    rcpts += asked;
    connections += asked;
  }
  return { records, connections, rcpts };
}

/**
 * What chance alone does to the mean band gap: each answer is drawn right with probability
 * confidence/100 (a perfectly calibrated score), 500 times; median and 90th percentile.
 */
export function calibrationNoiseFloor(all: readonly Scored[], seed: number): { median: number; p90: number } {
  const rng = seededRandom(seed * 7919 + 1);
  const bands = calibration(all).bands.filter((b) => b.n >= MIN_BAND);
  const members = bands.map((b) => all.filter((s) => s.answer.email !== null && Math.min(9, Math.floor(s.answer.confidence / 10)) === b.lo / 10));
  const gaps: number[] = [];
  for (let draw = 0; draw < 500; draw++) {
    let sum = 0;
    members.forEach((xs, i) => {
      const right = xs.filter((s) => rng() < s.answer.confidence / 100).length;
      sum += Math.abs(bands[i]!.meanConfidence - (100 * right) / xs.length);
    });
    gaps.push(sum / Math.max(1, members.length));
  }
  gaps.sort((a, b) => a - b);
  return { median: gaps[250]!, p90: gaps[450]! };
}
