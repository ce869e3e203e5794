/**
 * A deterministic stand-in for the engine, for pipeline tests and the queue benchmark only:
 * the address is `first.last@domain`, after an optional delay that models the engine's time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Enricher } from '../../core/enricher.ts';
import type { FindAnswer, FindInput } from '../../core/engine/types.ts';

export interface FakeEnricherOptions {
  delayMs?: number;
  /** Called for every find, e.g. to count calls per record or to throw on chosen inputs. */
  onFind?: (input: FindInput) => void;
}

export function fakeEnricher(opts: FakeEnricherOptions = {}): Enricher & { calls: number } {
  const self = {
    calls: 0,
    async find(input: FindInput): Promise<FindAnswer> {
      self.calls++;
      opts.onFind?.(input);
      if (opts.delayMs) await delay(opts.delayMs);
      const [first, last] = input.full_name ? input.full_name.toLowerCase().split(/\s+/) : [input.first?.toLowerCase(), input.last?.toLowerCase()];
      const email = first && last && input.domain ? `${first}.${last}@${input.domain}` : null;
      return {
        email,
        confidence: email ? 90 : 0,
        verification: email ? 'valid' : 'unknown',
        pattern: email ? '{first}.{last}' : null,
        score_parts: [],
        candidates: [],
        domain: input.domain ?? null,
        accept_all: false,
        mx: [],
        flags: [],
        status: email ? 'found' : 'not_found',
      };
    },
    async verify(email: string) {
      return { email, verification: 'valid' as const, flags: [], reason: 'fake', mx: [], accept_all: false, confidence: 90, score_parts: [] };
    },
    async pattern(domain: string) {
      return { domain, pattern: '{first}.{last}', evidence: [], accept_all: false, mx: [] };
    },
    checkInput(input: FindInput) {
      const raw = (input.domain || input.company || input.email?.split('@')[1] || '').trim().toLowerCase();
      const domain = raw.replace(/^https?:\/\//, '').replace(/^www\./, '').split('/')[0];
      if (!domain || !domain.includes('.')) return { reason: 'no company domain' };
      return { domain };
    },
  };
  return self;
}
