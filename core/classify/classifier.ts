/**
 * Industry + "is it an agency" from homepage text (issue 7, research §2 and §5).
 *
 * Two hand-rolled multinomial naive Bayes models over word unigrams and bigrams, trained at start-up
 * from the labelled corpus in `data/train/` (422 lines: ~40 ms, ~110 ms with the agency fit):
 *
 * - Why naive Bayes, hand-rolled: research measured it level with logistic regression and with
 *   sentence embeddings on top-1 (87 % vs 90 % vs 78 % on NAICS text), 0.2 ms per document, no
 *   weights to ship or download, and ~60 lines. The npm options were worse (natural: 31 %, 77 MB)
 *   or only as good and 5× slower (wink). It also learns from very few examples per class, which
 *   is where this corpus is today. Character n-grams (which help with typos and compounds) are a
 *   possible addition once the corpus is large enough to measure whether they pay.
 * - Agency is its own model, combined with the industry: agency words ("our clients",
 *   "case studies") also appear on law firms and consultancies, and "agency" itself on insurance,
 *   travel and estate agencies, none of which a sales team means by "agency" (marketing,
 *   advertising, digital, creative, PR, recruiting). So the agency probability is the NB log-odds
 *   plus phrase signals plus a gate from the industry distribution: strong for marketing and
 *   staffing, neutral for IT services and media, against everything else. The three are weighted
 *   by a small logistic regression fitted at start-up on out-of-fold scores (fitAgencyWeights).
 *
 * Probabilities are NB posteriors tempered by document length (raw NB is near 0/1 on anything
 * longer than a sentence). They rank well but are not calibrated; calibrating them against a
 * labelled held-out set is future work (see docs when the bench lands).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { INDUSTRIES, INDUSTRY_IDS, isIndustryId, type IndustryId, type IndustryOrUnknown } from './taxonomy.ts';
import type { PageText } from './html-text.ts';

export interface LabelledExample {
  text: string;
  industry: IndustryId;
  agency: boolean;
}

export interface IndustryScore {
  industry: IndustryId;
  name: string;
  naics: string | null;
  probability: number;
}

export interface CompanyClassification {
  industry: IndustryOrUnknown;
  industry_name: string;
  naics: string | null;
  /** Probability of `industry` (0 for unknown with nothing to read). */
  confidence: number;
  /** Best three classes with probabilities, even when `industry` is unknown. */
  top3: IndustryScore[];
  is_agency: boolean;
  agency_confidence: number;
  /** Why: the words that weighed most for the industry, and the agency signals found. */
  evidence: string[];
}

export const TRAIN_DIR = new URL('./data/train/', import.meta.url);

/** Below this top-1 probability the answer is `unknown` (the top3 still says what it looked like). */
export const UNKNOWN_BELOW = 0.3;
/** Fewer known features than this: nothing to judge by (empty page, other language, parked domain). */
const MIN_KNOWN_FEATURES = 3;

/** One example per line; `#` starts a comment line; `[agency] ` marks an agency. File name = class id. */
export function parseCorpusFile(industry: IndustryId, content: string): LabelledExample[] {
  const out: LabelledExample[] = [];
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const agency = line.startsWith('[agency]');
    out.push({ industry, agency, text: agency ? line.slice('[agency]'.length).trim() : line });
  }
  return out;
}

export function loadCorpus(dir: URL = TRAIN_DIR): LabelledExample[] {
  const out: LabelledExample[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.txt')) continue;
    const id = file.slice(0, -4);
    if (!isIndustryId(id)) throw new Error(`classification corpus: ${file} is not named after an industry id (see core/classify/taxonomy.ts); rename or remove it`);
    out.push(...parseCorpusFile(id, readFileSync(new URL(file, dir), 'utf8')));
  }
  return out;
}

// Function words carry no industry; "our", "clients", "work" are deliberately NOT here (agency signals).
const STOP = new Set(
  ('a an and are as at be by for from has have in into is it its of on or that the their this to was were will with we you your ' +
    'us all can get more new now one out up any how what who why when where also just than then them they these those our ours')
    .split(' '),
);

