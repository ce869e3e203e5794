/**
 * Company → mail domain, and facts about domains and addresses that need no network:
 * webmail / disposable / role checks, email syntax, and which provider an MX host belongs to.
 *
 * The public-suffix work is tldts (design.md §2.1: "a public-suffix-aware parser, not string
 * splitting"); URL and IDN handling is WHATWG `URL` / `domainToASCII` from Node. What is
 * hand-written here is the policy around them: which inputs are company names rather than
 * domains, what to do with an email's subdomain, which hosts are refused, and wire-safe syntax.
 */
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parse as parseDomain } from 'tldts';
import webmailDomains from 'email-providers/all.json' with { type: 'json' };
import type { Flag } from './types.ts';

// disposable-email-domains and role-based-email-addresses are CommonJS with no `exports` map.
const require = createRequire(import.meta.url);
const disposableList = require('disposable-email-domains') as string[];
const disposableWildcards = require('disposable-email-domains/wildcard.json') as string[];
const roleList = require('role-based-email-addresses') as string[];

const WEBMAIL = new Set<string>(webmailDomains as string[]);
const DISPOSABLE = new Set<string>(disposableList);
/** Domains whose every subdomain is disposable too (e.g. *.33mail.com). */
const DISPOSABLE_WILDCARD = new Set<string>(disposableWildcards);

/**
 * role-based-email-addresses lists a few words that are also common given names; a person
 * called Sydney must not have sydney@ flagged as a role address.
 */
const ROLE_NAME_EXCEPTIONS = new Set(['sydney', 'paris', 'india']);
const ROLES = new Set<string>(roleList.filter((r) => !ROLE_NAME_EXCEPTIONS.has(r)));
/** The same list with separators removed, so no-reply, no_reply and noreply all match. */
const ROLES_SQUASHED = new Set<string>([...ROLES].map((r) => r.replace(/[-._]/g, '')));

// ---------------------------------------------------------------------------------------------
// Company → domain
// ---------------------------------------------------------------------------------------------

export type DomainSource = 'email' | 'url' | 'hostname';

export type DomainResult =
  | {
      ok: true;
      /** Lowercase ASCII (IDN as punycode), no trailing dot. */
      domain: string;
      /** What the input was read as. */
      source: DomainSource;
      /** Something the user may want to know (shared hosting platform, webmail). */
      note?: string;
    }
  | { ok: false; reason: string };

export interface DomainOptions {
  /**
   * Accept special-use names (`.test`, `.example`, `.localhost`, `.invalid`) and suffixes that
   * are not on the public-suffix list (`.internal`, `.lan`). For tests and labs that run their
   * own DNS; a production lookup of such a name only wastes a DNS query.
   */
  allowReserved?: boolean;
}

/**
 * Read a company cell (a website, URL, bare domain or email address) as the domain to guess
 * addresses at.
 *
 * - URL / website / bare hostname → the **registrable** domain (`https://www.acme.co.uk/about`
 *   → `acme.co.uk`): websites live on `www.` and other subdomains that take no mail.
 * - Email address → the part after `@` **as is** (`jane@sub.acme.com` → `sub.acme.com`): a mail
 *   domain can be a subdomain (`eng.acme.com`, `uk.acme.com`) and reducing it would guess at the
 *   wrong domain.
 * - Private suffixes (github.io, herokuapp.com, uk.com) count as suffixes, so `acme.github.io`
 *   stays `acme.github.io` instead of becoming GitHub's own `github.io`.
 * - Refused, with a reason the user can act on: company names ("Acme Inc"), IP addresses,
 *   localhost, special-use and unknown suffixes (unless `allowReserved`).
 */
export function resolveCompanyDomain(input: string | null | undefined, options: DomainOptions = {}): DomainResult {
  const s = (input ?? '').normalize('NFKC').trim().replace(/^["']+|["']+$/g, '').trim();
  if (!s) return { ok: false, reason: 'no company website or domain given' };
  if (isIP(s) || isIP(s.replace(/^\[|\](:\d+)?$/g, ''))) return { ok: false, reason: ipReason(s) };
  if (/^localhost\.?(:\d+)?$/i.test(s)) return { ok: false, reason: localhostReason(s) };

  // A URL first: "http://user:pw@acme.com" has an @ but is not an email address.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('//')) {
    const host = hostOf(s.startsWith('//') ? `http:${s}` : s);
    if (host === undefined) return { ok: false, reason: `"${s}" is not a valid URL` };
    return fromHost(host, 'url', s, options);
  }

  if (s.includes('@')) {
    if (/@\[[^\]]*\]>?$/.test(s)) return { ok: false, reason: ipReason(s) };
    const email = parseEmail(s);
    if (!email) return { ok: false, reason: `"${s}" looks like an email address but is not a valid one` };
    return fromHost(email.domain, 'email', s, options);
  }

  if (/\s/.test(s) || !s.includes('.')) {
    return { ok: false, reason: companyNameReason(s) };
  }

  // Bare hostname, maybe with port or path ("acme.com:8080/about"): let URL parse it.
  const host = hostOf(`http://${s}`);
  if (host === undefined) return { ok: false, reason: `"${s}" is not a valid domain` };
  return fromHost(host, 'hostname', s, options);
}

