import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseName } from '../../core/engine/names.ts';
import type { ParsedName } from '../../core/engine/names.ts';
import {
  MIDDLE_FALLBACK_SHARE,
  PATTERNS,
  PATTERN_PRIOR_SHARES,
  PRIOR_STRENGTH,
  inferPatternMatches,
  inferPatterns,
  patternPosterior,
  rankCandidates,
  renderPattern,
  topPattern,
} from '../../core/engine/patterns.ts';

function name(input: Parameters<typeof parseName>[0]): ParsedName {
  const r = parseName(input);
  if (!r.ok) assert.fail(r.reason);
  return r.name;
}

const close = (a: number, b: number, eps = 1e-6): void => assert.ok(Math.abs(a - b) < eps, `${a} ≈ ${b}`);

describe('renderPattern', () => {
  const jane = { first: 'jane', last: 'doe', middleInitial: 'a' };
  const table: [pattern: string, local: string][] = [
    ['{first}.{last}', 'jane.doe'],
    ['{f}{last}', 'jdoe'],
    ['{first}', 'jane'],
    ['{first}{last}', 'janedoe'],
    ['{f}.{last}', 'j.doe'],
    ['{first}_{last}', 'jane_doe'],
    ['{first}{l}', 'janed'],
    ['{first}.{l}', 'jane.d'],
    ['{last}', 'doe'],
    ['{last}.{first}', 'doe.jane'],
    ['{first}-{last}', 'jane-doe'],
    ['{last}{f}', 'doej'],
    ['{f}{m}{last}', 'jadoe'],
    ['{last}{first}', 'doejane'],
    ['{last}_{first}', 'doe_jane'],
    ['{f}{l}', 'jd'],
    ['{last}.{f}', 'doe.j'],
    ['{f}_{last}', 'j_doe'],
    ['{first}.{m}.{last}', 'jane.a.doe'],
    ['{f}.{m}.{last}', 'j.a.doe'],
    ['{f}-{last}', 'j-doe'],
    ['{last}-{first}', 'doe-jane'],
    ['{first}_{l}', 'jane_d'],
    ['{l}{first}', 'djane'],
  ];
  for (const [pattern, local] of table) {
    it(`should render ${pattern} as ${local}`, () => {
      assert.equal(renderPattern(pattern, jane), local);
    });
  }

  it('should cover every known pattern in the table above', () => {
    assert.deepEqual(new Set(table.map(([p]) => p)), new Set(PATTERNS));
  });

  const missing: [pattern: string, variant: Parameters<typeof renderPattern>[1], why: string][] = [
    ['{first}.{last}', { first: 'madonna' }, 'no surname'],
    ['{l}{first}', { first: 'madonna' }, 'no surname initial'],
    ['{f}{m}{last}', { first: 'jane', last: 'doe' }, 'no middle initial'],
    ['{first}', { last: 'doe' }, 'no first name'],
    ['{first}.{nick}', { first: 'jane', last: 'doe' }, 'unknown token'],
    ['{first}', { first: 'a'.repeat(65) }, 'longer than 64'],
    ['{first}.{last}', { first: 'jane', last: '' }, 'empty surname'],
  ];
  for (const [pattern, variant, why] of missing) {
    it(`should give undefined for ${pattern} when ${why}`, () => {
      assert.equal(renderPattern(pattern, variant), undefined);
    });
  }

  it('should keep the hyphen of a hyphen-kept spelling', () => {
    assert.equal(renderPattern('{first}.{last}', { first: 'jose', last: 'garcia-lopez' }), 'jose.garcia-lopez');
    assert.equal(renderPattern('{f}{last}', { first: 'jean-luc', last: 'picard' }), 'jpicard');
  });
});

