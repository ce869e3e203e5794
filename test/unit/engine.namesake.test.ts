import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { possibleNamesake } from '../../core/engine/engine.ts';
import { scoreAnswer } from '../../core/engine/score.ts';
import type { Candidate } from '../../core/engine/types.ts';

const c = (email: string, pattern: string, verification?: Candidate['verification']): Candidate => ({ email, pattern, prior: 0.1, verification });

describe('possibleNamesake: a 250 that is probably another person\'s mailbox', () => {
  // William Smith-Jones at a {last} domain: his {last} addresses refused, then williams@ accepted.
  const ranked = [
    c('smithjones@x.com', '{last}', 'invalid'),
    c('smith@x.com', '{last}', 'invalid'),
    c('william.smithjones@x.com', '{first}.{last}', 'invalid'),
    c('williams@x.com', '{first}{l}', 'valid'),
  ];
  const accepted = ranked[3]!;

  it('flags it when the learned pattern is strong, was refused for this person, and could have made the address for someone else', () => {
    const why = possibleNamesake(ranked, accepted, { '{last}': 12 });
    assert.match(why ?? '', /williams@x\.com exists, but it is probably another person's: \{last\} is the pattern of 12 known addresses at this domain, and smithjones@x\.com was refused/);
  });

  it('leaves it alone when little is learned, the pattern is mixed, or the accepted address follows the learned pattern', () => {
    assert.equal(possibleNamesake(ranked, accepted, {}), undefined, 'nothing learned');
    assert.equal(possibleNamesake(ranked, accepted, { '{last}': 2 }), undefined, 'too few addresses');
    assert.equal(possibleNamesake(ranked, accepted, { '{last}': 6, '{first}{l}': 5 }), undefined, 'a domain with two patterns in use');
    assert.equal(possibleNamesake(ranked, ranked[1]!, { '{last}': 12 }), undefined, 'the learned pattern itself');
  });

  it('counts only the learned pattern\'s spellings asked before the accepted address', () => {
    const later = [...ranked, c('jones@x.com', '{last}')];
    assert.ok(possibleNamesake(later, accepted, { '{last}': 12 }));
  });

  it('leaves it alone when the learned pattern\'s address was not refused (not asked, or greylisted)', () => {
    const notAsked = [c('smithjones@x.com', '{last}'), accepted];
    assert.equal(possibleNamesake(notAsked, accepted, { '{last}': 12 }), undefined);
    const deferred = [c('smithjones@x.com', '{last}', 'unknown'), accepted];
    assert.equal(possibleNamesake(deferred, accepted, { '{last}': 12 }), undefined);
  });

  it('leaves an address alone that the learned pattern could not have made for anyone (an exception of this person\'s own)', () => {
    // {first}.{last} addresses always have a dot with two names: "williams" is nobody's {first}.{last}.
    const dotted = [c('william.smithjones@x.com', '{first}.{last}', 'invalid'), accepted];
    assert.equal(possibleNamesake(dotted, accepted, { '{first}.{last}': 20 }), undefined);
    // …but "w.smith" could be a W. Smith's address at a {f}.{last} domain.
    const initial = [c('w.smithjones@x.com', '{f}.{last}', 'invalid'), c('w.smith@x.com', '{f}.{l}', 'valid')];
    assert.ok(possibleNamesake(initial, initial[1]!, { '{f}.{last}': 20 }));
  });

  it('scores such an answer low, and says why', () => {
    const s = scoreAnswer({ verification: 'unknown', acceptAll: false, probability: 0.3, observations: 0, mx: 'ok', namesake: true, purpose: 'find' });
    assert.ok(s.confidence <= 20, `confidence ${s.confidence}`);
    assert.ok(s.parts.some((p) => p.part === 'namesake' && p.points < 0 && /someone else/.test(p.why)));
    assert.equal(s.parts.reduce((a, p) => a + p.points, 0), s.confidence);
  });
});
