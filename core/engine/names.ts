/**
 * Name normalisation: turns what a user typed ("Dr. José García-López Jr.", "Doe, Jane",
 * "Müller", "王伟") into ASCII spellings that can go into an email local part, each with a
 * weight, so the pattern ranker can put the likely spelling first and still try the others.
 *
 * Why hand-written: any-ascii does the transliteration (José → jose, Łukasz → lukasz,
 * ß → ss), but no library knows how companies spell names *in addresses*: that Müller is
 * often `mueller`, that "van der Berg" is `vanderberg` or `berg`, that a title or a "Jr." is not
 * part of the name, that "Doe, Jane" is reversed. Those rules live here (design.md §2.1,
 * anchors-email.md §6).
 *
 * Weights are relative odds, not probabilities: the canonical spelling of each part has weight
 * 1 and an alternative with weight 0.5 is taken to be half as likely. The ranker turns them into
 * probabilities by dividing by the sum over a part's variants. They are guesses, kept as named
 * constants below so a benchmark can tune them.
 */
import anyAscii from 'any-ascii';

// ---------------------------------------------------------------------------------------------
// Weights (relative odds against the canonical spelling, which is 1)
// ---------------------------------------------------------------------------------------------

export const NAME_WEIGHTS = {
  /** Müller → mueller (DIN 5007-2 style, common in German companies' addresses). */
  germanUmlautExpansion: 0.8,
  /** Søren → soeren, Åse → aase (older Danish/Norwegian habit; less common than the plain form). */
  nordicExpansion: 0.5,
  /** García-López → garcia-lopez, with the hyphen kept in the local part. */
  hyphenKept: 0.5,
  /** García-López → garcia; van der Berg → berg; de la Cruz → cruz. */
  firstOrCoreOnly: 0.5,
  /** García-López → lopez (second part of a double surname). */
  secondPartOnly: 0.25,
  /**
   * "Gabriel García Márquez" / "Juan Carlos Pérez Gómez" in one field: the first (paternal)
   * surname is the one Spanish and Portuguese speakers use alone, so garcia is a strong guess…
   */
  iberianFirstSurname: 0.6,
  /** …and the two surnames joined (garciamarquez) a weaker one. */
  iberianJoinedSurnames: 0.3,
  /** Jean-Luc → jean (first part of a hyphenated given name). */
  firstGivenPartOnly: 0.4,
  /** "Mary Jane" typed in the First column → maryjane. */
  joinedGivenNames: 0.3,
  /** "J. Robert Smith": the person probably goes by Robert. */
  middleAsFirst: 0.6,
  /** A nickname written by the user: Robert "Bob" Smith, Robert (Bob) Smith. */
  statedNickname: 0.5,
  /** William → bill from the table below: a low-prior extra. */
  nickname: 0.1,
  /** Bill → william: the formal name HR systems often use. */
  formalFromNickname: 0.1,
  /** Korean surname written in Revised Romanization by any-ascii (gim) when kim is usual. */
  koreanRevisedRomanization: 0.4,
} as const;

/** At most this many spellings per part, so candidates stay a short list. */
export const MAX_VARIANTS_PER_PART = 6;

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** One spelling of a name part. `value` is [a-z0-9], or [a-z0-9-] for a hyphen-kept variant. */
export interface Variant {
  value: string;
  weight: number;
}

export interface ParsedName {
  /** Given-name spellings, best first; the first has weight 1. Empty when only a surname is known. */
  firsts: Variant[];
  /** Surname spellings, best first; the first has weight 1. Empty for a single-word name. */
  lasts: Variant[];
  /** First middle name, normalised (for display and for `{m}`). */
  middle?: string;
  /** First letter of the first middle name, for `{f}{m}{last}`-style patterns. */
  middleInitial?: string;
}

export type NameResult = { ok: true; name: ParsedName } | { ok: false; reason: string };

/** Cells as the user gave them (same field names as `FindInput`). */
export interface NameInput {
  first?: string | null;
  last?: string | null;
  full_name?: string | null;
}

