/**
 * The mail world's data: domains with a behaviour and a real address pattern, and people with a
 * ground-truth address. Pure and seeded — the same seed gives the same world, so a benchmark run
 * can be repeated and scored. `startMailWorld` (index.ts) serves it over DNS and SMTP.
 */

export type Pattern =
  | '{first}.{last}' | '{f}{last}' | '{first}' | '{first}{last}' | '{first}_{last}' | '{f}.{last}'
  | '{first}{l}' | '{last}' | '{last}.{first}' | '{first}-{last}' | '{last}{f}';

export const PATTERNS: readonly Pattern[] = [
  '{first}.{last}', '{f}{last}', '{first}', '{first}{last}', '{first}_{last}', '{f}.{last}',
  '{first}{l}', '{last}', '{last}.{first}', '{first}-{last}', '{last}{f}',
];

/** How a domain's mail hosts answer. */
export type MailBehaviour =
  | 'rejects_unknown' // 550 5.1.1 for addresses it does not have (the honest, common case)
  | 'accept_all'      // catch-all: 250 for any address
  | 'greylist'        // 451 4.7.1 the first time a (client, sender, recipient) is seen, then as rejects_unknown
  | 'slow'            // as rejects_unknown, but RCPT replies take `slowMs`
  | 'drops'           // greets, then drops the connection as soon as the client speaks
  | 'refuses'         // nothing listens on its address (connection refused)
  | 'primary_down'    // MX 10 refuses connections, MX 20 works (rejects_unknown)
  | 'conn_limit'      // 421 4.7.0 when one client has more than `connLimit` sessions open
  | 'blocks_us'       // 554 5.7.1 Spamhaus-style block at RCPT
  | 'm365';           // Microsoft-365-like: MX <tenant>.mail.protection.outlook.test, accepts every RCPT

export const BEHAVIOURS: readonly MailBehaviour[] = [
  'rejects_unknown', 'accept_all', 'greylist', 'slow', 'drops', 'refuses', 'primary_down', 'conn_limit', 'blocks_us', 'm365',
];

/** What DNS says about the domain. */
export type DnsShape =
  | 'mx'          // MX record(s) to its mail host(s)
  | 'a_only'      // no MX; the domain's own A record is its mail host (RFC 5321 §5.1)
  | 'null_mx'     // "MX 0 ." (RFC 7505), plus an A record for its website
  | 'nxdomain'    // not in DNS at all
  | 'servfail'    // every query answers SERVFAIL
  | 'timeout'     // every query goes unanswered
  | 'private_mx'; // MX hosts at 10.0.0.5 / 169.254.169.254 / fd00::25 (must be refused)

export const DNS_SHAPES: readonly DnsShape[] = ['mx', 'a_only', 'null_mx', 'nxdomain', 'servfail', 'timeout', 'private_mx'];

export type Mailbox = 'active' | 'full' | 'disabled';

export interface DomainSpec {
  domain: string;
  /** The pattern the company really uses. */
  pattern: Pattern;
  behaviour: MailBehaviour;
  /** Default 'mx'. */
  dns?: DnsShape;
  /** How the company's IT folded ü/ö/ä: 'strip' (muller) or 'expand' (mueller). Default 'strip'. */
  umlauts?: 'strip' | 'expand';
  /** Extra delay on this domain's greeting, MAIL and RCPT replies (added to the world's latencyMs). */
  latencyMs?: number;
  /** Per-command extra delay, on top of latencyMs (greeting, MAIL FROM, RCPT TO replies). */
  commandLatencyMs?: { greeting?: number; mail?: number; rcpt?: number };
  /** For 'slow': how long an RCPT reply takes. Default 5000 ms. */
  slowMs?: number;
  /** For 'conn_limit': sessions one client may hold at once. Default 1. */
  connLimit?: number;
  /** For 'greylist': how long the client must wait before the retry passes. Default 0 (the next try passes). */
  greylistDelayMs?: number;
  /** The server drops the connection instead of answering this RCPT (1-based, per session). */
  dropAtRcpt?: number;
  /** Offer STARTTLS. Default: the world's `starttls` (true). */
  starttls?: boolean;
  /** TTL of its DNS records. Default 300. */
  ttl?: number;
}

