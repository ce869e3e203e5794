/**
 * Homepage HTML → the text a classifier needs: title, meta/og description, h1–h3, link labels
 * (navigation is where "Work", "Case studies", "Clients" live — the agency signals), JSON-LD
 * `@type`s and the visible body text, capped.
 *
 * Why not cheerio (research §4's choice): it is not installed and this change may not add
 * packages. We need a bag of words, not a DOM, so a careful regex pass is enough: comments and
 * raw-text elements (script, style, noscript, svg, template) are removed before any tag is
 * stripped, so their contents never leak into the text; entities are decoded; unclosed elements
 * run to the end of the document instead of throwing. Each step is linear (no nested quantifiers),
 * so a hostile page cannot make it backtrack for long; the input is already capped at 1 MB by the
 * fetcher. Swap in cheerio when it is added as a dependency — the PageText shape stays.
 */

export interface PageText {
  title: string;
  /** meta description, else og:description. */
  description: string;
  /** h1–h3 text, in document order. */
  headings: string[];
  /** Short link labels (≤ 5 words), de-duplicated, in order. */
  links: string[];
  /** schema.org types from JSON-LD (e.g. EmploymentAgency, SoftwareApplication). */
  jsonLdTypes: string[];
  /** `<html lang>`, lower case, or ''. */
  lang: string;
  /** Visible text, whitespace collapsed, at most `maxWords` words. */
  text: string;
}

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™',
  hellip: '…', mdash: '—', ndash: '–', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', bull: '•',
  middot: '·', laquo: '«', raquo: '»', eacute: 'é', egrave: 'è', ecirc: 'ê', aacute: 'á', agrave: 'à',
  acirc: 'â', iacute: 'í', oacute: 'ó', uacute: 'ú', ntilde: 'ñ', ccedil: 'ç', auml: 'ä', ouml: 'ö',
  uuml: 'ü', szlig: 'ß', euro: '€', pound: '£', times: '×', shy: '',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z][a-z0-9]{1,10});?/gi, (m, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      // Invalid or surrogate code points become a space rather than throwing.
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : ' ';
    }
    return NAMED[body.toLowerCase()] ?? m;
  });
}

function clean(fragment: string): string {
  return decodeEntities(fragment.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** Attributes of one start tag, names lower-cased. */
function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  const inner = tag.replace(/^<[a-zA-Z0-9]+/, '').replace(/\/?>$/, '');
  for (const m of inner.matchAll(re)) out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  return out;
}

function collectTypes(node: unknown, into: Set<string>, depth = 0): void {
  if (depth > 6 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) collectTypes(n, into, depth + 1);
    return;
  }
  const t = (node as Record<string, unknown>)['@type'];
  for (const v of Array.isArray(t) ? t : [t]) if (typeof v === 'string' && v.length < 80) into.add(v);
  for (const v of Object.values(node as Record<string, unknown>)) collectTypes(v, into, depth + 1);
}

export function extractPageText(html: string, maxWords = 2000): PageText {
  // JSON-LD first: it lives in <script>, which is removed below.
  const types = new Set<string>();
  for (const m of html.matchAll(/<script\b[^>]*application\/ld\+json[^>]*>([\s\S]*?)<\/script\s*>/gi)) {
    try {
      collectTypes(JSON.parse(m[1]!), types);
    } catch {
      // Broken JSON-LD is common; it only costs us this hint.
    }
  }

  let doc = html.replace(/<!--[\s\S]*?(?:-->|$)/g, ' ');
  // Raw-text elements; an unclosed one swallows the rest (as a browser would for <script>).
  doc = doc.replace(/<(script|style|noscript|svg|template|iframe|object)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ');

  const lang = (/<html\b[^>]*>/i.exec(doc)?.[0] ?? '').match(/\blang\s*=\s*["']?([a-zA-Z-]{2,20})/)?.[1]?.toLowerCase() ?? '';
  const title = clean(/<title\b[^>]*>([\s\S]*?)(?:<\/title\s*>|$)/i.exec(doc)?.[1] ?? '').slice(0, 300);

  let description = '';
  let ogDescription = '';
  for (const m of doc.matchAll(/<meta\b[^>]*>/gi)) {
    const a = attributes(m[0]);
    const key = (a.name ?? a.property ?? '').toLowerCase();
    if (key === 'description' && !description) description = (a.content ?? '').replace(/\s+/g, ' ').trim();
    if ((key === 'og:description' || key === 'twitter:description') && !ogDescription) ogDescription = (a.content ?? '').replace(/\s+/g, ' ').trim();
  }

  const headings: string[] = [];
  for (const m of doc.matchAll(/<h([1-3])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi)) {
    const h = clean(m[2]!);
    if (h && headings.length < 50) headings.push(h.slice(0, 200));
  }

  const links: string[] = [];
  const seenLinks = new Set<string>();
  for (const m of doc.matchAll(/<a\b[^>]*>([\s\S]*?)<\/a\s*>/gi)) {
    const label = clean(m[1]!);
    const key = label.toLowerCase();
    if (label && label.split(' ').length <= 5 && !seenLinks.has(key) && links.length < 80) {
      seenLinks.add(key);
      links.push(label);
    }
  }

  // Visible text: the body if there is one (the head holds nothing visible but the title).
  const bodyStart = doc.search(/<body\b/i);
  const body = bodyStart >= 0 ? doc.slice(bodyStart) : doc.replace(/<head\b[\s\S]*?<\/head\s*>/i, ' ');
  const words = clean(body).split(' ').filter(Boolean);
  return {
    title,
    description: (description || ogDescription).slice(0, 1000),
    headings,
    links,
    jsonLdTypes: [...types],
    lang,
    text: words.slice(0, maxWords).join(' '),
  };
}
