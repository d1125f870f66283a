// SPDX-License-Identifier: MIT
// The radially symmetric law p(x) ∝ exp(-a (|x|^2 - 1)^2 / 4) on R^D: the stationary law of the
// double-well SDE, used as its prior. Its radius has density ∝ r^{D-1} exp(-a (r^2 - 1)^2 / 4),
// tabulated once per (a, D) on a fine grid: the normaliser comes from the trapezoid rule and
// radii from the inverse of the tabulated CDF (linear between nodes), directions are uniform.

/** log Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms: ~1e-15 relative). */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const y = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

export interface RadialTable {
  /** Grid of radii. */
  r: Float64Array;
  /** Unnormalised CDF at the grid nodes (cdf[0] = 0). */
  cdf: Float64Array;
  /** log of the normaliser of exp(-U(x)) over R^D. */
  logZ: number;
}

const cache = new Map<string, RadialTable>();
// The grid spans where the radial log-density is within TAIL nats of its maximum.
const TAIL = 50, NODES = 20001;

export function radialTable(a: number, D: number): RadialTable {
  const key = `${a}:${D}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const logq = (r: number) => (r > 0 ? (D - 1) * Math.log(r) : D === 1 ? 0 : -Infinity) - (a * (r * r - 1) ** 2) / 4;
  // the mode solves a r^4 - a r^2 - (D - 1) = 0
  const rStar = Math.sqrt((1 + Math.sqrt(1 + (4 * (D - 1)) / a)) / 2);
  const top = logq(rStar);
  let d = 0.05;
  while (logq(rStar + d) > top - TAIL) d *= 2;
  const hi = rStar + d;
  d = 0.05;
  while (rStar - d > 0 && logq(rStar - d) > top - TAIL) d *= 2;
  const lo = Math.max(0, rStar - d);
  const r = new Float64Array(NODES), cdf = new Float64Array(NODES);
  const h = (hi - lo) / (NODES - 1);
  let prev = 0;
  for (let i = 0; i < NODES; i++) {
    r[i] = lo + i * h;
    const q = Math.exp(logq(r[i]) - top);
    if (i > 0) cdf[i] = cdf[i - 1] + 0.5 * h * (q + prev);
    prev = q;
  }
  // surface of the unit sphere S^{D-1}: 2 pi^{D/2} / Gamma(D/2) (2 for D = 1: the points +-1)
  const logSphere = Math.log(2) + (D / 2) * Math.log(Math.PI) - lgamma(D / 2);
  const table = { r, cdf, logZ: logSphere + top + Math.log(cdf[NODES - 1]) };
  cache.set(key, table);
  return table;
}

/** E|x|^2 under the law of the table's (a, D): r^2 at the midpoints of the tabulated CDF's increments. */
export function radialSecondMoment(a: number, D: number): number {
  const { r, cdf } = radialTable(a, D);
  let m2 = 0;
  for (let i = 1; i < r.length; i++) {
    const mid = 0.5 * (r[i] + r[i - 1]);
    m2 += (cdf[i] - cdf[i - 1]) * mid * mid;
  }
  return m2 / cdf[cdf.length - 1];
}

/** Radii for uniforms u in [0, 1) by inverting the tabulated CDF. */
export function radialQuantiles(table: RadialTable, u: ArrayLike<number>): Float64Array {
  const { r, cdf } = table;
  const total = cdf[cdf.length - 1];
  const out = new Float64Array(u.length);
  for (let k = 0; k < u.length; k++) {
    const target = u[k] * total;
    let lo = 0, hi = cdf.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] <= target) lo = mid;
      else hi = mid;
    }
    const w = cdf[hi] > cdf[lo] ? (target - cdf[lo]) / (cdf[hi] - cdf[lo]) : 0;
    out[k] = r[lo] + w * (r[hi] - r[lo]);
  }
  return out;
}
