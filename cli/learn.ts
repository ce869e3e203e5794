/**
 * `toofr learn known.csv`: teaches domains their address patterns from addresses the user knows
 * are right (name + email per row), so later lookups there try the right pattern first.
 */
import { createReadStream } from 'node:fs';
import type { Engine } from '../core/engine/engine.ts';
import { parseName } from '../core/engine/names.ts';
import { parseEmail } from '../core/engine/domain.ts';
import { readCsv } from '../core/lists/read-csv.ts';

export interface LearnSummary {
  rows: number;
  learned: number;
  domains: number;
  skipped: { line: number; reason: string }[];
}

export async function learnFile(engine: Engine, file: string): Promise<LearnSummary> {
  const { rows, meta } = await readCsv(createReadStream(file));
  if (meta.mapping.email === undefined) {
    throw new Error(`${file} has no email column (found: ${meta.header.join(', ')}). Add one named "Email", with a name in "First name"/"Last name" or "Full name".`);
  }
  const summary: LearnSummary = { rows: 0, learned: 0, domains: 0, skipped: [] };
  const domains = new Set<string>();
  for await (const row of rows) {
    summary.rows++;
    const email = parseEmail(row.input.email);
    if (!email) {
      summary.skipped.push({ line: row.line, reason: row.input.email ? `"${row.input.email}" is not a valid email address` : 'no email' });
      continue;
    }
    const name = parseName({ first: row.input.first, last: row.input.last, full_name: row.input.full_name });
    if (!name.ok) {
      summary.skipped.push({ line: row.line, reason: name.reason });
      continue;
    }
    const patterns = await engine.learnAddress(name.name, email.email, row.input);
    if (!patterns.length) {
      summary.skipped.push({ line: row.line, reason: `${email.email} does not follow any known pattern for this name` });
      continue;
    }
    summary.learned++;
    domains.add(email.domain);
  }
  summary.domains = domains.size;
  return summary;
}
