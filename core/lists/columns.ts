/**
 * Which column holds what: maps a header row to the roles a lookup needs.
 *
 * Headers come from CRMs, LinkedIn exports and hand-made sheets in several languages, so a header
 * cell is compared after normalising away case, accents, spacing, punctuation and camelCase
 * ("Prénom", "first_name", "FirstName", " First-Name " all become "firstname"). A leading
 * qualifier such as "Contact" or "Lead" is ignored when the rest is a known name
 * ("Contact First Name"), and so is a trailing "(required)" or number ("Email 1").
 *
 * Header rule (used by read-csv): the first non-blank row is the header when at least one of its
 * cells maps to a role. Otherwise the file is treated as having no header row; `looksLikeData`
 * tells "this is data" (an email or a domain in it) apart from "these are column names we do not
 * know", so the user gets the right advice.
 */
import anyAscii from 'any-ascii';

export type Role = 'first' | 'last' | 'full_name' | 'company' | 'domain' | 'email';

export const ROLES: readonly Role[] = ['first', 'last', 'full_name', 'company', 'domain', 'email'];

export type ColumnMapping = Partial<Record<Role, number>>;

export interface MappedColumns {
  /** Role → 0-based column index. */
  mapping: ColumnMapping;
  /** Header cells (as written) that match no role. Blank cells are left out. */
  unknown: string[];
}

/**
 * "name"-like words whose meaning depends on the other columns:
 * - `surname_or_full`: "Name" / "Nom" / "Naam" is the last name next to a first-name column
 *   (German and French forms do this), otherwise the full name.
 * - `given_or_full`: "Nombre" / "Nome" is the first name next to a last-name column
 *   (Spanish, Italian, Portuguese), otherwise the full name.
 */
type Ambiguity = 'surname_or_full' | 'given_or_full';

interface Alias {
  role: Role;
  /** Lower wins when several columns map to one role; ties go to the leftmost column. */
  rank: number;
  ambiguity?: Ambiguity;
}

// Phrases are written naturally and normalised at load time, so "e-mail" and "email" are one key.
const ALIASES: Array<[Role, number, string[]]> = [
  ['first', 0, [
    'first', 'first name', 'given name', 'forename', 'fname',
    'prénom', 'prenom', 'vorname', 'nombre de pila', 'primer nombre', 'primeiro nome', 'voornaam', 'roepnaam',
    'förnamn', 'fornavn',
  ]],
  ['last', 0, [
    'last', 'last name', 'surname', 'family name', 'lname',
    'nom de famille', 'nachname', 'familienname', 'zuname', 'apellido', 'apellidos', 'primer apellido',
    'cognome', 'sobrenome', 'apelido', 'último nome', 'ultimo nome', 'achternaam', 'familienaam', 'efternamn', 'etternavn',
  ]],
  ['full_name', 0, [
    'full name', 'fullname', 'contact name', 'person name', 'lead name', 'prospect name', 'complete name',
    'first and last name', 'first last', 'first name last name',
    'nom complet', 'nom et prénom', 'prénom et nom', 'prénom nom', 'nom prénom',
    'vollständiger name', 'voller name', 'vor und nachname', 'vor- und nachname',
    'nombre completo', 'nombre y apellido', 'nombre y apellidos', 'nome completo', 'nome e cognome',
    'volledige naam', 'naam en achternaam',
  ]],
  // Weaker than an ambiguous "Name" (rank 1): "Contact" sometimes holds a phone or an address.
  ['full_name', 2, ['contact', 'person', 'lead', 'prospect']],
  ['company', 0, [
    'company', 'company name', 'organization', 'organisation', 'organization name', 'organisation name',
    'employer', 'account name', 'business name', 'current company', 'firm',
    'société', 'societe', 'entreprise', 'nom de l entreprise', 'nom de la société', 'nom société', 'raison sociale', 'organisme',
    'firma', 'unternehmen', 'firmenname', 'unternehmensname', 'arbeitgeber',
    'empresa', 'compañía', 'compania', 'nombre de la empresa', 'nombre empresa', 'organización',
    'azienda', 'società', 'nome azienda', 'ditta',
    'companhia', 'nome da empresa', 'organização',
    'bedrijf', 'bedrijfsnaam', 'organisatie', 'företag', 'bedrift',
  ]],
  ['company', 1, ['account', 'business', 'org']],
  ['domain', 0, [
    'domain', 'domain name', 'company domain', 'email domain', 'domaine', 'nom de domaine', 'dominio', 'domínio', 'domein', 'domäne',
  ]],
  ['domain', 1, [
    'website', 'web site', 'company website', 'company url', 'company site', 'company web site', 'url', 'site', 'web',
    'homepage', 'home page', 'web address', 'website url', 'site url',
    'site web', 'site internet', 'site de l entreprise', 'webseite', 'internetseite', 'internetadresse', 'homepage url',
    'sitio web', 'página web', 'pagina web', 'sito web', 'sito', 'sito internet', 'site da empresa', 'website da empresa',
  ]],
  ['email', 0, [
    'email', 'e-mail', 'mail', 'email address', 'e-mail address', 'work email', 'business email', 'professional email',
    'company email', 'courriel', 'adresse email', 'adresse e-mail', 'adresse mail', 'mail professionnel', 'email professionnel',
    'e-mail-adresse', 'emailadresse', 'geschäftliche e-mail',
    'correo', 'correo electrónico', 'correo electronico', 'email corporativo', 'indirizzo email', 'indirizzo e-mail',
    'posta elettronica', 'endereço de email', 'endereço de e-mail', 'e-mailadres', 'emailadres',
  ]],
];