export interface Person {
  first: string;
  last: string;
  domain: string;
  /** The ground truth: their address, or null for someone who does not work there. */
  email: string | null;
  /** The state of their mailbox (null when they have none). */
  mailbox: Mailbox | null;
}

export interface WorldSpec {
  domains: DomainSpec[];
  people: Person[];
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32: small, fast, good enough for fixtures)

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

function pickWeighted<T extends string>(rng: () => number, mix: Partial<Record<T, number>>): T {
  const entries = Object.entries(mix) as [T, number][];
  const total = entries.reduce((n, [, w]) => n + w, 0);
  let x = rng() * total;
  for (const [k, w] of entries) {
    if ((x -= w) < 0) return k;
  }
  return entries[entries.length - 1][0];
}

// ---------------------------------------------------------------------------------------------
// Names: common ones plus the hard cases the normaliser must handle (accents, hyphens,
// apostrophes, particles, letters NFKD does not decompose).

const FIRST_NAMES = [
  'James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William',
  'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Christopher', 'Lisa',
  'Daniel', 'Nancy', 'Matthew', 'Emily', 'Anthony', 'Sofia', 'Mark', 'Olivia', 'Priya', 'Wei', 'Hiroshi', 'Ngozi',
  'Mohammed', 'Fatima', 'Lars', 'Ana', 'Pedro', 'Ingrid',
  'José', 'Zoë', 'Øystein', 'François', 'Chloé', 'Jürgen', 'Björn', 'Renée', 'Siân', 'Łukasz', 'Seán', 'Inès',
  'Jean-Luc', 'Anne-Marie', 'Marie-Claire', 'Hans-Peter',
];

const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Wilson',
  'Anderson', 'Taylor', 'Thomas', 'Moore', 'Jackson', 'Martin', 'Lee', 'Thompson', 'White', 'Kim', 'Patel', 'Okafor',
  'Ahmed', 'Rossi', 'Bianchi', 'Schmidt', 'Fischer', 'Kowalski', 'Dubois', 'Nakamura', 'Chen', 'Singh',
  'Müller', 'Schröder', 'Weiß', 'Strauß', 'Østergaard', 'Håkansson', 'Lefèvre', 'Núñez', 'Fernández', 'Wiśniewski',
  'Çelik', 'Yılmaz', 'Nguyễn', "O'Brien", "O'Neill", "D'Angelo", 'García-López', 'Smith-Jones', 'van der Berg',
  'de la Cruz', 'MacDonald',
];

const WORDS_A = ['acme', 'blue', 'north', 'bright', 'iron', 'silver', 'rapid', 'green', 'summit', 'clear', 'red', 'true', 'open', 'prime', 'stellar', 'delta', 'oak', 'cedar', 'swift', 'atlas'];
const WORDS_B = ['works', 'labs', 'systems', 'logistics', 'foods', 'health', 'capital', 'media', 'energy', 'partners', 'studio', 'robotics', 'analytics', 'group', 'supply', 'motors', 'bank', 'cloud', 'design', 'legal'];

/** Letters NFKD leaves alone, and how people's addresses usually spell them. */
const SPECIAL: Record<string, string> = { 'ß': 'ss', 'ø': 'o', 'æ': 'ae', 'œ': 'oe', 'ł': 'l', 'đ': 'd', 'ı': 'i', 'þ': 'th', 'ð': 'd' };

/** How the world's companies turn a name into a local-part token (the ground truth's spelling). */
export function asciiName(name: string, umlauts: 'strip' | 'expand' = 'strip'): string {
  let s = name.toLowerCase();
  if (umlauts === 'expand') s = s.replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue');
  s = s.replace(/[ßøæœłđıþð]/g, (c) => SPECIAL[c] ?? c);
  s = s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return s.replace(/[^a-z0-9]/g, ''); // O'Brien → obrien, García-López → garcialopez, van der Berg → vanderberg
}

