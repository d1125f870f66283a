// SPDX-License-Identifier: MIT
// Which objectives a few-seed study can tell apart: for every pair, a two-sided Welch t-test at
// 5 % on the per-seed values (Welch, because the objectives' seed-to-seed spreads differ), plus
// whether their 95 % t-intervals overlap (the stricter, easier to read criterion). A pair the test
// cannot separate is stated as "cannot rank X and Y", so a table of close means is never read as
// a ranking. No correction for the many pairs is applied; the statement says so.
import { argError } from '../errors.js';
import { meanInterval, tQuantile975, type Interval } from './stats.js';

export interface PairVerdict {
  a: string;
  b: string;
  /** Welch's t statistic of mean(a) - mean(b); NaN when either side has fewer than 2 finite values */
  t: number;
  /** Welch-Satterthwaite degrees of freedom */
  df: number;
  /** the two 95 % t-intervals do not overlap */
  disjoint: boolean;
  /** the Welch test rejects equal means at 5 % (two-sided) */
  differ: boolean;
  /** the better of the two when they differ, else null */
  better: string | null;
}

/**
 * Welch's test for two samples. The critical value is t_{0.975} at the Welch df rounded down (the
 * table holds integer df; rounding down makes the test slightly conservative, never lenient).
 */
export function welch(x: readonly number[], y: readonly number[]): { t: number; df: number; differ: boolean } {
  const fn = 'welch';
  if (!Array.isArray(x)) throw argError(fn, 'x', x, 'an array of numbers');
  if (!Array.isArray(y)) throw argError(fn, 'y', y, 'an array of numbers');
  const a = meanInterval(x), b = meanInterval(y);
  if (a.n < 2 || b.n < 2) return { t: NaN, df: NaN, differ: false };
  const va = a.sd ** 2 / a.n, vb = b.sd ** 2 / b.n;
  if (va + vb === 0) return { t: a.mean === b.mean ? 0 : Infinity, df: a.n + b.n - 2, differ: a.mean !== b.mean };
  const t = (a.mean - b.mean) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  // df >= min(n_a, n_b) - 1 >= 1 in exact arithmetic; the max guards rounding
  return { t, df, differ: Math.abs(t) > tQuantile975(Math.max(1, Math.floor(df + 1e-9))) };
}

/** Every pair of `groups` (name -> per-seed values), in the given order. */
export function rankPairs(groups: ReadonlyMap<string, readonly number[]>, higherIsBetter: boolean): PairVerdict[] {
  if (!(groups instanceof Map)) throw argError('rankPairs', 'groups', groups, 'a Map from objective name to per-seed values');
  const names = [...groups.keys()];
  const iv = new Map<string, Interval>(names.map((n) => [n, meanInterval(groups.get(n)!)]));
  const out: PairVerdict[] = [];
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [names[i], names[j]];
      const w = welch(groups.get(a)!, groups.get(b)!);
      const A = iv.get(a)!, B = iv.get(b)!;
      const disjoint = Number.isFinite(A.lo) && Number.isFinite(B.lo) && (A.hi < B.lo || B.hi < A.lo);
      const aBetter = higherIsBetter ? A.mean > B.mean : A.mean < B.mean;
      out.push({ a, b, t: w.t, df: w.df, disjoint, differ: w.differ, better: w.differ ? (aBetter ? a : b) : null });
    }
  return out;
}

/** One line per metric: the pairs that differ (better first), then every pair that cannot be ranked. */
export function rankingSentence(metric: string, pairs: readonly PairVerdict[]): string {
  const differ = pairs.filter((p) => p.differ).map((p) => {
    const worse = p.better === p.a ? p.b : p.a;
    return `${p.better} better than ${worse}${p.disjoint ? ' (intervals disjoint)' : ''}`;
  });
  const cannot = pairs.filter((p) => !p.differ).map((p) => `cannot rank ${p.a} and ${p.b}`);
  const head = differ.length ? `${differ.join('; ')}.` : 'no pair differs at 5 %.';
  return `**${metric}**: ${head}${cannot.length ? ` ${cannot.join('; ')}.` : ''}`;
}