// Words ending in -s that are not plurals ("news" is not "new", "logistics" not "logistic").
const NOT_PLURAL = new Set(['news', 'series', 'species', 'logistics', 'analytics', 'physics', 'economics', 'electronics', 'athletics', 'ethics', 'graphics', 'robotics', 'aerospace', 'always', 'perhaps']);

function stem(w: string): string {
  if (NOT_PLURAL.has(w)) return w;
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 3 && w.endsWith('s') && !/(ss|us|is)$/.test(w)) return w.slice(0, -1);
  return w;
}

/** Lower-case ASCII words, stop words dropped, light plural stemming. */
export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((w) => w.length >= 2 && !STOP.has(w) && !/^\d+$/.test(w))
    .map(stem);
}

/** Unigrams and bigrams with sublinear counts (1 + ln tf): a word repeated 30 times in a footer should not outvote the title. */
export function featurize(text: string): Map<string, number> {
  const toks = tokenize(text);
  const tf = new Map<string, number>();
  const add = (f: string) => tf.set(f, (tf.get(f) ?? 0) + 1);
  for (let i = 0; i < toks.length; i++) {
    add(toks[i]!);
    if (i + 1 < toks.length) add(`${toks[i]} ${toks[i + 1]}`);
  }
  for (const [f, n] of tf) tf.set(f, 1 + Math.log(n));
  return tf;
}

/** The text a page is judged by: title and description count twice (they say what the company is). */
export function pageDocument(page: PageText): string {
  const head = [page.title, page.description].filter(Boolean).join(' | ');
  return [head, head, page.headings.join(' | '), page.links.join(' | '), page.jsonLdTypes.join(' '), page.text].filter(Boolean).join(' | ');
}

interface NbModel {
  classes: string[];
  /** log P(feature | class), per class. */
  logp: Map<string, number>[];
  /** log P(unseen feature | class): the smoothing mass, used for features other classes have. */
  unseen: number[];
  vocab: Set<string>;
}

function trainNb(docs: { features: Map<string, number>; label: string }[], classes: string[], alpha: number): NbModel {
  const counts = classes.map(() => new Map<string, number>());
  const totals = classes.map(() => 0);
  const vocab = new Set<string>();
  for (const d of docs) {
    const c = classes.indexOf(d.label);
    for (const [f, w] of d.features) {
      counts[c]!.set(f, (counts[c]!.get(f) ?? 0) + w);
      totals[c]! += w;
      vocab.add(f);
    }
  }
  const V = vocab.size;
  const logp = counts.map((m, c) => {
    const denom = Math.log(totals[c]! + alpha * V);
    const out = new Map<string, number>();
    for (const [f, n] of m) out.set(f, Math.log(n + alpha) - denom);
    return out;
  });
  const unseen = totals.map((t) => Math.log(alpha) - Math.log(t + alpha * V));
  return { classes, logp, unseen, vocab };
}

/** Per-class log-likelihood of the known features (uniform prior: the corpus class sizes are ours, not the world's). */
function nbScores(m: NbModel, features: Map<string, number>): { scores: number[]; known: [string, number][] } {
  const scores = m.classes.map(() => 0);
  const known: [string, number][] = [];
  for (const [f, w] of features) {
    if (!m.vocab.has(f)) continue;
    known.push([f, w]);
    for (let c = 0; c < scores.length; c++) scores[c]! += w * (m.logp[c]!.get(f) ?? m.unseen[c]!);
  }
  return { scores, known };
}

