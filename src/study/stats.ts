// SPDX-License-Identifier: MIT
// Means with 95 % confidence intervals from a few seeds: Student's t, because with 3-5 seeds the
// normal quantile (1.96) would understate the interval by a factor of up to 2.
import { argError } from '../errors.js';

/** Two-sided 95 % quantiles t_{0.975, df} for df = 1..30 (standard tables, 3 decimals). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** t_{0.975, df}; past the table, 1.96 + 2.4 / df (within 0.002 of the exact value for df > 30). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw argError('tQuantile975', 'df', df, 'an integer >= 1');
  return df <= T975.length ? T975[df - 1] : 1.96 + 2.4 / df;
}

export interface Interval {
  mean: number;
  /** mean -/+ t_{0.975, n-1} * sd / sqrt(n); NaN for a single value (no spread to estimate). */
  lo: number;
  hi: number;
  /** sample standard deviation (n - 1) */
  sd: number;
  n: number;
}

/** Mean and 95 % t-interval of the finite values (non-finite ones, e.g. a diverged seed, are counted out and reported by n). */
export function meanInterval(values: readonly number[]): Interval {
  if (!Array.isArray(values)) throw argError('meanInterval', 'values', values, 'an array of numbers');
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, sd: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: NaN, hi: NaN, sd: NaN, n };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const h = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, lo: mean - h, hi: mean + h, sd, n };
}