/** `resolveCompanyDomain` without the reason, for callers that only need the domain. */
export function companyDomain(input: string | null | undefined, options: DomainOptions = {}): string | undefined {
  const r = resolveCompanyDomain(input, options);
  return r.ok ? r.domain : undefined;
}

function ipReason(s: string): string {
  return `"${s}" is an IP address, not a company domain: add the company's website or domain`;
}

function localhostReason(s: string): string {
  return `"${s}" points at this machine (localhost), not a company: add the company's website or domain`;
}

function companyNameReason(s: string): string {
  return `"${s}" is a company name, not a domain: add the company's website or domain (e.g. acme.com)`;
}

/** WHATWG URL host: lowercase, punycode for IDN, IPv4 in canonical form (0x7f.1 → 127.0.0.1). */
function hostOf(url: string): string | undefined {
  try {
    const h = new URL(url).hostname;
    return h || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a registrable name is reserved by itself (example.com, example.org, example.net). */
function isSpecialUseName(domain: string): boolean {
  return /^example\.(com|net|org)$/.test(domain);
}

function fromHost(rawHost: string, source: DomainSource, input: string, options: DomainOptions): DomainResult {
  const host = rawHost.replace(/\.$/, '').toLowerCase();
  if (/^\[.*\]$/.test(host) || host.includes(':') || isIP(host)) return { ok: false, reason: ipReason(input) };
  const ascii = domainToASCII(host);
  if (!ascii) return { ok: false, reason: `"${input}" is not a valid domain` };
  if ((ascii === 'localhost' || ascii.endsWith('.localhost')) && !options.allowReserved) {
    return { ok: false, reason: localhostReason(input) };
  }
  if (!ascii.includes('.')) return { ok: false, reason: companyNameReason(input) };
  if (ascii.length > 253 || !ascii.split('.').every((l) => LABEL.test(l))) {
    return { ok: false, reason: `"${input}" is not a valid domain` };
  }

  const p = parseDomain(ascii, { allowPrivateDomains: true, detectSpecialUse: true, extractHostname: false });
  if (p.isIp) return { ok: false, reason: ipReason(input) };
  if (!p.hostname) return { ok: false, reason: `"${input}" is not a valid domain` };
  if (!options.allowReserved) {
    if (p.isSpecialUse) {
      // tldts flags both reserved suffixes (.test, .invalid) and reserved names under real ones
      // (example.org): name whichever it is, so ".org" is never blamed.
      const reserved = p.domain && p.domain !== p.publicSuffix && isSpecialUseName(p.domain) ? p.domain : `.${p.publicSuffix}`;
      return { ok: false, reason: `"${input}" uses a reserved name (${reserved}) that no real company or mail server has` };
    }
    if (!p.isIcann && !p.isPrivate) {
      return { ok: false, reason: `"${input}" does not end in a known domain suffix (.${p.publicSuffix}): check for a typo` };
    }
  }

  let domain: string | null;
  if (source === 'email') {
    domain = p.hostname;
  } else {
    // A name with no registrable part under a known suffix ("co.uk") has domain null.
    domain = p.domain ?? (options.allowReserved && p.hostname.includes('.') ? lastTwoLabels(p.hostname) : null);
  }
  if (!domain) return { ok: false, reason: `"${input}" is a public suffix (.${p.publicSuffix}), not a company's domain` };

  const result: DomainResult = { ok: true, domain, source };
  if (isWebmail(domain)) {
    result.note = `${domain} is a free webmail provider, not a company domain`;
  } else if (p.isPrivate && p.publicSuffix) {
    result.note = `${domain} is on a shared platform (${p.publicSuffix}); the company's mail domain may be different`;
  }
  return result;
}

function lastTwoLabels(host: string): string {
  return host.split('.').slice(-2).join('.');
}

// ---------------------------------------------------------------------------------------------
// Domain and local-part lists
// ---------------------------------------------------------------------------------------------

function parents(domain: string): string[] {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  const out: string[] = [];
  for (let i = 0; i < labels.length - 1; i++) out.push(labels.slice(i).join('.'));
  return out;
}

/** A free / webmail provider (gmail.com, outlook.com, gmx.de, qq.com…), from email-providers/all.json. */
export function isWebmail(domain: string): boolean {
  return WEBMAIL.has(domain.toLowerCase().replace(/\.$/, ''));
}

/**
 * A disposable-address service (mailinator.com…), from disposable-email-domains. Entries in its
 * wildcard list also cover their subdomains (x.33mail.com).
 */
export function isDisposable(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  if (DISPOSABLE.has(d)) return true;
  return parents(d).some((p) => DISPOSABLE_WILDCARD.has(p));
}

/**
 * A role address (info, sales, support, no-reply…), from role-based-email-addresses, ignoring
 * case, a `+tag`, and `-`/`.`/`_` separators. Three given names the package lists (sydney, paris,
 * india) are not treated as roles.
 */
export function isRoleLocalPart(local: string): boolean {
  const l = local.toLowerCase().split('+')[0];
  if (!l) return false;
  return ROLES.has(l) || ROLES_SQUASHED.has(l.replace(/[-._]/g, ''));
}

/** The flags for an address: webmail, disposable, role (design.md §2.3). */
export function flagsFor(email: string): Flag[] {
  const at = email.lastIndexOf('@');
  if (at < 0) return [];
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const flags: Flag[] = [];
  if (isWebmail(domain)) flags.push('webmail');
  if (isDisposable(domain)) flags.push('disposable');
  if (isRoleLocalPart(local)) flags.push('role');
  return flags;
}

// ---------------------------------------------------------------------------------------------
// Email syntax
// ---------------------------------------------------------------------------------------------

/** RFC 5322 dot-atom with ASCII atext only: what we are willing to put in `RCPT TO:<…>`. */
const LOCAL_DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/**
 * Strict enough for the SMTP wire (anchors-email.md §8: CR/LF injection): ASCII only, exactly one
 * `@`, local part a dot-atom of at most 64 characters (RFC 5321 §4.5.3.1.1), no quoted local
 * parts, domain at most 253 characters of LDH labels with at least one dot, no IP literals, a
 * top-level label that is not all digits. Use `parseEmail` first for IDN and `mailto:` forms.
 */
export function isValidEmailSyntax(email: string): boolean {
  if (typeof email !== 'string' || email.length > 254) return false;
  if (/[\s\x00-\x1f\x7f]/.test(email) || /[^\x21-\x7e]/.test(email)) return false;
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@')) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !LOCAL_DOT_ATOM.test(local)) return false;
  if (domain.length === 0 || domain.length > 253) return false;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]);
}

