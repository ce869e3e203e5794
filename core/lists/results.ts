/**
 * The results file of a list, made from its records at any time (so it can be downloaded again,
 * or re-delivered after a failure): every original column in order, then email, confidence,
 * verification, status, pattern, industry, is_agency. Streamed page by page; a 100,000-row list never sits in memory.
 */
import type { Pool } from '../db/pool.ts';
import { createResultsWriter } from './write-csv.ts';
import { outputStatus, readRecords, type ListRow } from './store.ts';

export function resultsCsv(pool: Pool, list: Pick<ListRow, 'id' | 'header' | 'delimiter'>): AsyncIterable<string> {
  const writer = createResultsWriter(list.header ?? [], { delimiter: list.delimiter === ';' || list.delimiter === '\t' ? list.delimiter : ',' });
  async function* rows() {
    for await (const r of readRecords(pool, list.id)) {
      yield {
        raw: r.raw,
        email: r.email,
        confidence: r.confidence,
        verification: r.verification,
        status: outputStatus(r),
        pattern: r.pattern,
        industry: r.industry,
        is_agency: r.is_agency,
      };
    }
  }
  return writer.csv(rows());
}

/** "results.csv" → "results-with-emails.csv": the name users see for the finished file. */
export function resultsFilename(filename: string | null | undefined): string {
  const base = (filename ?? 'list.csv').replace(/\.(csv|tsv|txt)$/i, '');
  return `${base}-with-emails.csv`;
}
