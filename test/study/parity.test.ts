// SPDX-License-Identifier: MIT
// The MNIST parity aggregation (bench/mnist_parity.ts) on a hand-checkable fixture: means and
// t-intervals per objective, s/step from the trainer's totals, Welch verdicts in the metric's
// direction, and the markdown the RESULTS section is pasted from.
import { describe, expect, it } from 'vitest';
import { formatCell, parityMarkdown, summarizeParity, type ParityRun } from '../../src/study/parity.js';

const run = (objective: string, seed: number, fid: number, is: number, steps: number, trainSeconds: number): ParityRun =>
  ({ objective, seed, steps, trainSeconds, fid, kid: fid, is, bpd: 1.7 + seed * 0.01 });

// a: FID 10, 11, 12 (mean 11, sd 1); b: FID 20, 21, 22. IS close (cannot rank). Seeds given out of order.
const runs: ParityRun[] = [
  run('a', 2, 12, 7.0, 500, 1000), run('a', 0, 10, 7.2, 500, 1000), run('a', 1, 11, 7.1, 500, 1000),
  run('b', 0, 20, 7.1, 1000, 1000), run('b', 1, 21, 7.0, 1000, 1000), run('b', 2, 22, 7.2, 1000, 1000),
  run('other', 0, 99, 1, 1, 1),
];

describe('summarizeParity', () => {
  const s = summarizeParity(runs, ['a', 'b']);

  it('gives mean and 95 % t-interval per objective, per-seed values in seed order', () => {
    expect(s.seeds).toEqual({ a: [0, 1, 2], b: [0, 1, 2] });
    expect(s.metrics.fid.a.values).toEqual([10, 11, 12]);
    expect(s.metrics.fid.a.mean).toBeCloseTo(11, 12);
    // t_{0.975,2} = 4.303, sd 1, n 3: half-width 4.303 / sqrt(3) = 2.4843
    expect(s.metrics.fid.a.hi - s.metrics.fid.a.mean).toBeCloseTo(2.4843, 4);
    // s/step from the totals: 1000 s over 500 and over 1000 steps, no spread
    expect(s.metrics.sPerStep.a.mean).toBe(2);
    expect(s.metrics.sPerStep.b.mean).toBe(1);
    expect(s.metrics.sPerStep.a.lo).toBe(2);
  });

  it('runs Welch on the quality metrics only, in their direction', () => {
    expect(Object.keys(s.comparisons)).toEqual(['fid', 'kid', 'is', 'bpd']);
    // FID: t = -10 / sqrt(2/3) = -12.25, df 4: differ, lower is better so a
    expect(s.comparisons.fid.t).toBeCloseTo(-12.247, 3);
    expect(s.comparisons.fid).toMatchObject({ differ: true, better: 'a', disjoint: true, difference: -10 });
    expect(s.comparisons.is).toMatchObject({ differ: false, better: null });
    // identical bits/dim on both sides: no spread, no difference
    expect(s.comparisons.bpd.differ).toBe(false);
  });

  it('refuses a missing objective, a repeated seed and a bad objective pair', () => {
    expect(() => summarizeParity(runs, ['a', 'c'])).toThrow(/no run of objective "c"/);
    expect(() => summarizeParity([...runs, run('a', 1, 1, 1, 1, 1)], ['a', 'b'])).toThrow(/has a seed twice/);
    expect(() => summarizeParity(runs, ['a', 'a'] as never)).toThrow(/summarizeParity: argument 'objectives'/);
  });
});

describe('summarizeParity with its own metric columns (the doublewell against VP comparison)', () => {
  const sw = [{ objective: 'dw', seed: 0, sw: 0.1 }, { objective: 'dw', seed: 1, sw: 0.2 }, { objective: 'vp', seed: 0, sw: 0.3 }, { objective: 'vp', seed: 1, sw: 0.5 }];
  const cols = [{ key: 'sw', label: 'sliced W1 ↓', higherIsBetter: false, digits: 2 }];

  it('summarises and tabulates exactly the columns given', () => {
    const s = summarizeParity(sw, ['dw', 'vp'], cols);
    expect(Object.keys(s.metrics)).toEqual(['sw']);
    expect(s.metrics.sw.dw.mean).toBeCloseTo(0.15, 12);
    expect(s.comparisons.sw.difference).toBeCloseTo(-0.25, 12);
    const md = parityMarkdown(s).trim().split('\n');
    expect(md[0]).toBe('| objective | seeds | sliced W1 ↓ |');
    expect(md.some((l) => l.startsWith('| sliced W1 ↓ | -0.25 |'))).toBe(true);
  });

  it('refuses a run without a number for a column, and an empty column list', () => {
    expect(() => summarizeParity([...sw, { objective: 'vp', seed: 2 }], ['dw', 'vp'], cols)).toThrow(/runs\[\]\.sw/);
    expect(() => summarizeParity(sw, ['dw', 'vp'], [])).toThrow(/summarizeParity: argument 'metrics'/);
  });
});

describe('parityMarkdown', () => {
  it('writes one row per objective and one verdict row per quality metric', () => {
    const md = parityMarkdown(summarizeParity(runs, ['a', 'b']));
    const lines = md.trim().split('\n');
    expect(lines[0]).toBe('| objective | seeds | FID ↓ | KID ↓ | IS ↑ | bits/dim ↓ | steps | train s | s/step |');
    expect(lines[2]).toBe('| A | 3 | 11.0 [8.5, 13.5] | 11.0 [8.5, 13.5] | 7.10 [6.85, 7.35] | 1.710 [1.685, 1.735] | 500 [500, 500] | 1000 [1000, 1000] | 2.000 [2.000, 2.000] |');
    expect(md).toContain('| FID ↓ | -10.0 | -12.25 (4.0) | yes | A (intervals disjoint) |');
    expect(md).toContain('| IS ↑ | 0.00 | 0.00 (4.0) | no | cannot rank |');
  });

  it('prints the bare mean when one seed leaves no interval', () => {
    expect(formatCell({ mean: 3.14159, lo: NaN, hi: NaN, sd: NaN, n: 1 }, 2)).toBe('3.14');
  });
});