export interface ParsedEmail {
  /** `local@domain`, lowercase, domain in punycode. */
  email: string;
  local: string;
  domain: string;
}

/**
 * Read an address as users paste it: `jane@acme.com`, `mailto:jane@acme.com?subject=Hi`,
 * `<jane@acme.com>`, `Jane Doe <jane@acme.com>`, `jane@bücher.de` (→ punycode), trailing dot.
 * The result is lowercased: local parts are case-sensitive in theory, but mail servers treat
 * them case-insensitively in practice, and one spelling per address keeps de-duplication and
 * learning simple. Returns undefined when the result would not pass `isValidEmailSyntax`.
 */
export function parseEmail(input: string | null | undefined): ParsedEmail | undefined {
  if (typeof input !== 'string') return undefined;
  let s = input.trim();
  // CR/LF or other control characters anywhere: an injection attempt, not an address to tidy up.
  if (/[\x00-\x1f\x7f]/.test(s)) return undefined;
  // "Jane Doe <jane@acme.com>" and "<jane@acme.com>": what is inside the last <…>.
  const angle = /<([^<>]*)>\s*$/.exec(s);
  if (angle) s = angle[1].trim();
  if (/^mailto:/i.test(s)) {
    s = s.slice(7).split('?')[0];
    try {
      s = decodeURIComponent(s);
    } catch {
      return undefined;
    }
    s = s.trim();
  }
  if (/[\x00-\x1f\x7f]/.test(s)) return undefined; // again, after percent-decoding
  const at = s.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = s.slice(0, at).toLowerCase();
  const rawDomain = s.slice(at + 1).replace(/\.$/, '');
  if (!rawDomain || /^\[/.test(rawDomain)) return undefined;
  const domain = domainToASCII(rawDomain.normalize('NFC').toLowerCase());
  if (!domain) return undefined;
  const email = `${local}@${domain}`;
  return isValidEmailSyntax(email) ? { email, local, domain } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Mail providers
// ---------------------------------------------------------------------------------------------

/**
 * Who runs a domain's mail, from its MX host names. Matters because some providers' "250 OK" to
 * `RCPT TO` is weak evidence (anchors-email.md §3.1, §5.3–4): Microsoft 365 often accepts random
 * recipients and bounces later; Yahoo accepts every RCPT.
 */
export type MailProvider = 'google' | 'microsoft365' | 'yahoo' | 'other';

const PROVIDER_PATTERNS: { provider: MailProvider; host: RegExp }[] = [
  { provider: 'microsoft365', host: /(^|\.)(mail\.protection\.outlook\.com|olc\.protection\.outlook\.com|outlook\.com|hotmail\.com)$/ },
  { provider: 'yahoo', host: /(^|\.)(yahoodns\.net|yahoo\.com)$/ },
  { provider: 'google', host: /(^|\.)(google\.com|googlemail\.com)$/ },
];

/** The provider of the first MX host that matches one; `other` when none does. */
export function mailProviderOf(mxHosts: readonly string[]): MailProvider {
  for (const raw of mxHosts) {
    const host = raw.toLowerCase().replace(/\.$/, '');
    for (const { provider, host: re } of PROVIDER_PATTERNS) if (re.test(host)) return provider;
  }
  return 'other';
}

/** Providers whose acceptance of an address proves little (see `MailProvider`). */
export const WEAK_ACCEPT_PROVIDERS: ReadonlySet<MailProvider> = new Set<MailProvider>(['microsoft365', 'yahoo']);
