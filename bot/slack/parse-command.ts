/**
 * `/toofr …` text → what the user asked for. Slack sends the text entity-escaped (&amp; &lt; &gt;)
 * and, depending on the manifest's should_escape and the client, with links and addresses wrapped
 * as `<mailto:jane@acme.com|jane@acme.com>` or `<http://acme.com|acme.com>`; both are unwrapped
 * first, so every form below works however Slack formatted it.
 */
import type { FindInput } from '../../core/engine/types.ts';

export type Command =
  | { kind: 'help' }
  | { kind: 'usage'; problem: string }
  | { kind: 'find'; input: FindInput; label: string }
  | { kind: 'verify'; email: string }
  | { kind: 'pattern'; domain: string }
  | { kind: 'company'; domain: string }
  | { kind: 'lists' };

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
// acme.com, www.acme.co.uk, https://acme.com/about, acme.com/path
const DOMAIN_OR_URL = /^(https?:\/\/)?([a-z0-9-]+\.)+[a-z]{2,}(:\d+)?(\/\S*)?$/i;

/** `<mailto:a@b.c|a@b.c>` → a@b.c, `<http://x.com|x.com>` → http://x.com, `<@U123|jane>` → jane; then entities. */
export function unescapeSlackText(text: string): string {
  const unwrapped = text.replace(/<([^<>|]*)(?:\|([^<>]*))?>/g, (_m, target: string, label: string | undefined) => {
    if (target.startsWith('mailto:')) return target.slice('mailto:'.length);
    if (/^https?:\/\//i.test(target)) return target;
    return label ?? target.replace(/^[@#!]/, '');
  });
  return unwrapped.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\u00a0/g, ' ');
}

/** https://www.Acme.com/about → acme.com (the engine reduces it further to the registrable domain). */
export function hostOf(value: string): string {
  return value.trim().replace(/^https?:\/\//i, '').replace(/^www\./i, '').split(/[/:?#]/)[0]!.toLowerCase();
}

export function parseCommand(raw: string): Command {
  const text = unescapeSlackText(raw ?? '').trim().replace(/\s+/g, ' ');
  if (text === '' || /^(help|\?|-h|--help)$/i.test(text)) return { kind: 'help' };
  const [head, ...rest] = text.split(' ');
  const word = head!.toLowerCase();

  if (word === 'lists' || word === 'list') return rest.length ? usage('`lists` takes nothing after it.') : { kind: 'lists' };

  if (word === 'verify') {
    const email = bare(rest.join(' ').trim());
    if (rest.length !== 1 || !EMAIL.test(email)) return usage(email ? `\`${email}\` is not an email address.` : 'Say which address to verify.');
    return { kind: 'verify', email: email.toLowerCase() };
  }

  if (word === 'pattern') {
    const value = bare(rest.join(' ').trim());
    if (rest.length !== 1 || !DOMAIN_OR_URL.test(value)) return usage(value ? `\`${value}\` is not a domain such as acme.com.` : 'Say which domain, e.g. `pattern acme.com`.');
    return { kind: 'pattern', domain: hostOf(value) };
  }

  if (word === 'company') {
    const value = bare(rest.join(' ').trim());
    if (rest.length !== 1 || !(DOMAIN_OR_URL.test(value) || EMAIL.test(value))) {
      return usage(value ? `\`${value}\` is not a domain such as acme.com (a website or an email address at the company works too).` : 'Say which company, e.g. `company acme.com`.');
    }
    // An address → its domain; a website → its host (the worker reduces it to the registrable domain).
    return { kind: 'company', domain: EMAIL.test(value) ? value.slice(value.lastIndexOf('@') + 1).toLowerCase() : hostOf(value) };
  }

  // A lone address: the only useful thing to do with it is to verify it.
  if (rest.length === 0 && EMAIL.test(text)) return { kind: 'verify', email: text.toLowerCase() };

  // "<full name>, <company>"
  const comma = text.indexOf(',');
  if (comma > 0) {
    const name = text.slice(0, comma).trim();
    const company = text.slice(comma + 1).trim();
    if (!name || !company) return usage('Put the name before the comma and the company after it: `Jane Doe, Acme Inc`.');
    if (!/\s/.test(name)) return usage(`"${name}" needs a first and a last name.`);
    return { kind: 'find', input: { full_name: name, ...companyField(company) }, label: `${name} at ${company}` };
  }

  const words = text.split(' ');
  if (words.length < 3) {
    return usage(words.length === 2 && DOMAIN_OR_URL.test(words[1]!)
      ? `"${words[0]}" needs a last name too: \`/toofr ${words[0]} Doe ${words[1]}\`.`
      : 'Give a first name, a last name and a company or domain.');
  }
  const last = words[words.length - 1]!;
  if (DOMAIN_OR_URL.test(last)) {
    // "Jean Claude Van Damme acme.com": everything before the domain is the name.
    const name = words.slice(0, -1);
    const input: FindInput = name.length === 2 ? { first: name[0], last: name[1], domain: hostOf(last) } : { full_name: name.join(' '), domain: hostOf(last) };
    return { kind: 'find', input, label: `${name.join(' ')} at ${hostOf(last)}` };
  }
  // "Jane Doe Acme Inc": two words of name, the rest is the company.
  const company = words.slice(2).join(' ');
  return { kind: 'find', input: { first: words[0], last: words[1], company }, label: `${words[0]} ${words[1]} at ${company}` };
}

function companyField(company: string): FindInput {
  return DOMAIN_OR_URL.test(company) ? { domain: hostOf(company) } : { company };
}

/** "<jane@acme.com>" (typed, then entity-escaped by Slack) → jane@acme.com */
function bare(value: string): string {
  return value.replace(/^<(.*)>$/, '$1');
}

function usage(problem: string): Command {
  return { kind: 'usage', problem };
}
