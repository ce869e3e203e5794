/**
 * classifyCompany(domain): fetch the homepage (guarded) and classify it. Never throws for a bad
 * website: no site, a blocked or silent one, or a PDF all come back as industry `unknown` with the
 * reason in `website` and `evidence` — one bad domain must not fail a list.
 */
import type { Settings } from '../config.ts';
import { defaultClassifier, type Classifier, type CompanyClassification } from './classifier.ts';
import { fetchHomepage, type HomepageFetchOptions, type HomepageStatus } from './fetch-homepage.ts';
import { INDUSTRIES } from './taxonomy.ts';

export interface CompanyResult extends CompanyClassification {
  domain: string;
  website: { status: HomepageStatus; url?: string; reason?: string; ms: number; truncated: boolean };
}

export interface ClassifyCompanyDeps {
  settings: Pick<Settings, 'web' | 'dns'>;
  classifier?: Classifier;
  /** Overrides for the fetcher (tests: resolver, ports, short timeouts). allowPrivate always comes from settings. */
  fetch?: Omit<HomepageFetchOptions, 'allowPrivate'>;
}

export async function classifyCompany(domain: string, deps: ClassifyCompanyDeps): Promise<CompanyResult> {
  const home = await fetchHomepage(domain, { dnsServers: deps.settings.dns.servers, ...deps.fetch, allowPrivate: deps.settings.web.allowPrivate });
  const website = { status: home.status, url: home.url, reason: home.reason, ms: home.ms, truncated: home.truncated };
  if (home.status !== 'ok' || !home.page) {
    return {
      domain: home.domain,
      industry: 'unknown',
      industry_name: INDUSTRIES.unknown.name,
      naics: null,
      confidence: 0,
      top3: [],
      is_agency: false,
      agency_confidence: 0,
      evidence: [`no homepage to read: ${home.reason ?? home.status}`],
      website,
    };
  }
  const clf = deps.classifier ?? defaultClassifier();
  return { domain: home.domain, ...clf.classify(home.page), website };
}
