/**
 * What Toofr says in Slack, as Block Kit plus the plain `text` fallback Slack needs for
 * notifications and screen readers. Pure functions: easy to test, nothing here talks to Slack.
 */
import type { FindAnswer, PatternAnswer, ScorePart, VerifyAnswer } from '../../core/engine/types.ts';
import type { ListRow } from '../../core/lists/store.ts';
import type { CachedCompany } from '../../core/classify/company-store.ts';

export interface Message {
  text: string;
  blocks: Block[];
}
// Block Kit is JSON; a loose type keeps this file readable.
export type Block = Record<string, unknown>;

/** User-provided text inside mrkdwn: Slack's three control characters must be escaped. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });
const context = (text: string): Block => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
const fields = (...f: string[]): Block => ({ type: 'section', fields: f.map((text) => ({ type: 'mrkdwn', text })) });
const n = (x: number) => x.toLocaleString('en-US');

export function helpMessage(problem?: string): Message {
  const lines = [
    '`/toofr Jane Doe acme.com` — find Jane\'s work address (a company name or a website works too)',
    '`/toofr Jane Doe, Acme Inc` — the same, with the full name before a comma',
    '`/toofr verify jane@acme.com` — is this address real?',
    '`/toofr pattern acme.com` — how addresses at this company are made, with the evidence',
    '`/toofr company acme.com` — the company\'s industry (with its NAICS code) and whether it is an agency, from its homepage',
    '`/toofr lists` — this workspace\'s recent lists',
    '*Lists:* share a CSV (first name, last name, company or website) in a channel I am in, or send it to me directly; I reply in its thread and post the file with emails when done.',
  ];
  const blocks: Block[] = [];
  if (problem) blocks.push(section(`:warning: ${esc(problem)}`));
  blocks.push(section('*How to use /toofr*'), section(lines.join('\n')));
  return { text: problem ? `${problem} Usage: /toofr First Last company.com | verify email | pattern domain | company domain | lists | help` : 'How to use /toofr', blocks };
}

export function workingMessage(what: string): Message {
  return { text: `${what}…`, blocks: [context(`:hourglass_flowing_sand: ${esc(what)}…`)] };
}

const VERDICT: Record<string, string> = {
  valid: ':white_check_mark: valid',
  invalid: ':x: invalid',
  accept_all: ':grey_question: accept-all (the server accepts any address)',
  unknown: ':grey_question: unknown',
};

function scoreLine(parts: ScorePart[]): string | undefined {
  if (!parts.length) return undefined;
  return parts.map((p) => `${p.points >= 0 ? '+' : ''}${p.points} ${esc(p.part)} (${esc(p.why)})`).join(' · ');
}

export function findMessage(label: string, a: FindAnswer): Message {
  if (!a.email) {
    const why = a.reason ?? ({ not_found: 'every likely address was rejected', no_mail: 'the domain takes no mail', bad_input: 'not enough to look anyone up' } as Record<string, string>)[a.status] ?? a.status;
    const blocks: Block[] = [section(`I couldn't find an email for *${esc(label)}*: ${esc(why)}.`)];
    if (a.candidates.length) blocks.push(context(`Tried: ${a.candidates.slice(0, 8).map((c) => esc(c.email) + (c.verification ? ` (${c.verification})` : '')).join(', ')}`));
    return { text: `No email found for ${label}: ${why}`, blocks };
  }
  const blocks: Block[] = [
    section(`*${esc(a.email)}*  —  ${esc(label)}`),
    fields(`*Confidence*\n${a.confidence}/100`, `*Verification*\n${VERDICT[a.verification] ?? a.verification}${a.flags.length ? ` · ${a.flags.join(', ')}` : ''}`, `*Pattern*\n${esc(a.pattern ?? '—')}`, `*Status*\n${esc(a.status)}`),
  ];
  const score = scoreLine(a.score_parts);
  if (score) blocks.push(context(`Score: ${score}`));
  const others = a.candidates.filter((c) => c.email !== a.email).slice(0, 5);
  if (others.length) blocks.push(context(`Other candidates: ${others.map((c) => `${esc(c.email)}${c.verification ? ` (${c.verification})` : ''}`).join(', ')}`));
  return { text: `${a.email} — confidence ${a.confidence}, ${a.verification}`, blocks };
}

export function verifyMessage(a: VerifyAnswer): Message {
  const blocks: Block[] = [
    section(`*${esc(a.email)}* is ${VERDICT[a.verification] ?? a.verification}`),
    fields(`*Confidence*\n${a.confidence}/100`, `*Flags*\n${a.flags.length ? a.flags.join(', ') : 'none'}`, `*Mail servers*\n${esc(a.mx.slice(0, 3).join(', ') || '—')}`, `*Why*\n${esc(a.reason || '—')}`),
  ];
  const score = scoreLine(a.score_parts);
  if (score) blocks.push(context(`Score: ${score}`));
  return { text: `${a.email}: ${a.verification} (confidence ${a.confidence})`, blocks };
}

export function patternMessage(a: PatternAnswer): Message {
  if (!a.pattern) {
    return { text: `No pattern known for ${a.domain}`, blocks: [section(`No address pattern is known for *${esc(a.domain)}* yet${a.reason ? `: ${esc(a.reason)}` : '.'}`)] };
  }
  const blocks: Block[] = [section(`Addresses at *${esc(a.domain)}* look like \`${esc(a.pattern)}\``)];
  const evidence = a.evidence.slice(0, 6).map((e) => `\`${esc(e.pattern)}\` ×${e.count}`).join(', ');
  blocks.push(context([evidence && `Evidence: ${evidence}`, a.accept_all ? 'the server accepts any address' : '', a.mx.length ? `mail servers: ${esc(a.mx.slice(0, 3).join(', '))}` : ''].filter(Boolean).join(' · ') || 'No learned addresses yet: this is the most common pattern.'));
  return { text: `${a.domain}: ${a.pattern}`, blocks };
}

const pct = (p: number) => `${Math.round(p * 100)}%`;

/** Plain words for why a homepage could not be read (website.status), when the fetcher gave no reason. */
const SITE_PROBLEM: Record<string, string> = {
  no_website: 'no website answers at this domain',
  unreachable: 'nothing answered',
  blocked: 'it points at a private address',
  timeout: 'it did not answer in time',
  not_html: 'it is not a web page',
  http_error: 'it answered with an error',
  too_many_redirects: 'too many redirects',
};