export function applyPattern(pattern: Pattern, first: string, last: string): string {
  return pattern
    .replace('{first}', first)
    .replace('{last}', last)
    .replace('{f}', first.slice(0, 1))
    .replace('{l}', last.slice(0, 1));
}

export function addressFor(person: { first: string; last: string }, domain: Pick<DomainSpec, 'domain' | 'pattern' | 'umlauts'>): string {
  const first = asciiName(person.first, domain.umlauts);
  const last = asciiName(person.last, domain.umlauts);
  return `${applyPattern(domain.pattern, first, last)}@${domain.domain}`;
}

export interface GenerateOptions {
  seed: number;
  /** Number of domains. */
  domains: number;
  peoplePerDomain: number;
  behaviourMix?: Partial<Record<MailBehaviour, number>>;
  patternMix?: Partial<Record<Pattern, number>>;
  dnsMix?: Partial<Record<DnsShape, number>>;
  /** Share of people who do not work at their domain (no address). Default 0.1. */
  strangerRate?: number;
  /** Share of employees whose mailbox is full / disabled. Default 0.03 each. */
  fullRate?: number;
  disabledRate?: number;
  /** Share of domains that spell umlauts as ae/oe/ue. Default 0.3. */
  expandUmlautsRate?: number;
  /** Top-level domain for generated names. Default 'test' (RFC 2606). */
  tld?: string;
  /** For 'slow' domains. */
  slowMs?: number;
}

/** Realistic-ish defaults: most domains reject unknown users, a good share are catch-all. */
export const DEFAULT_BEHAVIOUR_MIX: Partial<Record<MailBehaviour, number>> = {
  rejects_unknown: 60, accept_all: 12, m365: 10, greylist: 5, primary_down: 4, conn_limit: 3, refuses: 2, blocks_us: 2, slow: 1, drops: 1,
};
/** Loosely from anchors-email.md §6 (the published numbers disagree; this is a prior, not a fact). */
export const DEFAULT_PATTERN_MIX: Partial<Record<Pattern, number>> = {
  '{first}.{last}': 35, '{f}{last}': 20, '{first}': 15, '{first}{last}': 8, '{first}_{last}': 4, '{f}.{last}': 4,
  '{first}{l}': 4, '{last}': 3, '{last}.{first}': 3, '{first}-{last}': 2, '{last}{f}': 2,
};
export const DEFAULT_DNS_MIX: Partial<Record<DnsShape, number>> = { mx: 92, a_only: 3, null_mx: 2, nxdomain: 2, servfail: 1 };

export function generateWorld(opts: GenerateOptions): WorldSpec {
  const rng = seededRandom(opts.seed);
  const tld = opts.tld ?? 'test';
  const domains: DomainSpec[] = [];
  const people: Person[] = [];
  const usedDomains = new Set<string>();

  for (let i = 0; i < opts.domains; i++) {
    let name: string;
    do {
      const a = pick(rng, WORDS_A);
      const b = pick(rng, WORDS_B);
      const style = rng();
      name = style < 0.5 ? `${a}${b}` : style < 0.8 ? `${a}-${b}` : `${a}${b}${Math.floor(rng() * 90) + 10}`;
      name = `${name}.${tld}`;
    } while (usedDomains.has(name));
    usedDomains.add(name);

    const spec: DomainSpec = {
      domain: name,
      pattern: pickWeighted(rng, opts.patternMix ?? DEFAULT_PATTERN_MIX),
      behaviour: pickWeighted(rng, opts.behaviourMix ?? DEFAULT_BEHAVIOUR_MIX),
      dns: pickWeighted(rng, opts.dnsMix ?? DEFAULT_DNS_MIX),
      umlauts: rng() < (opts.expandUmlautsRate ?? 0.3) ? 'expand' : 'strip',
    };
    if (spec.behaviour === 'slow' && opts.slowMs !== undefined) spec.slowMs = opts.slowMs;
    domains.push(spec);

    const taken = new Set<string>();
    for (let j = 0; j < opts.peoplePerDomain; j++) {
      const stranger = rng() < (opts.strangerRate ?? 0.1);
      // Re-draw on a clash: the ground truth stays pattern-derived (no "jsmith2").
      let first = '';
      let last = '';
      let email = '';
      for (let tries = 0; tries < 50; tries++) {
        first = pick(rng, FIRST_NAMES);
        last = pick(rng, LAST_NAMES);
        email = addressFor({ first, last }, spec);
        if (!taken.has(email)) break;
      }
      if (taken.has(email)) continue;
      taken.add(email); // strangers too, so a stranger never shares a name with an employee
      if (stranger) {
        people.push({ first, last, domain: name, email: null, mailbox: null });
        continue;
      }
      const r = rng();
      const full = opts.fullRate ?? 0.03;
      const disabled = opts.disabledRate ?? 0.03;
      const mailbox: Mailbox = r < full ? 'full' : r < full + disabled ? 'disabled' : 'active';
      people.push({ first, last, domain: name, email, mailbox });
    }
  }
  return { domains, people };
}

