import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { probabilityToPoints, scoreAnswer, sharpenPrior, SCORE_WEIGHTS } from '../../core/engine/score.ts';
import type { MxStatus, ScoreInput } from '../../core/engine/score.ts';
import type { MailProvider } from '../../core/engine/domain.ts';
import type { Flag, Verification } from '../../core/engine/types.ts';

// Every combination of inputs, for rules that must hold everywhere.
const VERIFICATIONS: Verification[] = ['valid', 'invalid', 'accept_all', 'unknown'];
const ACCEPT_ALL: (boolean | null)[] = [false, true, null];
const PROBABILITIES: (number | undefined)[] = [undefined, 0, 0.001, 0.05, 0.32, 0.6, 0.87, 1, 1.5, -1, Number.NaN];
const OBSERVATIONS = [0, 1, 20];
const MX: MxStatus[] = ['ok', 'a_fallback', 'none', 'null_mx', 'nxdomain', 'no_mail', 'error'];
const NO_MAIL = new Set<MxStatus>(['none', 'null_mx', 'nxdomain', 'no_mail']);
const PROVIDERS: (MailProvider | undefined)[] = [undefined, 'other', 'google', 'microsoft365', 'yahoo'];
const FLAGS: Flag[][] = [[], ['role'], ['webmail'], ['disposable'], ['webmail', 'role', 'disposable']];

function* grid(): Generator<ScoreInput> {
  for (const verification of VERIFICATIONS)
    for (const acceptAll of ACCEPT_ALL)
      for (const probability of PROBABILITIES)
        for (const observations of OBSERVATIONS)
          for (const mx of MX)
            for (const provider of PROVIDERS)
              for (const flags of FLAGS)
                yield { verification, acceptAll, probability, observations, mx, provider, flags, domain: 'acme.com', pattern: '{first}.{last}' };
}

const base = { mx: 'ok' as const, domain: 'acme.com', pattern: '{first}.{last}' };
const score = (input: Partial<ScoreInput> & Pick<ScoreInput, 'verification' | 'acceptAll'>): number =>
  scoreAnswer({ ...base, ...input }).confidence;

describe('scoreAnswer: rules that hold for every input', () => {
  it('should clamp to an integer 0–100 whose parts add up to it', () => {
    let n = 0;
    for (const input of grid()) {
      const { confidence, parts } = scoreAnswer(input);
      assert.ok(Number.isInteger(confidence) && confidence >= 0 && confidence <= 100, `${JSON.stringify(input)} → ${confidence}`);
      assert.equal(parts.reduce((a, p) => a + p.points, 0), confidence, JSON.stringify(input));
      for (const p of parts) assert.ok(p.part && p.why, 'every part is named and explained');
      n++;
    }
    assert.ok(n > 50_000);
  });

  it('should score a valid address on a domain that rejects unknown users at least 95', () => {
    for (const probability of PROBABILITIES) {
      for (const observations of OBSERVATIONS) {
        for (const provider of [undefined, 'other', 'google'] as const) {
          const c = score({ verification: 'valid', acceptAll: false, probability, observations, provider });
          assert.ok(c >= 95, `p=${probability} n=${observations} ${provider}: ${c}`);
        }
      }
    }
  });

  it('should score an invalid address at most 5', () => {
    for (const input of grid()) {
      if (input.verification !== 'invalid') continue;
      const c = scoreAnswer(input).confidence;
      assert.ok(c <= 5, `${JSON.stringify(input)} → ${c}`);
    }
  });

  it('should never score an unknown answer above 70 (unless the server said the mailbox exists)', () => {
    for (const input of grid()) {
      if (input.verification !== 'unknown') continue;
      const c = scoreAnswer(input).confidence;
      assert.ok(c <= 70, `${JSON.stringify(input)} → ${c}`);
    }
  });

  it('should score a full mailbox (it exists, takes no mail now) high, but below a valid address', () => {
    for (const probability of PROBABILITIES) {
      for (const acceptAll of [false, null]) {
        const full = score({ verification: 'unknown', acceptAll, probability, observations: 0, mailboxExists: true });
        const valid = score({ verification: 'valid', acceptAll: false, probability, observations: 0 });
        if (!Number.isFinite(probability ?? 0.5) || (probability ?? 0.5) <= 0) continue; // nothing to lift
        assert.ok(full >= 80 && full < valid, `p=${probability} acceptAll=${acceptAll}: full ${full}, valid ${valid}`);
      }
    }
    // …and the flag means nothing for other verdicts.
    assert.equal(
      score({ verification: 'invalid', acceptAll: false, probability: 0.32, mailboxExists: true }),
      score({ verification: 'invalid', acceptAll: false, probability: 0.32 }),
    );
  });

  it('should score a prior-only guess on an accept-all domain below 60, whatever probability is claimed', () => {
    for (const probability of PROBABILITIES) {
      const c = score({ verification: 'accept_all', acceptAll: true, probability, observations: 0 });
      assert.ok(c < 60, `p=${probability}: ${c}`);
    }
  });

  it('should score a domain that takes no mail near 0 unless the server confirmed the address', () => {
    for (const input of grid()) {
      if (!NO_MAIL.has(input.mx) || (input.verification === 'valid' && input.acceptAll === false)) continue;
      assert.equal(scoreAnswer(input).confidence, 0, JSON.stringify(input));
    }
  });
});

