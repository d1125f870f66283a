// SPDX-License-Identifier: MIT
// Sample-quality statistics on classifier features: FID (Fréchet distance of Gaussian fits), KID
// (unbiased MMD² with the cubic polynomial kernel, averaged over subsets) and the Inception-style
// score exp(E_x KL(p(y|x) || p(y))). Plain float64 JS: the feature matrices are small (N x 128).
import { argError, checkInt, checkKnownKeys, checkOptions } from '../errors.js';
import { symEig } from '../linalg/eig.js';

/** Features as an N x D row-major matrix. */
export interface FeatureMatrix {
  n: number;
  d: number;
  data: Float64Array;
}

/** `f` if it is a FeatureMatrix {n, d, data: Float64Array of n * d finite values}, else an ArgumentError. */
function checkFeatures(op: string, arg: string, f: unknown): FeatureMatrix {
  const m = f as FeatureMatrix;
  if (!m || typeof m !== 'object' || !Number.isSafeInteger(m.n) || m.n < 0 || !Number.isSafeInteger(m.d) || m.d < 1 || !(m.data instanceof Float64Array) || m.data.length !== m.n * m.d)
    throw argError(op, arg, f, 'a feature matrix {n, d, data: Float64Array(n * d)} (featureMatrix(...), classify(...).features)');
  return m;
}

function checkFit(op: string, arg: string, g: unknown): GaussianFit {
  const f = g as GaussianFit;
  if (!f || typeof f !== 'object' || !Number.isSafeInteger(f.d) || f.d < 1 || !(f.mean instanceof Float64Array) || f.mean.length !== f.d || !(f.cov instanceof Float64Array) || f.cov.length !== f.d * f.d)
    throw argError(op, arg, g, 'a Gaussian fit {mean, cov, d} (fitGaussian(...))');
  return f;
}

export function featureMatrix(data: ArrayLike<number>, n: number, d: number): FeatureMatrix {
  checkInt('featureMatrix', 'n', n, 0);
  checkInt('featureMatrix', 'd', d, 1);
  if (!data || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') throw argError('featureMatrix', 'data', data, 'an array or typed array of numbers');
  if (data.length !== n * d) throw argError('featureMatrix', 'data', data.length, `${n} x ${d} = ${n * d} values`);
  return { n, d, data: Float64Array.from(data) };
}

export interface GaussianFit {
  mean: Float64Array;
  /** unbiased covariance, d x d row-major */
  cov: Float64Array;
  d: number;
}

export function fitGaussian(f: FeatureMatrix): GaussianFit {
  const { n, d, data } = checkFeatures('fitGaussian', 'features', f);
  if (n < 2) throw argError('fitGaussian', 'features', n, 'at least 2 samples');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  mean.forEach((_, j) => (mean[j] /= n));
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = c[a];
      if (ca === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ca * c[b];
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  return { mean, cov, d };
}

function matmulSq(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  return out;
}

/**
 * ||mu1 - mu2||² + tr(S1) + tr(S2) - 2 tr((S1^½ S2 S1^½)^½). The inner matrix is symmetric PSD,
 * so its square-root trace is the sum of square roots of its eigenvalues (negative round-off
 * eigenvalues are clamped to 0).
 */
export function frechetDistance(g1: GaussianFit, g2: GaussianFit): number {
  checkFit('frechetDistance', 'g1', g1);
  checkFit('frechetDistance', 'g2', g2);
  if (g1.d !== g2.d) throw argError('frechetDistance', 'g2', g2.d, `features of dimension ${g1.d}`);
  const d = g1.d;
  let dm = 0;
  for (let j = 0; j < d; j++) dm += (g1.mean[j] - g2.mean[j]) ** 2;
  const e1 = symEig(g1.cov, d);
  const s1h = new Float64Array(d * d);  // S1^½ = V diag(sqrt λ) V^T
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += e1.vectors[i * d + k] * Math.sqrt(Math.max(e1.values[k], 0)) * e1.vectors[j * d + k];
      s1h[i * d + j] = s;
    }
  const m = matmulSq(matmulSq(s1h, g2.cov, d), s1h, d);
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) {
      const v = 0.5 * (m[i * d + j] + m[j * d + i]);  // symmetrise round-off
      m[i * d + j] = v;
      m[j * d + i] = v;
    }
  const em = symEig(m, d);
  let trSqrt = 0, tr1 = 0, tr2 = 0;
  em.values.forEach((v) => (trSqrt += Math.sqrt(Math.max(v, 0))));
  for (let i = 0; i < d; i++) {
    tr1 += g1.cov[i * d + i];
    tr2 += g2.cov[i * d + i];
  }
  return Math.max(dm + tr1 + tr2 - 2 * trSqrt, 0);
}