/** How an address spells a name's German umlauts: Müller → mueller (`expand`) or muller (`plain`). */
export type UmlautStyle = 'expand' | 'plain';

/**
 * Which umlaut spelling an address uses for this person's name, or undefined when the name has
 * no ä/ö/ü or the address shows neither spelling (an initial, a nickname). Learned per domain
 * like its pattern: a company writes every Müller the same way.
 */
export function umlautStyleIn(cells: NameInput, localPart: string): UmlautStyle | undefined {
  const local = localPart.toLowerCase();
  const words = [cells.first, cells.last, cells.full_name]
    .flatMap((c) => (c ?? '').normalize('NFC').split(/[\s\-']+/))
    .filter((w) => GERMAN_UMLAUT.test(w));
  let style: UmlautStyle | undefined;
  for (const w of words) {
    const expanded = toAsciiToken(expandUmlauts(w));
    const plain = toAsciiToken(w);
    if (expanded.length >= 3 && local.includes(expanded)) return 'expand';
    if (plain.length >= 3 && local.includes(plain)) style = 'plain';
  }
  return style;
}

/** Whether a name has German umlauts, so that its spelling convention matters. */
export function hasUmlauts(cells: NameInput): boolean {
  return GERMAN_UMLAUT.test([cells.first, cells.last, cells.full_name].join(' ').normalize('NFC'));
}

export interface NameOptions {
  /**
   * Put Müller → mueller first instead of muller (weight 1 vs `germanUmlautExpansion`).
   * A caller that knows the company is German-speaking (e.g. a .de/.at/.ch domain) can set it.
   */
  preferUmlautExpansion?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Word lists (hand-kept: no npm package covers them for this purpose)
// ---------------------------------------------------------------------------------------------

/** Titles dropped from the start of a name (compared without dots, lowercase). */
const TITLES = new Set([
  'dr', 'doctor', 'prof', 'professor', 'mr', 'mrs', 'ms', 'miss', 'mx', 'sir', 'dame', 'lord',
  'lady', 'rev', 'revd', 'reverend', 'pastor', 'rabbi', 'imam', 'hon', 'honorable', 'honourable',
  'captain', 'colonel', 'sgt', 'cmdr', 'herr', 'frau', 'mme', 'mlle', 'dott', 'dottssa', 'dipling',
]);

/**
 * Titles that are also given names or surnames (Eng, Ing, Gen, Col…): dropped only when written
 * with a dot ("Ing. Petr Novák", "Gen. Smith"), so "Eng Lim Goh" keeps his name.
 */
const DOTTED_TITLES = new Set(['ing', 'eng', 'gen', 'col', 'maj', 'lt', 'capt', 'fr', 'sr', 'sra', 'srta', 'mag', 'dipl', 'adm']);

/**
 * Suffixes and credentials dropped from the end. Deliberately missing: short tokens that are
 * also surnames (Ma, Do, Ba, V), so "Jack Ma" keeps his name. A suffix is also never dropped
 * when it is the only word left.
 */
const SUFFIXES = new Set([
  'jr', 'jnr', 'sr', 'snr', 'ii', 'iii', 'iv', 'phd', 'md', 'mba', 'cpa', 'esq', 'esquire', 'dds',
  'dmd', 'jd', 'llm', 'llb', 'cfa', 'cfp', 'pe', 'rn', 'pmp', 'msc', 'bsc', 'mphil', 'dphil', 'frcs',
  'obe', 'mbe', 'cbe', 'kbe', 'ret', 'facs', 'faia', 'aia', 'shrm', 'cissp', 'sphr', 'phr', 'dvm',
  'od', 'edd', 'psyd', 'mph', 'msw', 'lcsw', 'ceng', 'frsa',
]);

/**
 * Surname particles: joined into the surname ("van der Berg" → vanderberg) and also dropped
 * (→ berg), as Saber does (anchors-email.md §6). Compared against the *original* word
 * (lowercased), so the Vietnamese middle name "Văn" is not taken for Dutch "van".
 */
const PARTICLES = new Set([
  'van', 'von', 'der', 'den', 'de', 'del', 'della', 'dela', 'di', 'da', 'das', 'dos', 'do', 'du',
  'la', 'le', 'lo', 'ten', 'ter', 'te', 'zu', 'bin', 'binti', 'ibn', 'bint', 'al', 'el', 'mac', 'mc',
  'st', 'saint', "o'", "d'",
]);

/** Cells that mean "no value". */
const PLACEHOLDERS = new Set(['', 'na', 'n/a', 'none', 'null', 'nil', 'undefined', 'unknown', '-', '--', '?', 'tbd', 'x']);

/**
 * A small nickname table (formal → nicknames), English first with a few European names. It is
 * deliberately short: nicknames are low-prior extras, and a long table would flood candidates.
 */
const NICKNAMES: Record<string, string[]> = {
  william: ['bill', 'will', 'billy'],
  robert: ['bob', 'rob', 'bobby'],
  elizabeth: ['liz', 'beth', 'betty', 'eliza'],
  katherine: ['kate', 'kathy', 'katie'],
  catherine: ['cathy', 'kate', 'cat'],
  kathryn: ['kate', 'kathy'],
  margaret: ['maggie', 'meg', 'peggy'],
  michael: ['mike', 'mick'],
  james: ['jim', 'jimmy', 'jamie'],
  richard: ['rich', 'rick', 'richie'],
  thomas: ['tom', 'tommy'],
  christopher: ['chris'],
  christine: ['chris', 'tina'],
  christina: ['chris', 'tina'],
  jonathan: ['jon'],
  joseph: ['joe', 'joey'],
  daniel: ['dan', 'danny'],
  matthew: ['matt'],
  anthony: ['tony'],
  andrew: ['andy', 'drew'],
  benjamin: ['ben'],
  samuel: ['sam'],
  samantha: ['sam'],
  nicholas: ['nick'],
  alexander: ['alex'],
  alexandra: ['alex'],
  edward: ['ed', 'ted', 'eddie'],
  charles: ['charlie', 'chuck'],
  jennifer: ['jen', 'jenny'],
  patricia: ['pat', 'patty', 'trish'],
  patrick: ['pat'],
  susan: ['sue'],
  deborah: ['deb', 'debbie'],
  rebecca: ['becky'],
  stephen: ['steve'],
  steven: ['steve'],
  timothy: ['tim'],
  gregory: ['greg'],
  jeffrey: ['jeff'],
  kenneth: ['ken'],
  ronald: ['ron'],
  donald: ['don'],
  douglas: ['doug'],
  lawrence: ['larry'],
  gerald: ['jerry'],
  peter: ['pete'],
  frederick: ['fred'],
  victoria: ['vicky', 'tori'],
  jessica: ['jess'],
  abigail: ['abby'],
  pamela: ['pam'],
  cynthia: ['cindy'],
  kimberly: ['kim'],
  zachary: ['zach'],
  nathaniel: ['nate', 'nat'],
  nathan: ['nate'],
  joshua: ['josh'],
  david: ['dave'],
  phillip: ['phil'],
  philip: ['phil'],
  raymond: ['ray'],
  theodore: ['ted', 'theo'],
  jacqueline: ['jackie'],
  vincent: ['vince'],
  maximilian: ['max'],
  gabriel: ['gabe'],
  giuseppe: ['beppe'],
  francisco: ['paco'],
  alejandro: ['alex'],
  aleksandr: ['sasha'],
};

/** Built once from NICKNAMES: nickname → formal names. */
const FORMAL_NAMES: Map<string, string[]> = (() => {
  const m = new Map<string, string[]>();
  for (const [formal, nicks] of Object.entries(NICKNAMES)) {
    for (const n of nicks) m.set(n, [...(m.get(n) ?? []), formal]);
  }
  return m;
})();

/**
 * any-ascii romanises Hangul in Revised Romanization (김 → gim), but most Koreans spell their
 * surname the older way in email addresses (kim, lee, park). The ten most common surnames cover
 * about two thirds of Koreans; beyond that the any-ascii spelling stands alone.
 */
const KOREAN_SURNAMES: Record<string, string> = {
  // any-ascii spelling → usual spelling (박 comes out as "bag": it romanises the final ㄱ as g).
  gim: 'kim', i: 'lee', bag: 'park', bak: 'park', choe: 'choi', jeong: 'jung', gang: 'kang',
  jo: 'cho', yun: 'yoon', im: 'lim', gwon: 'kwon', sin: 'shin', o: 'oh', yu: 'yoo', an: 'ahn',
};

/** Two-character Chinese family names; every other Han name is read as one-character family name. */
const CHINESE_COMPOUND_SURNAMES = new Set(['欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '令狐', '慕容', '司徒', '夏侯', '歐陽', '諸葛']);

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const HYPHENS = /[-‐‑‒–—]/;
const APOSTROPHES = /['’ʼ`´‘]/g;
const CJK = /^[\p{Script=Han}\p{Script=Hangul}\s]+$/u;
const HANGUL = /\p{Script=Hangul}/u;
/**
 * Letters only Vietnamese uses (horn vowels, stacked tone marks). Not đ (Croatian Đorđe) nor
 * plain ă (Romanian Ștefănescu).
 */
const VIETNAMESE = /[ắằẳẵặơớờởỡợưứừửữựạảấầẩẫậẹẻẽếềểễệỉịọỏốồổỗộụủỳỵỷỹ]/iu;

/** Lowercase, no dots: how titles and suffixes are compared ("Ph.D." → phd). */
function bare(word: string): string {
  return word.normalize('NFC').toLowerCase().replace(/\./g, '').replace(APOSTROPHES, '');
}

/**
 * One word to ASCII [a-z0-9]: any-ascii transliteration, lowercase, apostrophes and everything
 * else outside [a-z0-9] removed (O'Brien → obrien).
 */
export function toAsciiToken(word: string): string {
  // Most name words are plain ASCII letters already: the same answer without normalising,
  // transliterating and three passes of regular expressions (a 100,000-row import checks every name).
  if (/^[A-Za-z0-9]*$/.test(word)) return word.toLowerCase();
  // Emoji and symbols first: any-ascii spells them out (🙂 → ":slightly_smiling_face:").
  const letters = word.normalize('NFC').replace(/[\p{Extended_Pictographic}\p{S}]/gu, '');
  return anyAscii(letters).toLowerCase().replace(/[^a-z0-9]/g, '');
}

const GERMAN_EXPANSIONS: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue' };
const GERMAN_UMLAUT = /[äöüÄÖÜ]/;
/** Müller → Mueller (DIN 5007-2). */
const expandUmlauts = (word: string) => word.normalize('NFC').replace(/[äöüÄÖÜ]/g, (c) => GERMAN_EXPANSIONS[c]!);
const NORDIC_EXPANSIONS: Record<string, string> = { ø: 'oe', Ø: 'Oe', å: 'aa', Å: 'Aa' };

/** A spelling style applied to every word of a name part, so "Müller-Lüdenscheidt" stays consistent. */
interface Style {
  weight: number;
  apply: (word: string) => string;
}

function stylesFor(words: string[], options: NameOptions): Style[] {
  const text = words.join(' ').normalize('NFC');
  const plain: Style = { weight: 1, apply: (w) => w };
  const styles: Style[] = [plain];
  if (GERMAN_UMLAUT.test(text)) {
    const german: Style = { weight: NAME_WEIGHTS.germanUmlautExpansion, apply: expandUmlauts };
    if (options.preferUmlautExpansion) {
      german.weight = 1;
      plain.weight = NAME_WEIGHTS.germanUmlautExpansion;
    }
    styles.push(german);
  }
  if (/[øØåÅ]/.test(text)) {
    styles.push({
      weight: NAME_WEIGHTS.nordicExpansion,
      apply: (w) => w.normalize('NFC').replace(/[øØåÅ]/g, (c) => NORDIC_EXPANSIONS[c]),
    });
  }
  return styles;
}

/** Keep the best weight per value, sort best first, scale so the best is 1, cap the count. */
function finish(variants: Variant[]): Variant[] {
  const best = new Map<string, number>();
  for (const v of variants) {
    if (!v.value || !/[a-z0-9]/.test(v.value)) continue;
    best.set(v.value, Math.max(best.get(v.value) ?? 0, v.weight));
  }
  const list = [...best].map(([value, weight]) => ({ value, weight }));
  // Stable, deterministic order: weight, then shorter, then alphabetical.
  list.sort((a, b) => b.weight - a.weight || a.value.length - b.value.length || a.value.localeCompare(b.value));
  const top = list[0]?.weight ?? 1;
  return list.slice(0, MAX_VARIANTS_PER_PART).map((v) => ({ value: v.value, weight: round(v.weight / top) }));
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Spellings of one name part
// ---------------------------------------------------------------------------------------------

/**
 * Spellings of a surname made of one or more words ("López", "García-López", "van der Berg",
 * "García López"). Joined is canonical (vanderberg, garcialopez); the hyphen-kept form, the core
 * without particles, and each part of a double surname are lower-weight alternatives.
 */
function surnameVariants(words: string[], options: NameOptions): Variant[] {
  const out: Variant[] = [];
  // Particles lead the surname; everything from the first non-particle on is the core.
  let coreStart = 0;
  while (coreStart < words.length - 1 && isParticle(words[coreStart])) coreStart++;
  const hangul = words.some((w) => HANGUL.test(w));

  for (const style of stylesFor(words, options)) {
    const w = style.weight;
    // Each word split at hyphens, each piece transliterated; pieces that vanish are dropped.
    const pieces = words.map((word) => word.split(HYPHENS).map((p) => toAsciiToken(style.apply(p))).filter(Boolean));
    const core = pieces.slice(coreStart);
    const all = pieces.flat();
    const coreParts = core.flat();
    if (all.length === 0) continue;

    out.push({ value: all.join(''), weight: w });
    const hyphenated = pieces.filter((p) => p.length > 0).map((p) => p.join('-')).join('');
    if (pieces.some((p) => p.length > 1)) {
      out.push({ value: hyphenated, weight: w * NAME_WEIGHTS.hyphenKept });
    }
    if (coreStart > 0 && coreParts.length > 0) {
      out.push({ value: coreParts.join(''), weight: w * NAME_WEIGHTS.firstOrCoreOnly });
    }
    if (coreParts.length > 1) {
      out.push({ value: coreParts[0], weight: w * NAME_WEIGHTS.firstOrCoreOnly });
      out.push({ value: coreParts[coreParts.length - 1], weight: w * NAME_WEIGHTS.secondPartOnly });
    }
  }

  if (hangul) {
    // Korean surnames: the popular spelling becomes canonical, RR stays as an alternative.
    for (const v of [...out]) {
      const popular = KOREAN_SURNAMES[v.value];
      if (popular && popular !== v.value) {
        out.push({ value: popular, weight: v.weight });
        v.weight *= NAME_WEIGHTS.koreanRevisedRomanization;
      }
    }
  }
  return out;
}

/** Spellings of a given name ("José", "Jean-Luc", "Müller"-style umlauts). */
function givenVariants(word: string, options: NameOptions): Variant[] {
  const out: Variant[] = [];
  for (const style of stylesFor([word], options)) {
    const parts = word.split(HYPHENS).map((p) => toAsciiToken(style.apply(p))).filter(Boolean);
    if (parts.length === 0) continue;
    out.push({ value: parts.join(''), weight: style.weight });
    if (parts.length > 1) {
      out.push({ value: parts.join('-'), weight: style.weight * NAME_WEIGHTS.hyphenKept });
      out.push({ value: parts[0], weight: style.weight * NAME_WEIGHTS.firstGivenPartOnly });
    }
  }
  return out;
}

function isParticle(word: string): boolean {
  const w = word.normalize('NFC').toLowerCase().replace(/’/g, "'");
  return PARTICLES.has(w) || PARTICLES.has(w.replace(/\.$/, ''));
}

function isTitle(word: string): boolean {
  const b = bare(word);
  return TITLES.has(b) || (DOTTED_TITLES.has(b) && word.includes('.'));
}

function isSuffix(word: string): boolean {
  return SUFFIXES.has(bare(word).replace(/,$/, ''));
}

/** "A." or "A" (one letter, optional dot): an initial. */
function isInitial(word: string): boolean {
  return toAsciiToken(word).length === 1 && /^\p{L}\.?$/u.test(word.normalize('NFC'));
}

// ---------------------------------------------------------------------------------------------
// Reading the input
// ---------------------------------------------------------------------------------------------

/** What the input says, before spellings: words of the given name, middles and surname. */
interface Reading {
  given?: string;
  givenExtra: string[]; // more words typed in the First column ("Mary Jane")
  middles: string[];
  surname: string[];
  nicknames: string[]; // stated by the user in quotes or parentheses
  /** Alternative surnames for "Gabriel García Márquez"-style names in one field. */
  surnameGuesses: { words: string[]; weight: number }[];
}

function clean(cell: string | null | undefined): string | undefined {
  if (cell == null) return undefined;
  const s = String(cell).normalize('NFKC').replace(/[\s\u00a0]+/g, ' ').trim();
  if (PLACEHOLDERS.has(s.toLowerCase())) return undefined;
  return s;
}

/** Pull `"Bob"` / `(Bob)` out of a name: they are nicknames, not name parts. */
function takeNicknames(s: string, into: string[]): string {
  return s
    .replace(/\(([^)]*)\)/g, (_, n: string) => (into.push(n.trim()), ' '))
    .replace(/["“”„]([^"“”„]+)["“”„]/g, (_, n: string) => (into.push(n.trim()), ' '))
    .replace(/[()"“”„]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function words(s: string): string[] {
  // "O' Brien" → "O'Brien": an apostrophe particle written apart belongs to the next word.
  return s
    .replace(/\b([OoDd]['’])\s+/g, '$1')
    .split(/[\s,]+/)
    // Words without a letter ("2", "&", "-") are CRM noise, not name parts.
    .filter((w) => /\p{L}/u.test(w));
}

/** Drop leading titles while at least `keep` words remain. */
function dropTitles(ws: string[], keep = 1): string[] {
  let i = 0;
  while (i < ws.length - keep && isTitle(ws[i])) i++;
  return ws.slice(i);
}

/** Drop trailing suffixes while at least `keep` words remain. */
function dropSuffixes(ws: string[], keep = 1): string[] {
  let end = ws.length;
  while (end > keep && isSuffix(ws[end - 1])) end--;
  return ws.slice(0, end);
}

/** Han or Hangul written without spaces: family name first, the rest is the given name. */
function splitCjk(word: string): { family: string; given: string } | undefined {
  const chars = [...word];
  if (chars.length < 2) return undefined;
  const two = chars.slice(0, 2).join('');
  const familyLen = CHINESE_COMPOUND_SURNAMES.has(two) && chars.length > 2 ? 2 : 1;
  return { family: chars.slice(0, familyLen).join(''), given: chars.slice(familyLen).join('') };
}

/** A full name in one field: "Dr. Jane A. Doe Jr.", "Doe, Jane", "Jan van der Berg", "王伟". */
function readFullName(raw: string, nicknames: string[]): Reading | undefined {
  const s = takeNicknames(raw, nicknames);
  // Commas: "Doe, Jane" reverses; "Jane Doe, PhD" and "Doe, Jane, Jr." only carry suffixes.
  const parts = s
    .split(',')
    .map((p) => p.trim())
    .filter((p, i) => p && (i === 0 || !words(p).every(isSuffix)));

  if (parts.length >= 2) {
    const surname = dropSuffixes(dropTitles(words(parts[0])));
    const given = dropSuffixes(dropTitles(words(parts.slice(1).join(' '))));
    if (given.length === 0) return surname.length ? { givenExtra: [], middles: [], surname, nicknames, surnameGuesses: [] } : undefined;
    return { given: given[0], givenExtra: [], middles: given.slice(1), surname, nicknames, surnameGuesses: [] };
  }

  // Suffixes go only while two words remain: in "Jane Doe Jr." Jr. goes, in "Jane Jr" it may be a name.
  const ws = dropSuffixes(dropTitles(words(parts[0] ?? '')), 2);
  if (ws.length === 0) return undefined;
  // "St. John Smith": a given name that starts with Saint is one name (stjohn).
  if (ws.length >= 3 && /^(st\.?|saint)$/i.test(ws[0])) ws.splice(0, 2, `${ws[0]}${ws[1]}`);

  // CJK in its own script: family name first (王伟, 김민준, "王 伟").
  if (CJK.test(ws.join(' '))) {
    if (ws.length >= 2) return { given: ws.slice(1).join(''), givenExtra: [], middles: [], surname: [ws[0]], nicknames, surnameGuesses: [] };
    const split = splitCjk(ws[0]);
    if (split) return { given: split.given, givenExtra: [], middles: [], surname: [split.family], nicknames, surnameGuesses: [] };
  }

  if (ws.length === 1) return { given: ws[0], givenExtra: [], middles: [], surname: [], nicknames, surnameGuesses: [] };

  // Vietnamese, recognised by letters only Vietnamese uses, is written family name first:
  // "Nguyễn Văn An" is An (given), Văn (middle), Nguyễn (family).
  if (VIETNAMESE.test(ws.join(' '))) {
    return { given: ws[ws.length - 1], givenExtra: [], middles: ws.slice(1, -1), surname: [ws[0]], nicknames, surnameGuesses: [] };
  }

  // The surname is the last word plus the particles before it; never the first word.
  let start = ws.length - 1;
  while (start > 1 && isParticle(ws[start - 1])) start--;
  const surname = ws.slice(start);
  const middles = ws.slice(1, start);
  const surnameGuesses: Reading['surnameGuesses'] = [];
  // Spanish/Portuguese double surnames without a hyphen ("Gabriel García Márquez", "Juan Carlos
  // Pérez Gómez"). Only with a hint (four words, or Iberian accents), because in "Jane Ann Doe"
  // the middle word is a middle name and guessing "anndoe" would only dilute "doe".
  const penult = middles[middles.length - 1];
  const iberian = ws.length >= 4 || /[áéíóúñãõç]/i.test(ws.join(' '));
  if (iberian && start === ws.length - 1 && penult && !isInitial(penult)) {
    surnameGuesses.push(
      { words: [penult], weight: NAME_WEIGHTS.iberianFirstSurname },
      { words: [penult, ...surname], weight: NAME_WEIGHTS.iberianJoinedSurnames },
    );
  }
  return { given: ws[0], givenExtra: [], middles, surname, nicknames, surnameGuesses };
}

/** First and last in their own columns (either may hold extra words). */
function readColumns(first: string | undefined, last: string | undefined, nicknames: string[]): Reading {
  const given = first ? dropSuffixes(dropTitles(words(takeNicknames(first, nicknames)))) : [];
  const surname = last ? dropSuffixes(dropTitles(words(takeNicknames(last, nicknames)))) : [];
  // "Jane A." → middle initial; "Mary Jane" → middle Jane, and maryjane as a low-prior first.
  const extra = given.slice(1);
  return {
    given: given[0],
    givenExtra: extra.filter((w) => !isInitial(w)),
    middles: extra,
    surname,
    nicknames,
    surnameGuesses: [],
  };
}

function looksLikeEmail(s: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s);
}

/**
 * Normalise a person's name into weighted ASCII spellings.
 *
 * Accepts separate first/last cells, a full name in one cell, or a plain string. When first and
 * last are both given they win over `full_name`; a full name fills in whichever is missing. A
 * first or last cell that holds several words with no partner cell is read as a full name.
 */
export function parseName(input: NameInput | string, options: NameOptions = {}): NameResult {
  const cells: NameInput = typeof input === 'string' ? { full_name: input } : input;
  const first = clean(cells.first);
  const last = clean(cells.last);
  const full = clean(cells.full_name);

  for (const cell of [first, last, full]) {
    if (cell && looksLikeEmail(cell)) {
      return { ok: false, reason: `"${cell}" is an email address, not a name: put it in the email column to verify it` };
    }
  }

  const nicknames: string[] = [];
  let reading: Reading | undefined;
  if (first && last) {
    reading = readColumns(first, last, nicknames);
  } else if (full) {
    reading = readFullName(full, nicknames);
    if (reading && (first || last)) {
      // One explicit cell plus a full name: the explicit cell wins for its part.
      const cols = readColumns(first, last, []);
      if (first && cols.given) reading = { ...reading, given: cols.given, middles: cols.middles.length ? cols.middles : reading.middles };
      if (last && cols.surname.length) reading = { ...reading, surname: cols.surname, surnameGuesses: [] };
    }
  } else if (first || last) {
    const only = (first ?? last) as string;
    if (/[\s,]/.test(only.trim())) {
      reading = readFullName(only, nicknames);
    } else if (first) {
      reading = readColumns(first, undefined, nicknames);
    } else {
      reading = readColumns(undefined, last, nicknames);
    }
  }
  if (!reading) {
    return first || last || full
      ? { ok: false, reason: 'the name has no letters that can go into an email address' }
      : { ok: false, reason: 'no name given: add a first and last name, or a full name' };
  }

  return build(reading, options);
}

function build(r: Reading, options: NameOptions): NameResult {
  const firsts: Variant[] = [];
  const lasts: Variant[] = [];

  if (r.given) firsts.push(...givenVariants(r.given, options));
  const middleTokens = r.middles.map((m) => toAsciiToken(m.split(HYPHENS).join(''))).filter(Boolean);

  // "J. Robert Smith": an initial first with a full middle name — the person likely goes by it.
  if (r.given && isInitial(r.given) && r.middles[0] && !isInitial(r.middles[0])) {
    for (const v of givenVariants(r.middles[0], options)) firsts.push({ value: v.value, weight: v.weight * NAME_WEIGHTS.middleAsFirst });
  }
  // "Mary Jane" typed as the first name: maryjane is a possible spelling too.
  if (r.given && r.givenExtra.length) {
    const joined = [r.given, ...r.givenExtra].map(toAsciiToken).join('');
    firsts.push({ value: joined, weight: NAME_WEIGHTS.joinedGivenNames });
  }
  for (const n of r.nicknames) {
    const v = toAsciiToken(n);
    if (/[a-z]/.test(v)) firsts.push({ value: v, weight: NAME_WEIGHTS.statedNickname });
  }
  const canonicalFirst = firsts[0]?.value;
  if (canonicalFirst) {
    for (const nick of NICKNAMES[canonicalFirst] ?? []) firsts.push({ value: nick, weight: NAME_WEIGHTS.nickname });
    for (const formal of FORMAL_NAMES.get(canonicalFirst) ?? []) firsts.push({ value: formal, weight: NAME_WEIGHTS.formalFromNickname });
  }

  if (r.surname.length) lasts.push(...surnameVariants(r.surname, options));
  for (const guess of r.surnameGuesses) {
    // Only the joined spelling of a guess: its parts are already the canonical surname and the guess itself.
    const joined = surnameVariants(guess.words, options)[0];
    if (joined) lasts.push({ value: joined.value, weight: joined.weight * guess.weight });
  }

  const name: ParsedName = { firsts: finish(firsts), lasts: finish(lasts) };
  if (middleTokens[0]) {
    name.middle = middleTokens[0];
    name.middleInitial = middleTokens[0][0];
  }
  if (name.firsts.length === 0 && name.lasts.length === 0) {
    return { ok: false, reason: 'the name has no letters that can go into an email address' };
  }
  if (![...name.firsts, ...name.lasts].some((v) => /[a-z]/.test(v.value))) {
    return { ok: false, reason: 'the name has no letters, only digits or symbols' };
  }
  return { ok: true, name };
}
