/**
 * The engine benchmark's world and input file: a seeded generated mail world, the people put in
 * the CSV (in a seeded shuffled order), and the known addresses held out for "learned patterns".
 *
 * The behaviour mix leaves out the behaviours whose answers the engine defers by a minute to an
 * hour through the queue (refusing or dropping hosts, a blocklist, a connection limit below our
 * cap, SERVFAIL): with them a list cannot finish within a benchmark run. They are covered by the
 * integration tests (test/integration/engine.*.test.ts). What stays is what decides accuracy,
 * calibration and speed: honest servers, catch-all ones, greylisting (re-checked through the
 * queue 1 s later), a dead primary MX, a connection limit equal to our per-MX cap (any excess
 * would show as a 421), no-MX (A record) domains and domains that take no mail.
 */
import { stringify } from 'csv-stringify/sync';
import {
  generateWorld, seededRandom,
  type DnsShape, type MailBehaviour, type Person, type WorldDomain, type WorldSpec,
} from '../mailworld/index.ts';

export const BENCH_BEHAVIOUR_MIX: Partial<Record<MailBehaviour, number>> = {
  rejects_unknown: 62, accept_all: 14, m365: 10, greylist: 6, primary_down: 4, conn_limit: 4,
};
export const BENCH_DNS_MIX: Partial<Record<DnsShape, number>> = { mx: 94, a_only: 3, null_mx: 1.5, nxdomain: 1.5 };

/** Known addresses imported per catch-all domain before the "with learned patterns" pass. */
export const KNOWN_PER_CATCH_ALL = 3;

/** Domains whose mail server answers RCPT honestly (rejects addresses it does not have). */
export const REJECTING: ReadonlySet<MailBehaviour> = new Set(['rejects_unknown', 'greylist', 'primary_down', 'conn_limit', 'slow']);
export const CATCH_ALL: ReadonlySet<MailBehaviour> = new Set(['accept_all', 'm365']);
/** DNS shapes under which the domain's mail servers can be reached. */
export const REACHABLE: ReadonlySet<DnsShape> = new Set(['mx', 'a_only']);

export interface BenchWorld {
  spec: WorldSpec;
  /** The CSV's rows, in file order (ordinal i ↔ input[i]). */
  input: Person[];
  /** Held out of the CSV: imported as known addresses for the catch-all pass. */
  known: Person[];
}

export function buildBenchWorld(seed: number, domains: number, peoplePerDomain: number, connCap: number): BenchWorld {
  const spec = generateWorld({
    seed,
    domains,
    peoplePerDomain,
    behaviourMix: BENCH_BEHAVIOUR_MIX,
    dnsMix: BENCH_DNS_MIX,
  });
  for (const d of spec.domains) if (d.behaviour === 'conn_limit') d.connLimit = connCap;

  const catchAll = new Set(spec.domains.filter((d) => CATCH_ALL.has(d.behaviour) && REACHABLE.has(d.dns ?? 'mx')).map((d) => d.domain));
  const known: Person[] = [];
  const input: Person[] = [];
  const heldOut = new Map<string, number>();
  for (const p of spec.people) {
    const n = heldOut.get(p.domain) ?? 0;
    if (catchAll.has(p.domain) && p.email && n < KNOWN_PER_CATCH_ALL) {
      heldOut.set(p.domain, n + 1);
      known.push(p);
    } else {
      input.push(p);
    }
  }
  // Real lists are not sorted by company; a seeded shuffle (Fisher–Yates) keeps runs repeatable.
  const rng = seededRandom(seed ^ 0x5eed);
  for (let i = input.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [input[i], input[j]] = [input[j]!, input[i]!];
  }
  return { spec, input, known };
}

export function peopleCsv(people: readonly Person[]): string {
  return stringify([['First Name', 'Last Name', 'Company Domain'], ...people.map((p) => [p.first, p.last, p.domain])]);
}

export function knownCsv(people: readonly Person[]): string {
  return stringify([['First Name', 'Last Name', 'Email'], ...people.map((p) => [p.first, p.last, p.email ?? ''])]);
}

export function domainIndex(domains: readonly WorldDomain[]): Map<string, WorldDomain> {
  return new Map(domains.map((d) => [d.domain.toLowerCase(), d]));
}
