/**
 * Reads a find request (a CSV row, a Slack command, an API call) into what the engine works
 * with: the person's name spellings and the mail domain — or the reason it cannot be looked up.
 * The importer calls this for every row, so a bad row is reported with its reason at import
 * time instead of failing later.
 */
import type { FindInput } from './types.ts';
import { parseName, type ParsedName } from './names.ts';
import { parseEmail, resolveCompanyDomain } from './domain.ts';

export type ReadInput =
  | { ok: true; kind: 'find'; name: ParsedName; domain: string }
  | { ok: true; kind: 'verify'; email: string; domain: string }
  | { ok: false; reason: string; domain?: string };

export interface InputOptions {
  /** Accept `.test`/`.internal`-style domains (tests and labs, with ALLOW_PRIVATE_MX). */
  allowReserved?: boolean;
}

// A list of 10,000 people names a few hundred companies: remember each company cell's reading.
const domainCache = new Map<string, ReturnType<typeof resolveCompanyDomain>>();
const DOMAIN_CACHE_MAX = 20_000;

function cachedDomain(cell: string, allowReserved: boolean): ReturnType<typeof resolveCompanyDomain> {
  const key = `${allowReserved ? 1 : 0}${cell}`;
  let r = domainCache.get(key);
  if (!r) {
    r = resolveCompanyDomain(cell, { allowReserved });
    if (domainCache.size >= DOMAIN_CACHE_MAX) domainCache.delete(domainCache.keys().next().value!);
    domainCache.set(key, r);
  }
  return r;
}

export function readFindInput(input: FindInput, opts: InputOptions = {}): ReadInput {
  const hasName = Boolean(input.first?.trim() || input.last?.trim() || input.full_name?.trim());
  // An address already in the file, with no name to guess from, is verified instead.
  if (input.email?.trim() && !hasName) {
    const email = parseEmail(input.email);
    if (!email) return { ok: false, reason: `"${input.email.trim()}" is not a valid email address` };
    return { ok: true, kind: 'verify', email: email.email, domain: email.domain };
  }
  // Domain first: the most common reason a row cannot be used, and the clearest to fix.
  const cells = [input.domain, input.company, input.email].filter((c): c is string => Boolean(c?.trim()));
  let domainReason = 'no company website or domain given';
  let domain: string | undefined;
  for (const cell of cells) {
    const r = cachedDomain(cell, Boolean(opts.allowReserved));
    if (r.ok) {
      domain = r.domain;
      break;
    }
    domainReason = r.reason;
  }
  const name = parseName({ first: input.first, last: input.last, full_name: input.full_name });
  if (!domain) return { ok: false, reason: name.ok ? domainReason : `${name.reason}; ${domainReason}` };
  if (!name.ok) return { ok: false, reason: name.reason, domain };
  if (!name.name.firsts.length && !name.name.lasts.length) return { ok: false, reason: 'no usable name', domain };
  return { ok: true, kind: 'find', name: name.name, domain };
}

/** The importer's check: the reason a row cannot be used, and the domain it will be grouped by. */
export function checkFindInput(input: FindInput, opts: InputOptions = {}): { reason?: string; domain?: string } {
  const r = readFindInput(input, opts);
  return r.ok ? { domain: r.domain } : { reason: r.reason, domain: r.domain };
}
