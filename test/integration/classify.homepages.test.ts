/**
 * Fixture homepages (test/fixtures/homepages/*.html) served by a local HTTP server and classified
 * through the real, guarded fetcher (issue 7: "every class, agencies and look-alikes").
 *
 * `<name>.test` serves `<name>.html`; every name resolves to 127.0.0.1 through an injected resolver,
 * https:// goes to port 1 (nothing listens, so every fetch also takes the https → http fallback),
 * and the guard stays on (allowPrivate false) with only the loopback test server permitted.
 *
 *   <class_id>.html       one typical homepage per industry class: industry must be that class
 *   agency-<kind>.html    service agencies: is_agency must be true
 *   lookalike-<kind>.html pages that talk like agencies (or are called "agency") but are not:
 *                         is_agency must be false, industry as NAICS 2017 places them
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { classifyCompany, type CompanyResult } from '../../core/classify/company.ts';
import { INDUSTRY_IDS, type IndustryId } from '../../core/classify/taxonomy.ts';

const DIR = new URL('../fixtures/homepages/', import.meta.url);
const PAGES = new Map<string, Buffer>(
  readdirSync(DIR)
    .filter((f) => f.endsWith('.html'))
    .map((f) => [f.slice(0, -'.html'.length), readFileSync(new URL(f, DIR))]),
);

/** Agencies, and the industry NAICS 2017 gives the service they sell. */
const AGENCIES: Record<string, { industry: IndustryId; also?: IndustryId; why: string }> = {
  'agency-digital-marketing': { industry: 'marketing_advertising', why: 'advertising agencies and related services, 5418' },
  'agency-pr': { industry: 'marketing_advertising', why: 'public relations agencies, 54182' },
  'agency-branding': { industry: 'marketing_advertising', why: 'advertising agencies (brand and creative), 5418' },
  'agency-media-buying': { industry: 'marketing_advertising', why: 'media buying agencies, 54183' },
  'agency-recruitment': { industry: 'staffing_recruiting', why: 'temporary help and placement services, 5613' },
  'agency-executive-search': { industry: 'staffing_recruiting', why: 'executive search is employment placement, 561312' },
  // Custom web design is 541511 (custom computer programming); many lists file web agencies under marketing.
  'agency-web-studio': { industry: 'it_services', also: 'marketing_advertising', why: 'custom web design and development, 541511' },
};

/**
 * Look-alikes: the industry NAICS 2017 gives them. `also` lists a second class the corpus
 * legitimately uses for the same business (see the note at each), accepted but reported.
 */
const LOOKALIKES: Record<string, { industry: IndustryId; also?: IndustryId; why: string }> = {
  'lookalike-email-marketing-saas': { industry: 'software', why: 'a software publisher (5112), even though it sells to marketers' },
  'lookalike-ats-software': { industry: 'software', why: 'recruiting software is software (5112), not an employment service' },
  // 561311 "listing employment vacancies"; NAICS 2017 sends *online* job listing to 519130 (Information),
  // but this taxonomy and the corpus (staffing_recruiting.txt header) file job boards under staffing.
  'lookalike-job-board': { industry: 'staffing_recruiting', why: 'job listing services, 561311, filed under staffing by the corpus' },
  'lookalike-law-firm': { industry: 'professional_services', why: 'offices of lawyers, 5411' },
  'lookalike-management-consultancy': { industry: 'professional_services', why: 'management consulting, 5416' },
  'lookalike-insurance-agency': { industry: 'finance_insurance', why: 'insurance agencies and brokerages, 5242' },
  'lookalike-estate-agency': { industry: 'real_estate', why: 'offices of real estate agents and brokers, 5312' },
  // NAICS puts travel agencies in 5615 (Administrative and Support), which has no class here; the
  // corpus (data/train/hospitality_food.txt header) files them under hospitality.
  'lookalike-travel-agency': { industry: 'hospitality_food', why: 'travel agencies, 5615, filed under hospitality by the corpus' },
  // Marketing research is NAICS 541910, in 5419 (other professional services), not 5418
  // (advertising and PR); the corpus mostly files it under marketing, so both are accepted.
  'lookalike-market-research': { industry: 'professional_services', also: 'marketing_advertising', why: 'marketing research and polling, 541910' },
};