describe('scoreAnswer: accept-all domains rise with pattern evidence', () => {
  it('should score a guess backed by 20 learned addresses clearly above a prior-only guess', () => {
    // Posteriors as the pattern ranker gives them: {f}{last} with 20 observations ≈ 0.87; the
    // top prior-only guess ≈ 0.32.
    const learned = score({ verification: 'accept_all', acceptAll: true, probability: 0.87, observations: 20 });
    const priorOnly = score({ verification: 'accept_all', acceptAll: true, probability: 0.32, observations: 0 });
    assert.ok(learned - priorOnly >= 30, `${learned} vs ${priorOnly}`);
    assert.ok(learned >= 70 && learned < 95, `${learned}`);
  });

  it('should be monotonic in the pattern probability', () => {
    const ps = [0.01, 0.1, 0.2, 0.36, 0.54, 0.7, 0.87, 0.95];
    const scores = ps.map((probability) => score({ verification: 'accept_all', acceptAll: true, probability, observations: 5 }));
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i] >= scores[i - 1], `${scores}`);
    assert.ok(scores[scores.length - 1] > scores[0]);
  });

  it('should treat a 250 on an accept-all domain as accept_all', () => {
    const a = scoreAnswer({ ...base, verification: 'valid', acceptAll: true, probability: 0.32, observations: 0 });
    const b = scoreAnswer({ ...base, verification: 'accept_all', acceptAll: true, probability: 0.32, observations: 0 });
    assert.equal(a.confidence, b.confidence);
    assert.ok(a.parts.some((p) => p.part === 'accept_all' && p.points < 0));
  });
});

describe('scoreAnswer: each part moves the score the right way', () => {
  const table: {
    name: string;
    lower: Partial<ScoreInput> & Pick<ScoreInput, 'verification' | 'acceptAll'>;
    higher: Partial<ScoreInput> & Pick<ScoreInput, 'verification' | 'acceptAll'>;
  }[] = [
    {
      name: 'Microsoft 365 yes is weaker than an ordinary server’s',
      lower: { verification: 'valid', acceptAll: false, probability: 0.32, provider: 'microsoft365' },
      higher: { verification: 'valid', acceptAll: false, probability: 0.32, provider: 'other' },
    },
    {
      name: 'Yahoo yes is weaker than an ordinary server’s',
      lower: { verification: 'valid', acceptAll: false, probability: 0.32, provider: 'yahoo' },
      higher: { verification: 'valid', acceptAll: false, probability: 0.32 },
    },
    {
      name: 'a 250 with an inconclusive catch-all probe is weaker than one with a rejected probe',
      lower: { verification: 'valid', acceptAll: null, probability: 0.32 },
      higher: { verification: 'valid', acceptAll: false, probability: 0.32 },
    },
    {
      name: 'a 250 with an inconclusive probe is still better than no answer',
      lower: { verification: 'unknown', acceptAll: null, probability: 0.32 },
      higher: { verification: 'valid', acceptAll: null, probability: 0.32 },
    },
    {
      name: 'an A-record fallback is worse than MX records',
      lower: { verification: 'accept_all', acceptAll: true, probability: 0.87, observations: 20, mx: 'a_fallback' },
      higher: { verification: 'accept_all', acceptAll: true, probability: 0.87, observations: 20, mx: 'ok' },
    },
    {
      name: 'a failed DNS lookup is better than a domain that takes no mail',
      lower: { verification: 'unknown', acceptAll: null, probability: 0.32, mx: 'null_mx' },
      higher: { verification: 'unknown', acceptAll: null, probability: 0.32, mx: 'error' },
    },
    {
      name: 'a role address is not a person’s (finding)',
      lower: { verification: 'valid', acceptAll: false, probability: 0.32, flags: ['role'] },
      higher: { verification: 'valid', acceptAll: false, probability: 0.32 },
    },
    {
      name: 'a webmail guess may be another person’s (finding)',
      lower: { verification: 'valid', acceptAll: false, probability: 0.32, flags: ['webmail'] },
      higher: { verification: 'valid', acceptAll: false, probability: 0.32 },
    },
    {
      name: 'a disposable address is worth almost nothing',
      lower: { verification: 'valid', acceptAll: false, flags: ['disposable'] },
      higher: { verification: 'valid', acceptAll: false, flags: ['role'] },
    },
    {
      name: 'more pattern evidence helps when the server gave no answer',
      lower: { verification: 'unknown', acceptAll: null, probability: 0.2, observations: 0 },
      higher: { verification: 'unknown', acceptAll: null, probability: 0.6, observations: 3 },
    },
  ];
  for (const row of table) {
    it(`should hold that ${row.name}`, () => {
      const lo = score(row.lower);
      const hi = score(row.higher);
      assert.ok(lo < hi, `${lo} < ${hi}`);
    });
  }

  it('should not penalise webmail when verifying a given address, and penalise role only a little', () => {
    const plain = score({ verification: 'valid', acceptAll: false });
    assert.equal(score({ verification: 'valid', acceptAll: false, flags: ['webmail'] }), plain);
    const role = score({ verification: 'valid', acceptAll: false, flags: ['role'] });
    assert.ok(role < plain && role >= 80, `${role}`);
    // …but the same flags count when the caller says it is finding a person.
    assert.ok(score({ verification: 'valid', acceptAll: false, flags: ['webmail'], purpose: 'find' }) < plain);
  });
});