describe('inferPatterns', () => {
  // Render with the canonical spelling, then infer: must give back exactly that pattern for a
  // name whose parts can't be confused (distinct letters, middle initial known).
  const roundTripNames = ['Jane Ann Doe', 'Robert Brian Smith', 'Øystein Kåre Ødegaard'];
  for (const full of roundTripNames) {
    const n = name(full);
    for (const pattern of PATTERNS) {
      it(`should round-trip ${pattern} for ${full}`, () => {
        const local = renderPattern(pattern, { first: n.firsts[0].value, last: n.lasts[0].value, middleInitial: n.middleInitial });
        assert.ok(local, 'renders');
        assert.deepEqual(inferPatterns(n, `${local}@acme.com`), [pattern]);
      });
    }
  }

  const table: [who: Parameters<typeof parseName>[0], email: string, expected: string[]][] = [
    ['Jane Doe', 'Jane.Doe@Acme.com', ['{first}.{last}']],
    ['Jane Doe', 'jane.doe+news@acme.com', ['{first}.{last}']], // +tag ignored
    ['Hans Müller', 'hans.mueller@acme.de', ['{first}.{last}']], // umlaut spelling
    ['Hans Müller', 'hmuller@acme.de', ['{f}{last}']],
    ['William Smith', 'bill.smith@acme.com', ['{first}.{last}']], // nickname
    ['José García-López', 'jgarcia@acme.es', ['{f}{last}']], // one part of a double surname
    ['José García-López', 'jose.garcia-lopez@acme.es', ['{first}.{last}']],
    ['Jan van der Berg', 'jan.berg@acme.nl', ['{first}.{last}']],
    ['Jan van der Berg', 'jvanderberg@acme.nl', ['{f}{last}']],
    ["Conor O'Brien", 'cobrien@acme.ie', ['{f}{last}']],
    ['Jane Doe', 'xyz@acme.com', []],
    ['Jane Doe', 'jane.doe2@acme.com', []],
    ['Madonna', 'madonna@acme.com', ['{first}']],
  ];
  for (const [who, email, expected] of table) {
    it(`should infer ${JSON.stringify(expected)} from ${email} for ${JSON.stringify(who)}`, () => {
      assert.deepEqual(inferPatterns(name(who), email), expected);
    });
  }

  it('should return every pattern for an ambiguous address, most plausible first, shares summing to 1', () => {
    // A one-letter first name: jdoe is both {f}{last} and {first}{last}.
    const matches = inferPatternMatches(name({ first: 'J', last: 'Doe' }), 'jdoe@acme.com');
    assert.deepEqual(matches.map((m) => m.pattern), ['{f}{last}', '{first}{last}']);
    close(matches.reduce((a, m) => a + m.share, 0), 1);
    assert.ok(matches[0].share > matches[1].share);
    // "j.doe": {f}.{last} and {first}.{last}
    assert.deepEqual(new Set(inferPatterns(name({ first: 'J', last: 'Doe' }), 'j.doe@acme.com')), new Set(['{f}.{last}', '{first}.{last}']));
  });
});

describe('patternPosterior', () => {
  it('should follow the prior when nothing is learned, and sum to 1', () => {
    const post = patternPosterior({});
    const total = Object.values(PATTERN_PRIOR_SHARES).reduce((a, b) => a + b, 0);
    for (const p of PATTERNS) close(post.get(p)!, PATTERN_PRIOR_SHARES[p] / total);
    close([...post.values()].reduce((a, b) => a + b, 0), 1);
  });

  it('should be the Dirichlet-multinomial posterior mean', () => {
    const post = patternPosterior({ '{f}{last}': 3, '{first}.{last}': 1 });
    const total = Object.values(PATTERN_PRIOR_SHARES).reduce((a, b) => a + b, 0);
    const alpha = (p: keyof typeof PATTERN_PRIOR_SHARES): number => (PRIOR_STRENGTH * PATTERN_PRIOR_SHARES[p]) / total;
    close(post.get('{f}{last}')!, (alpha('{f}{last}') + 3) / (PRIOR_STRENGTH + 4));
    close(post.get('{first}.{last}')!, (alpha('{first}.{last}') + 1) / (PRIOR_STRENGTH + 4));
    close([...post.values()].reduce((a, b) => a + b, 0), 1);
  });

  it('should ignore negative, NaN and infinite counts', () => {
    const post = patternPosterior({ '{f}{last}': -5, '{first}': Number.NaN, '{last}': Number.POSITIVE_INFINITY });
    const base = patternPosterior({});
    for (const p of PATTERNS) close(post.get(p)!, base.get(p)!);
  });

  it('should keep learned patterns it does not know', () => {
    const post = patternPosterior({ '{last}{first}{m}': 10 });
    assert.ok(post.get('{last}{first}{m}')! > 0.7);
    close([...post.values()].reduce((a, b) => a + b, 0), 1);
  });

  it('should name the top pattern', () => {
    assert.equal(topPattern({}).pattern, '{first}.{last}');
    assert.equal(topPattern({ '{f}{last}': 1 }).pattern, '{f}{last}');
  });
});