/**
 * One domain per behaviour and DNS shape, with known people — what the integration tests use.
 * Names are stable so tests read like the cases they cover.
 */
export function standardWorld(): WorldSpec {
  const domains: DomainSpec[] = [
    { domain: 'acme.test', pattern: '{first}.{last}', behaviour: 'rejects_unknown' },
    { domain: 'catchall.test', pattern: '{f}{last}', behaviour: 'accept_all' },
    { domain: 'greylist.test', pattern: '{first}.{last}', behaviour: 'greylist' },
    { domain: 'slow.test', pattern: '{first}.{last}', behaviour: 'slow', slowMs: 3000 },
    { domain: 'drop.test', pattern: '{first}.{last}', behaviour: 'drops' },
    { domain: 'midsession.test', pattern: '{first}.{last}', behaviour: 'rejects_unknown', dropAtRcpt: 2 },
    { domain: 'refused.test', pattern: '{first}.{last}', behaviour: 'refuses' },
    { domain: 'backup.test', pattern: '{first}{l}', behaviour: 'primary_down' },
    { domain: 'limited.test', pattern: '{first}.{last}', behaviour: 'conn_limit', connLimit: 2 },
    { domain: 'blocked.test', pattern: '{first}.{last}', behaviour: 'blocks_us' },
    { domain: 'contoso.test', pattern: '{first}.{last}', behaviour: 'm365' },
    { domain: 'plaintext.test', pattern: '{first}.{last}', behaviour: 'rejects_unknown', starttls: false },
    { domain: 'nomx.test', pattern: '{last}', behaviour: 'rejects_unknown', dns: 'a_only' },
    { domain: 'nullmx.test', pattern: '{first}', behaviour: 'rejects_unknown', dns: 'null_mx' },
    { domain: 'gone.test', pattern: '{first}', behaviour: 'rejects_unknown', dns: 'nxdomain' },
    { domain: 'servfail.test', pattern: '{first}', behaviour: 'rejects_unknown', dns: 'servfail' },
    { domain: 'silent.test', pattern: '{first}', behaviour: 'rejects_unknown', dns: 'timeout' },
    { domain: 'private.test', pattern: '{first}', behaviour: 'rejects_unknown', dns: 'private_mx' },
    { domain: 'umlaut.test', pattern: '{first}.{last}', behaviour: 'rejects_unknown', umlauts: 'expand', ttl: 120 },
  ];
  const staff: [string, string, Mailbox | null][] = [
    ['Jane', 'Doe', 'active'],
    ['José', 'Müller', 'active'],
    ['Anne-Marie', "O'Brien", 'active'],
    ['Fred', 'Full', 'full'],
    ['Dora', 'Disabled', 'disabled'],
    ['Sam', 'Stranger', null],
  ];
  const people: Person[] = [];
  for (const d of domains) {
    for (const [first, last, mailbox] of staff) {
      people.push({ first, last, domain: d.domain, email: mailbox ? addressFor({ first, last }, d) : null, mailbox });
    }
  }
  return { domains, people };
}
