/**
 * Scores a classifier on labelled examples it never trained on (`data/heldout/`): top-1, top-3,
 * per class, a confusion table, agency precision/recall and time per page. The unit tests hold the
 * issue's targets against it; `npm run bench:classify` prints it for docs/benchmarks.md.
 */
import { loadCorpus, type Classifier, type LabelledExample } from './classifier.ts';
import { INDUSTRY_IDS } from './taxonomy.ts';

export const HELDOUT_DIR = new URL('./data/heldout/', import.meta.url);

/** The held-out pages (same format as the training files). */
export function loadHeldout(dir: URL = HELDOUT_DIR): LabelledExample[] {
  return loadCorpus(dir);
}

export interface Evaluation {
  n: number;
  top1: number;
  top3: number;
  /** Share answered `unknown` (counted as wrong in top1). */
  unknown: number;
  agency: { tp: number; fp: number; fn: number; tn: number; precision: number; recall: number };
  perClass: Record<string, { n: number; top1: number }>;
  /** expected → answered → count, misses only. */
  confusion: Record<string, Record<string, number>>;
  msPerPage: number;
  misses: { expected: string; got: string; text: string }[];
  agencyErrors: { expected: boolean; confidence: number; text: string }[];
  /**
   * Are the probabilities honest? `industry`: the top answer's confidence against how often it
   * was right; `agency`: agency_confidence against how often the page was an agency. Answers are
   * grouped in 10-point bands; ECE is the answer-weighted mean |confidence − observed| gap.
   */
  calibration: { industry: Calibration; agency: Calibration };
}

export interface Calibration {
  ece: number;
  bands: { from: number; n: number; meanConfidence: number; observed: number }[];
}

/** Reliability of probabilities: pairs of (stated probability, whether it came true). */
export function calibration(pairs: ReadonlyArray<readonly [number, boolean]>): Calibration {
  const bands = Array.from({ length: 10 }, (_, i) => ({ from: i / 10, n: 0, sum: 0, hits: 0 }));
  for (const [p, hit] of pairs) {
    const b = bands[Math.min(9, Math.floor(p * 10))]!;
    b.n++;
    b.sum += p;
    if (hit) b.hits++;
  }
  const used = bands.filter((b) => b.n > 0).map((b) => ({ from: b.from, n: b.n, meanConfidence: b.sum / b.n, observed: b.hits / b.n }));
  const total = pairs.length || 1;
  return { ece: used.reduce((a, b) => a + (b.n / total) * Math.abs(b.meanConfidence - b.observed), 0), bands: used };
}

export function evaluate(clf: Classifier, examples: LabelledExample[]): Evaluation {
  let top1 = 0, top3 = 0, unknown = 0, tp = 0, fp = 0, fn = 0, tn = 0;
  const perClass: Evaluation['perClass'] = Object.fromEntries(INDUSTRY_IDS.map((id) => [id, { n: 0, top1: 0 }]));
  const confusion: Evaluation['confusion'] = {};
  const misses: Evaluation['misses'] = [];
  const agencyErrors: Evaluation['agencyErrors'] = [];
  const industryPairs: [number, boolean][] = [];
  const agencyPairs: [number, boolean][] = [];
  const started = performance.now();
  for (const e of examples) {
    const r = clf.classify(e.text);
    const pc = perClass[e.industry]!;
    pc.n++;
    if (r.industry === e.industry) {
      top1++;
      pc.top1++;
    } else {
      (confusion[e.industry] ??= {})[r.industry] = (confusion[e.industry]?.[r.industry] ?? 0) + 1;
      misses.push({ expected: e.industry, got: r.industry, text: e.text.slice(0, 100) });
    }
    if (r.industry === 'unknown') unknown++;
    else industryPairs.push([r.confidence, r.industry === e.industry]);
    agencyPairs.push([r.agency_confidence, e.agency]);
    if (r.top3.some((t) => t.industry === e.industry)) top3++;
    if (r.is_agency && e.agency) tp++;
    else if (r.is_agency) fp++;
    else if (e.agency) fn++;
    else tn++;
    if (r.is_agency !== e.agency) agencyErrors.push({ expected: e.agency, confidence: r.agency_confidence, text: e.text.slice(0, 100) });
  }
  const n = examples.length || 1;
  return {
    n: examples.length,
    top1: top1 / n,
    top3: top3 / n,
    unknown: unknown / n,
    agency: { tp, fp, fn, tn, precision: tp + fp ? tp / (tp + fp) : 1, recall: tp + fn ? tp / (tp + fn) : 1 },
    perClass,
    confusion,
    msPerPage: (performance.now() - started) / n,
    misses,
    agencyErrors,
    calibration: { industry: calibration(industryPairs), agency: calibration(agencyPairs) },
  };
}