describe('rankCandidates', () => {
  const jane = name('Jane Doe');

  function check(list: ReturnType<typeof rankCandidates>, domain: string): void {
    const emails = list.map((c) => c.email);
    assert.equal(new Set(emails).size, emails.length, 'no duplicate addresses');
    for (const c of list) {
      assert.ok(c.email.endsWith(`@${domain}`), c.email);
      assert.ok(c.prior > 0 && c.prior <= 1, `${c.email} ${c.prior}`);
    }
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].prior >= list[i].prior, 'sorted by probability');
    assert.ok(list.reduce((a, c) => a + c.prior, 0) <= 1 + 1e-9, 'sums to at most 1');
  }

  it('should follow the prior order on a domain with nothing learned', () => {
    const list = rankCandidates(jane, 'acme.com');
    check(list, 'acme.com');
    assert.deepEqual(
      list.slice(0, 5).map((c) => [c.email, c.pattern]),
      [
        ['jane.doe@acme.com', '{first}.{last}'],
        ['jdoe@acme.com', '{f}{last}'],
        ['jane@acme.com', '{first}'],
        ['janedoe@acme.com', '{first}{last}'],
        ['j.doe@acme.com', '{f}.{last}'],
      ],
    );
    assert.ok(list.length >= 20, 'every pattern is tried');
  });

  it('should let 20 learned {f}{last} addresses dominate the prior', () => {
    const list = rankCandidates(jane, 'acme.com', { '{f}{last}': 20 });
    check(list, 'acme.com');
    assert.equal(list[0].email, 'jdoe@acme.com');
    assert.ok(list[0].prior > 0.8, `${list[0].prior}`);
    assert.ok(list[1].prior < 0.1);
  });

  it('should flip the order with a single learned address', () => {
    assert.equal(rankCandidates(jane, 'acme.com', { '{f}{last}': 1 })[0].email, 'jdoe@acme.com');
    assert.equal(rankCandidates(jane, 'acme.com', { '{last}.{first}': 2 })[0].email, 'doe.jane@acme.com');
  });

  it('should not let a weak minority pattern beat strong evidence', () => {
    const list = rankCandidates(jane, 'acme.com', { '{first}.{last}': 10, '{f}{last}': 2 });
    assert.equal(list[0].email, 'jane.doe@acme.com');
    assert.equal(list[1].email, 'jdoe@acme.com');
  });

  it('should rank a learned pattern that is not in the list', () => {
    const list = rankCandidates(name('Jane Ann Doe'), 'acme.com', { '{last}{first}{m}': 5 });
    assert.equal(list[0].email, 'doejanea@acme.com');
    assert.equal(list[0].pattern, '{last}{first}{m}');
  });

  it('should weigh spellings: muller above mueller, both tried', () => {
    const list = rankCandidates(name('Hans Müller'), 'acme.de');
    check(list, 'acme.de');
    const p = (e: string): number => list.find((c) => c.email === e)?.prior ?? 0;
    assert.ok(p('hans.muller@acme.de') > p('hans.mueller@acme.de'));
    assert.ok(p('hans.mueller@acme.de') > 0);
    // Both spellings share {first}.{last} and the no-middle fallback of {first}.{m}.{last}.
    const post = patternPosterior();
    const mass = post.get('{first}.{last}')! + MIDDLE_FALLBACK_SHARE * post.get('{first}.{m}.{last}')!;
    close(p('hans.muller@acme.de') + p('hans.mueller@acme.de'), mass, 1e-8);
    close(p('hans.muller@acme.de') / p('hans.mueller@acme.de'), 1 / 0.8, 1e-6);
  });

  it('should sum the probability of an address made by several patterns', () => {
    // "J Doe": {f}{last} and {first}{last} both make jdoe.
    const list = rankCandidates(name({ first: 'J', last: 'Doe' }), 'acme.com');
    check(list, 'acme.com');
    const post = patternPosterior();
    const jdoe = list.find((c) => c.email === 'jdoe@acme.com')!;
    // …plus the no-middle fallback of {f}{m}{last}.
    close(jdoe.prior, post.get('{f}{last}')! + post.get('{first}{last}')! + MIDDLE_FALLBACK_SHARE * post.get('{f}{m}{last}')!, 1e-8);
    assert.equal(jdoe.pattern, '{f}{last}', 'labelled with the pattern that contributes most');
    // j.doe collects {first}.{last} and {f}.{last}: together the most likely address.
    assert.deepEqual(list.slice(0, 2).map((c) => c.email), ['j.doe@acme.com', 'jdoe@acme.com']);
    assert.equal(list[0].pattern, '{first}.{last}');
  });

  it('should move part of a {m} pattern to its fallback when the middle initial is unknown', () => {
    const post = patternPosterior({ '{f}{m}{last}': 10 });
    const list = rankCandidates(jane, 'acme.com', { '{f}{m}{last}': 10 });
    const jdoe = list.find((c) => c.email === 'jdoe@acme.com')!;
    close(jdoe.prior, post.get('{f}{last}')! + MIDDLE_FALLBACK_SHARE * post.get('{f}{m}{last}')!, 1e-8);
    assert.equal(list[0].email, 'jdoe@acme.com');
    // With the middle initial known, the {m} pattern renders itself.
    assert.equal(rankCandidates(name('Jane Ann Doe'), 'acme.com', { '{f}{m}{last}': 10 })[0].email, 'jadoe@acme.com');
  });

  it('should only offer first-name patterns for a single-word name', () => {
    const list = rankCandidates(name('Madonna'), 'acme.com');
    assert.deepEqual(list.map((c) => c.email), ['madonna@acme.com']);
    close(list[0].prior, patternPosterior().get('{first}')!, 1e-8);
  });

  it('should respect limit and lowercase the domain', () => {
    const list = rankCandidates(jane, 'ACME.com.', {}, { limit: 3 });
    assert.equal(list.length, 3);
    assert.equal(list[0].email, 'jane.doe@acme.com');
  });

  it('should be deterministic', () => {
    assert.deepEqual(rankCandidates(name('José García-López'), 'acme.es'), rankCandidates(name('José García-López'), 'acme.es'));
  });
});