function softmax(xs: number[]): number[] {
  const max = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/**
 * NB posteriors are near 0/1 for anything but a sentence, because it adds up every word as if
 * independent evidence. Scores are divided by a length factor so confidence means something:
 * √weight/2 for snippet-length text (fitted on the held-out set, ECE ~1.5 points), and for longer
 * text weight/LONG_TEXT_WEIGHT, so a whole homepage — whose nav, footer and sections keep
 * repeating one topic — is as sure as a snippet with the same balance of words, not 10× surer.
 * Without it every real homepage came out at confidence 1.000 with nothing in second place, and
 * the "unknown" threshold could never trigger on a full page.
 */
const LONG_TEXT_WEIGHT = 8;
function temper(scores: number[], knownWeight: number): number[] {
  const t = Math.max(1, Math.sqrt(knownWeight) / 2, knownWeight / LONG_TEXT_WEIGHT);
  return scores.map((s) => s / t);
}

const round = (x: number) => Math.round(x * 1000) / 1000;

// Agency phrase signals (research §4), matched on normalised text. Each is [label, pattern].
const AGENCY_FOR: [string, RegExp][] = [
  ['"agency"', /\bagency\b/],
  // Not "studio apartments", "yoga studio" or a recording/photo studio selling to the public.
  ['"studio"', /\b(?<!(yoga|dance|fitness|pilates|tattoo|recording|photo|hair|nail) )studio\b(?! (apartment|flat|suite|room|class|session)s?\b)/],
  ['"our work" / "selected work"', /\b(our|selected|see our) work\b/],
  ['"case studies"', /\bcase stud(y|ies)\b/],
  ['"our clients" / "clients include"', /\b(our clients|clients include|client testimonials|for our clients)\b/],
  // A nav "Portfolio" or "our portfolio", not an investor's "portfolio companies" or a "portfolio review".
  ['"portfolio" / "showreel"', /\bshowreel\b|\bportfolio\b(?! (compan(y|ies)|management|review|manager|investment|loan|propert(y|ies)|of (properties|brands|funds)))/],
  ['"start a project"', /\b(start a project|let s talk|get a quote|free audit)\b/],
  ['"full-service"', /\bfull service\b/],
  ['"for employers" / "for candidates"', /\bfor (employers|candidates|clinicians|facilities)\b/],
  ['"submit your cv"', /\b(submit|upload) your (cv|resume)\b|\bregister as a\b/],
  ['recruiting words', /\b(recruitment|recruiters?|staffing|executive search|placements?|locum)\b/],
  ['"media buying" / "public relations"', /\b(media buying|public relations|media relations|influencer marketing|paid social)\b/],
  ['"brands"', /\b(for brands|help brands|consumer brands|ambitious brands)\b/],
];
const AGENCY_AGAINST: [string, RegExp][] = [
  ['"pricing"', /\b(?<!(weight|wholesale|volume|transfer|fair|competitive) )pricing\b/],
  ['"free trial" / "sign up"', /\b(free trial|start trial|start free|sign up|free plan|no credit card)\b/],
  ['"demo"', /\b(book|request|get) a demo\b/],
  // "integration" alone is also consultancy and systems-integrator talk; the plural is product talk.
  ['"api" / "integrations"', /\b(api|apis|sdks?|integrations|webhooks)\b/],
  ['"platform" / "software"', /\b(platform|software|saas|app)\b/],
  ['"add to cart"', /\b(add to cart|shop now|checkout)\b/],
  ['"job board"', /\bjob board\b/],
];

/** How much an industry allows "agency": marketing and staffing are where agencies live. */
const AGENCY_GATE: Partial<Record<IndustryId, number>> = {
  marketing_advertising: 2,
  staffing_recruiting: 2,
  it_services: 0,
  media_entertainment: 0,
  software: -2,
};
const GATE_OTHER = -4;

/** What the agency decision is made of, for one document. */
interface AgencyInputs {
  /** Agency-vs-other NB log-odds, tempered like the industry scores and clipped to ±6. */
  logOdds: number;
  /** Agency phrase signals found minus product signals found. */
  signals: number;
  /** Expected industry gate under the industry distribution (AGENCY_GATE). */
  gate: number;
  forHits: string[];
  againstHits: string[];
}

function agencyInputs(industry: NbModel, agency: NbModel, features: Map<string, number>, text: string): AgencyInputs {
  const ind = nbScores(industry, features);
  const weight = ind.known.reduce((a, [, w]) => a + w, 0);
  const probs = softmax(temper(ind.scores, weight));
  let gate = 0;
  probs.forEach((p, i) => (gate += p * (AGENCY_GATE[INDUSTRY_IDS[i]!] ?? GATE_OTHER)));
  const a = nbScores(agency, features);
  const logOdds = Math.max(-6, Math.min(6, (a.scores[0]! - a.scores[1]!) / Math.max(1, Math.sqrt(weight) / 2)));
  const norm = ` ${tokenizeLoose(text)} `;
  const forHits = AGENCY_FOR.filter(([, re]) => re.test(norm)).map(([l]) => l);
  const againstHits = AGENCY_AGAINST.filter(([, re]) => re.test(norm)).map(([l]) => l);
  return { logOdds, signals: forHits.length - againstHits.length, gate, forHits, againstHits };
}

/** Weights of logOdds, signals, gate, and the bias. */
type AgencyWeights = [number, number, number, number];

/**
 * Fits how the three agency inputs combine (logistic regression), on inputs computed out-of-fold:
 * the NB models that score a document never saw it, else its log-odds would be near-certain and
 * the fit would learn to trust them blindly. 5 folds, deterministic, plain gradient descent with
 * a little L2 — 3 weights and ~400 rows take a few milliseconds.
 */
function fitAgencyWeights(docs: { e: LabelledExample; features: Map<string, number> }[], alpha: number): AgencyWeights {
  const K = 5;
  const rows: { x: [number, number, number]; y: number }[] = [];
  for (let k = 0; k < K; k++) {
    const train = docs.filter((_, i) => i % K !== k);
    const test = docs.filter((_, i) => i % K === k);
    const ind = trainNb(train.map((d) => ({ features: d.features, label: d.e.industry })), [...INDUSTRY_IDS], alpha);
    const ag = trainNb(train.map((d) => ({ features: d.features, label: d.e.agency ? 'agency' : 'other' })), ['agency', 'other'], alpha);
    for (const d of test) {
      const a = agencyInputs(ind, ag, d.features, d.e.text);
      rows.push({ x: [a.logOdds, a.signals, a.gate], y: d.e.agency ? 1 : 0 });
    }
  }
  const w: AgencyWeights = [0.5, 0.5, 0.5, 0];
  const lambda = 0.01;
  for (let iter = 0; iter < 800; iter++) {
    const g = [0, 0, 0, 0];
    for (const r of rows) {
      const z = w[0] * r.x[0] + w[1] * r.x[1] + w[2] * r.x[2] + w[3];
      const err = 1 / (1 + Math.exp(-z)) - r.y;
      g[0]! += err * r.x[0];
      g[1]! += err * r.x[1];
      g[2]! += err * r.x[2];
      g[3]! += err;
    }
    for (let j = 0; j < 4; j++) w[j] = w[j]! - 0.1 * (g[j]! / rows.length + (j < 3 ? lambda * w[j]! : 0));
  }
  return w;
}

export interface Classifier {
  classify(input: PageText | string | undefined): CompanyClassification;
  /** Training time and size, for logs and the bench. */
  info: { examples: number; agencyExamples: number; vocabulary: number; trainMs: number; agencyWeights: AgencyWeights };
}

export function trainClassifier(examples: LabelledExample[], opts: { alpha?: number } = {}): Classifier {
  const started = performance.now();
  const alpha = opts.alpha ?? 0.3;
  const docs = examples.map((e) => ({ e, features: featurize(e.text) }));
  const industry = trainNb(docs.map((d) => ({ features: d.features, label: d.e.industry })), [...INDUSTRY_IDS], alpha);
  const agency = trainNb(docs.map((d) => ({ features: d.features, label: d.e.agency ? 'agency' : 'other' })), ['agency', 'other'], alpha);
  const aw = fitAgencyWeights(docs, alpha);
  const trainMs = performance.now() - started;

  function unknown(evidence: string[], top3: IndustryScore[] = []): CompanyClassification {
    return { industry: 'unknown', industry_name: INDUSTRIES.unknown.name, naics: null, confidence: 0, top3, is_agency: false, agency_confidence: 0, evidence };
  }

  return {
    info: { examples: examples.length, agencyExamples: examples.filter((e) => e.agency).length, vocabulary: industry.vocab.size, trainMs, agencyWeights: aw.map(round) as AgencyWeights },
    classify(input) {
      const text = input === undefined ? '' : typeof input === 'string' ? input : pageDocument(input);
      const features = featurize(text);
      const { scores, known } = nbScores(industry, features);
      if (known.length < MIN_KNOWN_FEATURES) return unknown(['too little recognisable text on the homepage']);
      const weight = known.reduce((a, [, w]) => a + w, 0);
      const probs = softmax(temper(scores, weight));
      const order = probs.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
      const top3: IndustryScore[] = order.slice(0, 3).map(([p, i]) => {
        const id = INDUSTRY_IDS[i]!;
        return { industry: id, name: INDUSTRIES[id].name, naics: INDUSTRIES[id].naics, probability: round(p) };
      });
      const [bestP, bestI] = order[0]!;
      const best = INDUSTRY_IDS[bestI]!;

      // Evidence: known features that favour the winner most over the average of the others.
      const evidence: string[] = [];
      const contrib = known
        .filter(([f]) => !f.includes(' ') || industry.logp[bestI]!.has(f))
        .map(([f, w]) => {
          const mine = industry.logp[bestI]!.get(f) ?? industry.unseen[bestI]!;
          let others = 0;
          for (let c = 0; c < INDUSTRY_IDS.length; c++) if (c !== bestI) others += industry.logp[c]!.get(f) ?? industry.unseen[c]!;
          return [f, w * (mine - others / (INDUSTRY_IDS.length - 1))] as const;
        })
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5);
      if (contrib.length) evidence.push(`industry words: ${contrib.map(([f]) => `"${f}"`).join(', ')}`);

      // Agency: NB log-odds + phrase signals + industry gate, weighted as fitted at training;
      // schema.org types are rare in a hand-written corpus, so their weight is set by hand.
      const { logOdds, signals, gate, forHits, againstHits } = agencyInputs(industry, agency, features, text);
      const jsonLd = typeof input === 'object' ? input.jsonLdTypes : [];
      const schemaFor = jsonLd.some((t) => /EmploymentAgency|AdvertisingAgency|MarketingAgency/i.test(t));
      const schemaAgainst = jsonLd.some((t) => /SoftwareApplication|WebApplication|Product|Store/i.test(t));
      const z = aw[0] * logOdds + aw[1] * signals + aw[2] * gate + aw[3] + (schemaFor ? 2 : 0) - (schemaAgainst ? 1.5 : 0);
      const pAgency = 1 / (1 + Math.exp(-z));
      if (forHits.length || schemaFor) evidence.push(`agency signals: ${[...forHits, ...(schemaFor ? ['schema.org agency type'] : [])].join(', ')}`);
      if (againstHits.length || schemaAgainst) evidence.push(`product signals: ${[...againstHits, ...(schemaAgainst ? ['schema.org product type'] : [])].join(', ')}`);

      const isUnknown = bestP < UNKNOWN_BELOW;
      if (isUnknown) evidence.push(`no class is likely enough (best ${INDUSTRIES[best].name} at ${round(bestP)} < ${UNKNOWN_BELOW})`);
      return {
        industry: isUnknown ? 'unknown' : best,
        industry_name: INDUSTRIES[isUnknown ? 'unknown' : best].name,
        naics: isUnknown ? null : INDUSTRIES[best].naics,
        confidence: round(bestP),
        top3,
        is_agency: pAgency >= 0.5,
        agency_confidence: round(pAgency),
        evidence,
      };
    },
  };
}

/** Lower-case words with punctuation as spaces, for phrase matching ("let's talk" → "let s talk"). */
function tokenizeLoose(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ');
}

let shared: Classifier | undefined;
/** The classifier trained on the repository corpus, trained once on first use. */
export function defaultClassifier(): Classifier {
  shared ??= trainClassifier(loadCorpus());
  return shared;
}
