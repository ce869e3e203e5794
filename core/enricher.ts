/**
 * What the pipeline needs from the engine. The worker only knows this interface, so the engine
 * (core/engine) plugs in here, and tests can drive the pipeline with a deterministic stand-in.
 */
import type { FindAnswer, FindInput, PatternAnswer, VerifyAnswer } from './engine/types.ts';

export interface EnrichContext {
  /** Aborted when the job must stop (shutdown past its grace period, expiry). */
  signal: AbortSignal;
  /** 0 on the first look, then 1, 2… on re-checks of temporary answers. */
  attempt: number;
}

export interface Enricher {
  find(input: FindInput, ctx: EnrichContext): Promise<FindAnswer>;
  verify(email: string, ctx: EnrichContext): Promise<VerifyAnswer>;
  pattern(domain: string, ctx: EnrichContext): Promise<PatternAnswer>;
  /**
   * Decides, at import time, whether a row can be looked up at all. Returns the reason when not
   * (it is shown to the user beside the row), and may fill in the normalised `domain`.
   */
  checkInput(input: FindInput): { reason?: string; domain?: string };
}
