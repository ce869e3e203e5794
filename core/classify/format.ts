/** One company classification as a few lines for people (CLI now; Slack later). */
import type { CompanyResult } from './company.ts';

const pct = (p: number) => `${Math.round(p * 100)}%`;

export function formatCompany(r: CompanyResult & { cached?: boolean; checked_at?: string }): string {
  const lines: string[] = [];
  if (r.industry === 'unknown') {
    lines.push(`${r.domain}: industry unknown`);
  } else {
    lines.push(`${r.domain}: ${r.industry_name} (NAICS ${r.naics}), ${pct(r.confidence)} — ${r.is_agency ? 'agency' : 'not an agency'} (agency ${pct(r.agency_confidence)})`);
  }
  const others = r.top3.filter((t) => t.industry !== r.industry);
  if (others.length) lines.push(`  ${r.industry === 'unknown' ? 'closest' : 'also'}: ${others.map((t) => `${t.name} ${pct(t.probability)}`).join(', ')}`);
  for (const e of r.evidence) lines.push(`  why: ${e}`);
  const site = r.website.url ? `${r.website.url} (${r.website.status})` : r.website.status;
  lines.push(`  website: ${site}${r.website.status === 'ok' ? '' : ` — ${r.website.reason ?? ''}`}${r.cached && r.checked_at ? ` [cached, checked ${r.checked_at}]` : ''}`);
  return lines.join('\n');
}
