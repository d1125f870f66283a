// SPDX-License-Identifier: MIT
// The pairwise ranking of a few-seed study: Welch's test against hand-computed values, and the
// sentence that says which pairs differ and which cannot be ranked.
import { describe, expect, it } from 'vitest';
import { rankingSentence, rankPairs, welch } from '../../src/study/ranking.js';

describe('welch', () => {
  it('matches the hand computation and the 5 % critical value', () => {
    // means 2 and 5, sd 1 each, n = 3: t = -3 / sqrt(2/3) = -3.674, df = 4, t_crit = 2.776
    const w = welch([1, 2, 3], [4, 5, 6]);
    expect(w.t).toBeCloseTo(-3.6742, 4);
    expect(w.df).toBeCloseTo(4, 10);
    expect(w.differ).toBe(true);
    // t = -0.612 < 2.776
    expect(welch([1, 2, 3], [1.5, 2.5, 3.5]).differ).toBe(false);
    // unequal spreads: df from Welch-Satterthwaite, between min(n) - 1 and n_a + n_b - 2
    const u = welch([0, 0.1, 0.2, 0.1], [1, 3, 5]);
    expect(u.df).toBeGreaterThanOrEqual(2);
    expect(u.df).toBeLessThan(5);
  });

  it('does not claim a difference from fewer than two finite values per side', () => {
    expect(welch([1], [5, 6, 7]).differ).toBe(false);
    expect(welch([1, NaN], [5, 6]).differ).toBe(false);
    expect(Number.isNaN(welch([1], [2]).t)).toBe(true);
    expect(() => welch('x' as never, [1, 2])).toThrow(/welch: argument 'x' got "x", expected an array of numbers/);
  });
});

describe('rankPairs and rankingSentence', () => {
  const groups = new Map([['a', [0.80, 0.81, 0.79]], ['b', [0.70, 0.71, 0.69]], ['c', [0.70, 0.75, 0.72]]]);

  it('orders the better of a differing pair by the metric direction', () => {
    const hi = rankPairs(groups, true);
    expect(hi.map((p) => [p.a, p.b, p.differ, p.better])).toEqual([['a', 'b', true, 'a'], ['a', 'c', true, 'a'], ['b', 'c', false, null]]);
    expect(hi[0].disjoint).toBe(true);
    expect(rankPairs(groups, false)[0].better).toBe('b');
    expect(() => rankPairs({} as never, true)).toThrow(/rankPairs: argument 'groups'/);
  });

  it('states every pair it cannot rank', () => {
    const s = rankingSentence('inside cells', rankPairs(groups, true));
    expect(s).toBe('**inside cells**: a better than b (intervals disjoint); a better than c. cannot rank b and c.');
    expect(rankingSentence('NLL', rankPairs(new Map([['x', [1, 2]], ['y', [1.5, 2.5]]]), false))).toBe('**NLL**: no pair differs at 5 %. cannot rank x and y.');
  });
});