const AMBIGUOUS: Array<[Ambiguity, string[]]> = [
  ['surname_or_full', ['name', 'nom', 'naam', 'navn', 'namn']],
  ['given_or_full', ['nombre', 'nome']],
];

/** Words put in front of a column name that do not change what it holds. */
const LEADING_QUALIFIERS = new Set([
  'contact', 'contacts', 'lead', 'leads', 'person', 'persons', 'prospect', 'customer', 'client', 'employee', 'member',
  'user', 'your', 'the', 'primary', 'main', 'work', 'business', 'professional', 'official',
]);
const TRAILING_QUALIFIERS = new Set(['required', 'optional', 'obligatoire', 'pflicht', 'obligatorio']);

/** "Prénom", " first_Name ", "FirstName" → "first name" (words kept, for qualifier stripping). */
export function normalizeHeader(cell: string): string {
  return anyAscii(cell.replace(/([a-z])([A-Z])/g, '$1 $2'))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The comparison key: normalised words joined, so "e mail", "e-mail" and "email" are equal. */
function compact(words: string): string {
  return words.replace(/ /g, '');
}

const TABLE = new Map<string, Alias>();
for (const [role, rank, phrases] of ALIASES) {
  for (const phrase of phrases) {
    const key = compact(normalizeHeader(phrase));
    if (!TABLE.has(key)) TABLE.set(key, { role, rank });
  }
}
for (const [ambiguity, words] of AMBIGUOUS) {
  for (const w of words) TABLE.set(compact(normalizeHeader(w)), { role: 'full_name', rank: 1, ambiguity });
}

/** What a single header cell means on its own, or undefined. */
function aliasOf(cell: string): Alias | undefined {
  let words = normalizeHeader(cell).split(' ').filter(Boolean);
  if (words.length === 0) return undefined;
  const direct = TABLE.get(words.join(''));
  if (direct) return direct;
  // Drop decorations one side at a time, never down to nothing ("Contact" alone is an alias itself).
  while (words.length > 1 && (TRAILING_QUALIFIERS.has(words[words.length - 1]) || /^\d+$/.test(words[words.length - 1]))) {
    words = words.slice(0, -1);
  }
  const trimmed = TABLE.get(words.join(''));
  if (trimmed) return trimmed;
  if (words.length > 1 && LEADING_QUALIFIERS.has(words[0])) {
    const found = TABLE.get(words.slice(1).join(''));
    // A qualifier in front of a weak alias ("Contact Account") says too little to trust it.
    if (found && found.rank === 0) return found;
    if (found?.ambiguity) return found;
  }
  return keywordAlias(words.join(''));
}

/**
 * Last resort for compound headers no list can foresee ("Firma Website", "Firmenwebsite",
 * "Company LinkedIn Domain"): a telling word inside the header. Weakest rank, so an exact alias
 * elsewhere in the row always wins; a domain word beats a company word ("Company URL" holds a URL).
 */
const KEYWORDS: Array<[Role, RegExp]> = [
  ['domain', /website|webseite|homepage|domain|domaine|dominio|siteweb|sitioweb|url$/],
  ['email', /^e?mail|email/],
  ['company', /company|firma|firmen|unternehmen|empresa|entreprise|societe|organi[sz]ation/],
];
// Columns that mention a telling word but hold something else: a profile link, a status flag.
const NOT_KEYWORD = /linkedin|facebook|twitter|xing|instagram|github|status|valid|verif|bounce|optin|optout|consent|count|date|score/;
function keywordAlias(key: string): Alias | undefined {
  if (NOT_KEYWORD.test(key)) return undefined;
  for (const [role, re] of KEYWORDS) if (re.test(key)) return { role, rank: 3 };
  return undefined;
}

/** The role of one header cell, ignoring its neighbours (ambiguous names give `full_name`). */
export function roleOf(cell: string): Role | undefined {
  return aliasOf(cell)?.role;
}

/**
 * Maps a header row to roles. Each role takes the best-ranked matching column, the leftmost on a
 * tie; columns that lose to a better one are neither mapped nor "unknown".
 */
export function mapColumns(header: readonly string[]): MappedColumns {
  const mapping: ColumnMapping = {};
  const best: Partial<Record<Role, number>> = {};
  const ambiguous: Array<{ index: number; ambiguity: Ambiguity }> = [];
  const unknown: string[] = [];

  header.forEach((cell, index) => {
    const alias = aliasOf(cell);
    if (!alias) {
      if (cell.trim() !== '') unknown.push(cell);
      return;
    }
    if (alias.ambiguity) {
      ambiguous.push({ index, ambiguity: alias.ambiguity });
      return;
    }
    const prev = best[alias.role];
    if (prev === undefined || alias.rank < prev) {
      best[alias.role] = alias.rank;
      mapping[alias.role] = index;
    }
  });

  // Resolved after the clear columns, because their meaning depends on them.
  for (const { index, ambiguity } of ambiguous) {
    if (ambiguity === 'surname_or_full' && mapping.first !== undefined && mapping.last === undefined) {
      mapping.last = index;
    } else if (ambiguity === 'given_or_full' && mapping.last !== undefined && mapping.first === undefined) {
      mapping.first = index;
    } else if (best.full_name === undefined || best.full_name > 1) {
      mapping.full_name = index;
      best.full_name = 1;
    }
  }
  return { mapping, unknown };
}

/** A mapping can produce lookups when it has a name and a company, or an address to verify. */
export function isUsableMapping(mapping: ColumnMapping): boolean {
  return mapping.email !== undefined || (hasName(mapping) && hasCompany(mapping));
}

function hasName(m: ColumnMapping): boolean {
  return m.full_name !== undefined || (m.first !== undefined && m.last !== undefined);
}

function hasCompany(m: ColumnMapping): boolean {
  return m.company !== undefined || m.domain !== undefined;
}

const NEED_NAME = 'a name (First name + Last name, or Full name)';
const NEED_COMPANY = 'a company (Company, Domain or Website)';

/**
 * Plain words for what the header lacks, or undefined when the mapping is usable, e.g.
 * `found columns: Phone, City; need a name (First name + Last name, or Full name) and a company
 * (Company, Domain or Website), or an Email column to verify existing addresses`.
 */
export function explainMissing(header: readonly string[], mapping: ColumnMapping): string | undefined {
  if (isUsableMapping(mapping)) return undefined;
  const needs: string[] = [];
  if (!hasName(mapping)) {
    if (mapping.first !== undefined) {
      needs.push(`a last name column next to "${header[mapping.first]}" (e.g. Last name, Nom, Nachname, Apellido; or one Full name column instead)`);
    } else if (mapping.last !== undefined) {
      needs.push(`a first name column next to "${header[mapping.last]}" (e.g. First name, Prénom, Vorname, Nombre; or one Full name column instead)`);
    } else {
      needs.push(NEED_NAME);
    }
  }
  if (!hasCompany(mapping)) needs.push(NEED_COMPANY);
  return `${describeFound(header)}; need ${needs.join(' and ')}, or an Email column to verify existing addresses`;
}

/** "found columns: A, B, C" — blank header cells shown as their position so the list adds up. */
export function describeFound(cells: readonly string[]): string {
  if (cells.length === 0) return 'found no columns';
  const shown = cells.map((c, i) => (c.trim() === '' ? `(blank column ${i + 1})` : c.trim()));
  const list = shown.length > 12 ? `${shown.slice(0, 12).join(', ')} and ${shown.length - 12} more` : shown.join(', ');
  return `found columns: ${list}`;
}

const EMAIL_LIKE = /^[^\s@,;]+@[^\s@,;]+\.[a-z]{2,}$/i;
const URL_LIKE = /^(https?:\/\/|www\.)\S+$/i;
// Dotted names with a letters-only last label ("acme.com", "acme.co.uk"), no spaces.
const DOMAIN_LIKE = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;

/** True when a row reads as data rather than column names: it holds an address or a domain. */
export function looksLikeData(cells: readonly string[]): boolean {
  return cells.some((raw) => {
    const c = raw.trim();
    return EMAIL_LIKE.test(c) || URL_LIKE.test(c) || DOMAIN_LIKE.test(c);
  });
}
