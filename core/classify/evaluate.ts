/**
 * Scores a classifier on labelled examples it never trained on (`data/heldout/`): top-1, top-3,
 * per class, a confusion table, agency precision/recall and time per page. The unit tests hold the
 * issue's targets against it; `npm run bench:classify` (to come) prints it into docs/benchmarks.md.
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
}

export function evaluate(clf: Classifier, examples: LabelledExample[]): Evaluation {
  let top1 = 0, top3 = 0, unknown = 0, tp = 0, fp = 0, fn = 0, tn = 0;
  const perClass: Evaluation['perClass'] = Object.fromEntries(INDUSTRY_IDS.map((id) => [id, { n: 0, top1: 0 }]));
  const confusion: Evaluation['confusion'] = {};
  const misses: Evaluation['misses'] = [];
  const agencyErrors: Evaluation['agencyErrors'] = [];
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
  };
}