let server: http.Server;
let port = 0;
const resolveHost = async (): Promise<string[]> => ['127.0.0.1'];
const settings = { web: { allowPrivate: false }, dns: { servers: undefined } };
const classify = (name: string) =>
  classifyCompany(`${name}.test`, { settings, fetch: { resolveHost, allowAddresses: ['127.0.0.1'], ports: { http: port, https: 1 } } });

const describeResult = (name: string, r: CompanyResult) =>
  `${name}: industry ${r.industry} (${r.confidence}), top3 ${r.top3.map((t) => `${t.industry} ${t.probability}`).join(', ')}; ` +
  `is_agency ${r.is_agency} (${r.agency_confidence}); evidence: ${r.evidence.join(' / ')}`;

/** Classifies every page of a group at once; checks what every answer must have. */
async function classifyAll(names: string[]): Promise<Map<string, CompanyResult>> {
  const results = await Promise.all(names.map(classify));
  const out = new Map<string, CompanyResult>();
  names.forEach((name, i) => {
    const r = results[i]!;
    assert.equal(r.website.status, 'ok', `${name}: website ${r.website.status} ${r.website.reason ?? ''}`);
    assert.ok(r.evidence.length > 0, `${name}: no evidence lines`);
    assert.ok(r.evidence.some((e) => e.startsWith('industry words:')), `${name}: no industry evidence: ${r.evidence.join(' / ')}`);
    if (process.env.SHOW_HOMEPAGE_RESULTS) console.log(describeResult(name, r));
    out.set(name, r);
  });
  return out;
}

before(async () => {
  server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const body = host.endsWith('.test') ? PAGES.get(host.slice(0, -'.test'.length)) : undefined;
    if (body === undefined || req.url !== '/') {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('classifyCompany on fixture homepages', () => {
  it('has a page for every class, at least 6 agencies and every look-alike', () => {
    const missing = INDUSTRY_IDS.filter((id) => !PAGES.has(id));
    assert.deepEqual(missing, [], `no fixture page for ${missing.join(', ')}`);
    for (const [prefix, group] of [['agency-', AGENCIES], ['lookalike-', LOOKALIKES]] as const) {
      const absent = Object.keys(group).filter((n) => !PAGES.has(n));
      assert.deepEqual(absent, [], `no fixture page for ${absent.join(', ')}`);
      const unexpected = [...PAGES.keys()].filter((n) => n.startsWith(prefix) && !(n in group));
      assert.deepEqual(unexpected, [], `${prefix}* pages without an expected industry: ${unexpected.join(', ')}`);
    }
    const other = [...PAGES.keys()].filter((n) => !n.startsWith('agency-') && !n.startsWith('lookalike-') && !(INDUSTRY_IDS as readonly string[]).includes(n));
    assert.deepEqual(other, [], `fixture pages named after no class or group: ${other.join(', ')}`);
    assert.ok(Object.keys(AGENCIES).length >= 6, 'fewer than 6 agency pages');
  });

  it('answers each class page with its own class (and no agency outside marketing and staffing)', async () => {
    const results = await classifyAll([...INDUSTRY_IDS]);
    const wrong: string[] = [];
    for (const id of INDUSTRY_IDS) {
      const r = results.get(id)!;
      if (r.industry !== id) wrong.push(`${id}.html should be ${id}: ${describeResult(id, r)}`);
      // Class pages are businesses selling their own product or service, except the two classes
      // where agencies live (an advertising agency and a staffing firm are typical of their class).
      if (id !== 'marketing_advertising' && id !== 'staffing_recruiting' && r.is_agency) wrong.push(`${id}.html should not be an agency: ${describeResult(id, r)}`);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
  });

  /** Every page of a group: agency or not as expected, and in its expected industry (or the accepted alternative). */
  async function checkGroup(group: typeof AGENCIES, agency: boolean) {
    const names = Object.keys(group);
    const results = await classifyAll(names);
    const wrong: string[] = [];
    for (const name of names) {
      const r = results.get(name)!;
      const { industry, also, why } = group[name]!;
      if (r.is_agency !== agency) wrong.push(`${name}.html should ${agency ? '' : 'not '}be an agency: ${describeResult(name, r)}`);
      if (r.industry !== industry && r.industry !== also) wrong.push(`${name}.html should be ${industry} (${why}): ${describeResult(name, r)}`);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
  }

  it('says is_agency for agencies of every kind, in the industry of the service they sell', () => checkGroup(AGENCIES, true));

  it('does not call look-alikes agencies, and files them where NAICS does', () => checkGroup(LOOKALIKES, false));
});
