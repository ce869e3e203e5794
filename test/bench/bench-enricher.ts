/**
 * The queue benchmark's enricher: a fixed delay that models the engine's time (the placeholder
 * the issue asks for), with the real engine's input check so the import does its real work.
 */
import type { Enricher } from '../../core/enricher.ts';
import { checkFindInput } from '../../core/engine/input.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';

export function benchEnricher(delayMs: number): Enricher {
  const fake = fakeEnricher({ delayMs });
  return { ...fake, find: fake.find, checkInput: (input) => checkFindInput(input) };
}
