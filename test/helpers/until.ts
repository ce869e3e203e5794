import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits for a condition that another process makes true (a worker's database write, a row the
 * fake Sheets API received): checked every 25 ms, failing with `what` after `timeoutMs`. The
 * result does not depend on timing; only how soon the test notices does.
 */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}