/** `/toofr company`: industry + NAICS, confidence, agency or not, top 3, evidence, the page read. */
export function companyMessage(c: CachedCompany): Message {
  const site = c.website ?? { status: 'ok', ms: 0, truncated: false };
  const read = site.status === 'ok';
  const why = site.reason || SITE_PROBLEM[site.status] || site.status;
  const known = c.industry !== 'unknown';
  const industry = known ? `${c.industry_name} (NAICS ${c.naics ?? '—'})` : 'Unknown';
  const agency = !read ? 'Unknown' : c.is_agency ? `:briefcase: Agency (${pct(c.agency_confidence)})` : `Not an agency (${pct(1 - c.agency_confidence)})`;
  const head = known
    ? `*${esc(c.domain)}* — *${esc(c.industry_name)}* (NAICS ${esc(c.naics ?? '—')}) · ${pct(c.confidence)} confidence · ${c.is_agency ? 'agency' : 'not an agency'}`
    : read
      ? `*${esc(c.domain)}* — industry *Unknown*: the homepage does not say enough to tell.`
      : `*${esc(c.domain)}* — industry *Unknown*: I couldn't read the website: ${esc(why)}.`;
  const blocks: Block[] = [
    section(head),
    fields(
      `*Industry*\n${esc(industry)}`,
      `*Confidence*\n${known ? pct(c.confidence) : '—'}`,
      `*Agency*\n${agency}`,
      `*Website*\n${read ? esc(site.url ?? c.domain) : `not read${site.url ? ` (${esc(site.url)})` : ''}`}`,
    ),
  ];
  if (c.top3?.length) blocks.push(context(`${known ? 'Top 3' : 'Closest'}: ${c.top3.map((t) => `${esc(t.name)} ${pct(t.probability)}${t.naics ? ` (NAICS ${esc(t.naics)})` : ''}`).join(' · ')}`));
  // An unread site's only evidence is why it was not read, which the first line already says.
  const evidence = read ? (c.evidence ?? []).slice(0, 4) : [];
  if (evidence.length) blocks.push(context(`Why: ${evidence.map(esc).join(' · ')}`));
  if (c.cached && c.checked_at) blocks.push(context(`From the cache: homepage read ${c.checked_at.slice(0, 16).replace('T', ' ')} UTC`));
  const text = known
    ? `${c.domain}: ${c.industry_name} (NAICS ${c.naics ?? '—'}), ${pct(c.confidence)} — ${c.is_agency ? 'agency' : 'not an agency'}`
    : `${c.domain}: industry unknown${read ? '' : ` — couldn't read the website: ${why}`}`;
  return { text, blocks };
}