describe('scoreAnswer: explanations', () => {
  it('should explain a verified address', () => {
    const { confidence, parts } = scoreAnswer({ ...base, verification: 'valid', acceptAll: false, probability: 0.32, observations: 0 });
    assert.deepEqual(parts.map((p) => p.part), ['pattern', 'smtp', 'mail_servers']);
    assert.equal(parts[0].points, 32);
    assert.match(parts[0].why, /nothing learned at acme\.com/);
    assert.match(parts[1].why, /accepted/);
    assert.equal(confidence, 99);
  });

  it('should explain a learned pattern on an accept-all domain', () => {
    const { parts } = scoreAnswer({ ...base, verification: 'accept_all', acceptAll: true, probability: 0.87, observations: 20 });
    assert.deepEqual(parts.map((p) => p.part), ['pattern', 'smtp', 'accept_all', 'mail_servers']);
    assert.match(parts[0].why, /matches 20 known addresses at acme\.com/);
    assert.ok(parts[2].points < 0);
  });

  it('should explain provider and flag penalties as their own parts', () => {
    const { parts } = scoreAnswer({ ...base, verification: 'valid', acceptAll: false, probability: 0.32, provider: 'microsoft365', flags: ['role'] });
    const provider = parts.find((p) => p.part === 'provider');
    assert.ok(provider && provider.points < 0 && /Microsoft 365/.test(provider.why));
    assert.ok(parts.find((p) => p.part === 'role')!.points < 0);
  });

  it('should start a given (verify) address from the neutral prior', () => {
    const { parts } = scoreAnswer({ ...base, verification: 'accept_all', acceptAll: true });
    assert.equal(parts[0].points, probabilityToPoints(SCORE_WEIGHTS.givenAddressPrior));
    assert.match(parts[0].why, /given/);
  });
});

describe('sharpenPrior', () => {
  it('should keep the order of candidates and give nothing to impossible ones', () => {
    const priors = [0.5, 0.2, 0.2, 0.05, 0.001];
    const sharp = priors.map(sharpenPrior);
    for (let i = 1; i < sharp.length; i++) assert.ok(sharp[i]! <= sharp[i - 1]!);
    for (const p of [0, -1, Number.NaN]) assert.equal(sharpenPrior(p), 0);
  });

  it('should move probability towards the top candidate once renormalised (never away from it)', () => {
    const priors = [0.4, 0.3, 0.2, 0.1];
    const total = priors.map(sharpenPrior).reduce((a, b) => a + b, 0);
    assert.ok(sharpenPrior(0.4) / total >= 0.4);
    assert.ok(sharpenPrior(0.1) / total <= 0.1);
  });
});

describe('probabilityToPoints', () => {
  const table: [p: number, points: number][] = [
    [0, 0],
    [0.004, 0],
    [0.5, 50],
    [0.954, 95],
    [0.955, 96],
    [1, 100],
    [1.7, 100],
    [-0.2, 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
  ];
  for (const [p, points] of table) {
    it(`should map ${p} to ${points}`, () => {
      assert.equal(probabilityToPoints(p), points);
    });
  }
});