export function fid(a: FeatureMatrix, b: FeatureMatrix): number {
  checkFeatures('fid', 'a', a);
  checkFeatures('fid', 'b', b);
  if (a.d !== b.d) throw argError('fid', 'b', `features of dimension ${b.d}`, `features of dimension ${a.d}`);
  return frechetDistance(fitGaussian(a), fitGaussian(b));
}

/**
 * Kernel Inception Distance: unbiased MMD² with k(x, y) = (x·y/d + 1)³, averaged over `subsets`
 * random subsets of `subsetSize` rows of each set (Bińkowski et al. 2018). Returns mean and std.
 */
export function kid(a: FeatureMatrix, b: FeatureMatrix, o: { subsets?: number; subsetSize?: number; seed?: number } = {}): { mean: number; std: number } {
  checkFeatures('kid', 'a', a);
  checkFeatures('kid', 'b', b);
  if (a.d !== b.d) throw argError('kid', 'b', b.d, `features of dimension ${a.d}`);
  o = checkOptions('kid', 'options', o);
  checkKnownKeys('kid', 'options', o, ['subsets', 'subsetSize', 'seed']);
  const m = Math.min(checkInt('kid', 'subsetSize', o.subsetSize ?? 1000, 2), a.n, b.n);
  if (m < 2) throw argError('kid', 'subsetSize', m, 'at least 2 rows in each set');
  const subsets = checkInt('kid', 'subsets', o.subsets ?? 10, 1, 1e6);
  checkInt('kid', 'seed', o.seed ?? 0, 0);
  let state = (o.seed ?? 0) * 2654435761 + 1;
  const rnd = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296);
  const pick = (n: number) => {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, m);
  };
  const d = a.d;
  const k = (x: Float64Array, i: number, y: Float64Array, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += x[i * d + t] * y[j * d + t];
    return (s / d + 1) ** 3;
  };
  const vals: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const ia = pick(a.n), ib = pick(b.n);
    let kxx = 0, kyy = 0, kxy = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        if (i !== j) {
          kxx += k(a.data, ia[i], a.data, ia[j]);
          kyy += k(b.data, ib[i], b.data, ib[j]);
        }
        kxy += k(a.data, ia[i], b.data, ib[j]);
      }
    vals.push(kxx / (m * (m - 1)) + kyy / (m * (m - 1)) - (2 * kxy) / (m * m));
  }
  const mean = vals.reduce((x, y) => x + y, 0) / vals.length;
  const std = Math.sqrt(vals.reduce((x, y) => x + (y - mean) ** 2, 0) / Math.max(vals.length - 1, 1));
  return { mean, std };
}

/** exp(E_x KL(p(y|x) || p(y))) from class probabilities (N x C rows summing to 1). */
export function inceptionScore(probs: FeatureMatrix): number {
  const { n, d, data } = checkFeatures('inceptionScore', 'probs', probs);
  if (n < 1) throw argError('inceptionScore', 'probs', probs, 'at least one row of class probabilities');
  const py = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) py[c] += data[i * d + c] / n;
  let kl = 0;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < d; c++) {
      const p = data[i * d + c];
      if (p > 0) kl += p * (Math.log(p) - Math.log(py[c]));
    }
  return Math.exp(kl / n);
}