export function lookupFailedMessage(label: string, error: string): Message {
  return { text: `Toofr could not look up ${label}: ${error}`, blocks: [section(`:warning: I could not look up *${esc(label)}*: ${esc(error)}. Try again in a minute.`)] };
}

export function stillWorkingMessage(label: string): Message {
  return { text: `Still working on ${label}`, blocks: [section(`:hourglass: *${esc(label)}* is taking longer than usual (slow mail servers). I'll post the answer here when it is ready.`)] };
}

const STATUS_WORD: Record<string, string> = {
  queued: 'queued', importing: 'reading', running: 'finding emails', delivering: 'writing results', done: 'done', failed: 'failed', cancelled: 'cancelled',
};

export function listsMessage(lists: ListRow[], publicUrl: string): Message {
  if (!lists.length) return { text: 'No lists yet', blocks: [section('No lists in this workspace yet. Share a CSV in a channel I am in, or send me one directly.')] };
  const lines = lists.map((l) => {
    const pct = l.total_rows ? Math.floor((100 * (l.processed + l.bad_rows)) / l.total_rows) : 0;
    const counts = l.total_rows ? `${n(l.total_rows)} rows, ${n(l.found)} found` : '';
    return `• <${publicUrl}/lists/${l.id}|${esc(l.filename ?? 'list')}> — ${STATUS_WORD[l.status] ?? l.status}${l.status === 'running' ? ` ${pct}%` : ''}${counts ? ` · ${counts}` : ''} · ${l.created_at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  });
  return { text: `${lists.length} recent lists`, blocks: [section('*Recent lists in this workspace*'), section(lines.join('\n'))] };
}

/** "First name → first, Website → domain" */
export function describeMapping(header: string[] | null, mapping: Record<string, number> | null): string {
  if (!header || !mapping) return '';
  return Object.entries(mapping)
    .sort((a, b) => a[1] - b[1])
    .map(([role, i]) => `${header[i] ?? `column ${i + 1}`} → ${role}`)
    .join(', ');
}

export function bar(fraction: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return '▓'.repeat(filled) + '░'.repeat(width - filled);
}

/** The intake reply: what was understood of the file, before any lookup ran. */
export function receivedMessage(filename: string, rows: number, columns: string): Message {
  const line = `*${esc(filename)}* — ${n(rows)} rows, columns: ${esc(columns)}. Finding emails…`;
  return { text: `${filename} — ${n(rows)} rows. Finding emails…`, blocks: [section(line)] };
}

export function progressMessage(list: ListRow): Message {
  const total = list.total_rows;
  const done = list.processed + list.bad_rows;
  const frac = total ? done / total : 0;
  const columns = describeMapping(list.header, list.mapping);
  const head = `*${esc(list.filename ?? 'list')}* — ${n(total)} rows${columns ? `, columns: ${esc(columns)}` : ''}. Finding emails…`;
  const line = `\`${bar(frac)}\` ${Math.floor(frac * 100)}% · ${n(done)} of ${n(total)} · ${n(list.found)} found${list.bad_rows ? ` · ${n(list.bad_rows)} bad rows` : ''}`;
  return { text: `${list.filename ?? 'list'}: ${Math.floor(frac * 100)}% (${n(done)} of ${n(total)}), ${n(list.found)} found`, blocks: [section(head), context(line)] };
}

export interface Summary {
  rows: number;
  found: number;
  valid: number;
  accept_all: number;
  not_found: number;
  bad: number;
  failed: number;
}

export function summaryLine(s: Summary): string {
  return `${n(s.found)} found (${n(s.valid)} valid, ${n(s.accept_all)} accept_all) · ${n(s.not_found)} not found · ${n(s.bad)} bad rows${s.failed ? ` · ${n(s.failed)} errors` : ''} — ${n(s.rows)} rows`;
}

export function doneMessage(list: ListRow, s: Summary, resultsName: string): Message {
  return {
    text: `${list.filename ?? 'list'}: done — ${summaryLine(s)}`,
    blocks: [section(`:white_check_mark: *${esc(list.filename ?? 'list')}* — done. \`${bar(1)}\` 100%`), context(`${esc(summaryLine(s))}. Results: *${esc(resultsName)}* below.`)],
  };
}

export function failedMessage(filename: string, error: string): Message {
  return { text: `${filename}: ${error}`, blocks: [section(`:warning: *${esc(filename)}* — ${esc(error)}`)] };
}
