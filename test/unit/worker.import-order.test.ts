import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mostWorkFirst } from '../../worker/jobs/list.import.ts';

describe('the order record jobs are queued in', () => {
  it('puts the records with the most of their domain still to come first, keeping file order among equals', () => {
    const rows = [
      { id: 1, domain: 'small.com' },
      { id: 2, domain: 'big.com' },
      { id: 3, domain: 'mid.com' },
      { id: 4, domain: 'big.com' },
      { id: 5, domain: 'big.com' },
      { id: 6, domain: 'mid.com' },
      { id: 7, domain: 'big.com' },
    ];
    // big.com: 3, 2, 1, 0 still to come after each record; mid.com: 1, 0; small.com: 0.
    assert.deepEqual(mostWorkFirst(rows).map((r) => r.id), [2, 4, 3, 5, 1, 6, 7]);
  });

  it('keeps every record exactly once, and a list of one domain in file order', () => {
    const one = Array.from({ length: 5 }, (_, i) => ({ id: i, domain: 'a.com' }));
    assert.deepEqual(mostWorkFirst(one).map((r) => r.id), [0, 1, 2, 3, 4]);
    const many = Array.from({ length: 1000 }, (_, i) => ({ id: i, domain: i % 7 ? `d${i % 13}.com` : null }));
    assert.deepEqual(mostWorkFirst(many).map((r) => r.id).sort((a, b) => a - b), many.map((r) => r.id));
  });
});
