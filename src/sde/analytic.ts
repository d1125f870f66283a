// SPDX-License-Identifier: MIT
// Analytic oracles: Gaussian mixtures (and single Gaussians), whose law stays a Gaussian mixture
// under any affine SDE, so log p_t and the exact score grad log p_t are known at every t. Losses,
// samplers and likelihoods are tested against them without a trained model.
//
//   const data = new GaussianMixture({ means: [[-1, 0], [1, 0]], cov: 0.1 });
//   const pt = data.diffused(new VPSDE());      // p_t for t in [0, 1]
//   pt.score(x, t); pt.logProb(x, t);           // t a number or a [B] tensor
//   await pc({ sde, score: pt.scoreFn, shape: [500, 2] });
//   pt.at(1e-3).sample(1000);                   // fresh samples of p_t
//   data.dispose();                             // frees the cached constant tensors
//
// Component k is N(mu_k, Sigma_k); Sigma_k = V_k diag(lambda_k) V_k^T is kept in eigen form, so
// scale X + std Z (X ~ mixture, Z ~ N(0, I)) has components N(scale mu_k, V_k diag(scale^2 lambda_k
// + std^2) V_k^T): no matrix is ever inverted. Densities use log-sum-exp over components (and the
// score their softmax weights), so points far out in the tails give finite scores.
import { argError, ArgumentError, ShapeError, show } from '../errors.js';
import { add, div, mul, sub, cast, full, tensor, matmul, rand, randn, type Generator, logsumexp, sum, softmax, log, square, permute, reshape, transpose } from '../ops/index.js';
import { keep, tidy } from '../tensor/scope.js';
import type { DeviceLike } from '../tensor/device.js';
import { Tensor } from '../tensor/tensor.js';
import { AffineSDE } from './affine.js';
import { symEig } from '../linalg/eig.js';
import type { SDE } from './sde.js';
import type { ScoreFn } from '../score_types.js';
import { checkBatch, checkKeys } from './util.js';

/** A covariance: a variance (isotropic), a length-D diagonal, or a D x D symmetric PSD matrix. */
export type Cov = number | readonly number[] | readonly (readonly number[])[];

export interface GaussianMixtureOptions {
  /** Component means, [K][D]. */
  means: readonly (readonly number[])[];
  /** Component weights (non-negative, normalised here; default uniform). */
  weights?: readonly number[];
  /** One covariance per component. */
  covs?: readonly Cov[];
  /** One covariance shared by all components (default 1: the identity). */
  cov?: Cov;
  /** Shape of one sample (default [D]); samples are [n, ...eventShape]. */
  eventShape?: readonly number[];
}

export interface SampleOptions {
  generator?: Generator;
  dtype?: 'float32' | 'float64';
  device?: DeviceLike;
}

interface Component {
  mean: Float64Array;
  /** Eigenvalues of the covariance. */
  lam: Float64Array;
  /** Row-major D x D eigenvectors (columns), or null for an axis-aligned covariance. */
  V: Float64Array | null;
}

/** Constant tensors of one dtype and device, kept until dispose(). */
interface Consts {
  mu: Tensor;     // [1, K, D]
  lam: Tensor;    // [1, K, D]
  logw: Tensor;   // [K]
  V: Tensor | null;   // [K, D, D]
}

/** A number, or a [B] tensor of per-sample values. */
export type PerSample = number | Tensor;

const LOG_2PI = Math.log(2 * Math.PI);

export class GaussianMixture {
  /** Number of components. */
  readonly K: number;
  /** Dimension of one sample. */
  readonly D: number;
  readonly eventShape: readonly number[];
  /** Normalised weights. */
  readonly weights: Float64Array;
  private readonly comps: Component[];
  private readonly cache = new Map<string, Consts>();

  constructor(opts: GaussianMixtureOptions) {
    const op = 'GaussianMixture';
    if (!opts || typeof opts !== 'object') throw argError(op, 'options', opts, 'an object { means, weights?, covs? | cov?, eventShape? }');
    checkKeys(op, opts, ['means', 'weights', 'covs', 'cov', 'eventShape']);
    const means = opts.means;
    if (!Array.isArray(means) || means.length === 0 || !Array.isArray(means[0]) || means[0].length === 0)
      throw argError(op, 'means', means, 'a non-empty array of non-empty mean vectors [K][D]');
    const K = means.length, D = means[0].length;
    means.forEach((m, k) => {
      if (!Array.isArray(m) || m.length !== D || m.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
        throw argError(op, `means[${k}]`, m, `${D} finite numbers (like means[0])`);
    });
    const w = opts.weights ?? new Array<number>(K).fill(1);
    if (!Array.isArray(w) || w.length !== K || w.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0) || !(w.reduce((a, b) => a + b, 0) > 0))
      throw argError(op, 'weights', w, `${K} non-negative finite numbers, not all zero`);
    const total = w.reduce((a, b) => a + b, 0);
    if (opts.covs !== undefined && opts.cov !== undefined) throw argError(op, 'cov', opts.cov, "nothing when 'covs' is given (pass one of them)");
    let covs: Cov[];
    if (opts.covs !== undefined) {
      if (!Array.isArray(opts.covs) || opts.covs.length !== K) throw argError(op, 'covs', opts.covs, `an array of ${K} covariances (one per component)`);
      covs = [...opts.covs];
    } else {
      covs = new Array<Cov>(K).fill(opts.cov ?? 1);
    }
    const comps = covs.map((c, k) => componentOf(op, `covs[${k}]`, Float64Array.from(means[k]), c, D));
    const eventShape = opts.eventShape ? [...opts.eventShape] : [D];
    if (!eventShape.every((d) => Number.isInteger(d) && d > 0) || eventShape.reduce((a, b) => a * b, 1) !== D)
      throw argError(op, 'eventShape', opts.eventShape, `positive integers whose product is D = ${D}`);
    this.K = K;
    this.D = D;
    this.eventShape = eventShape;
    this.weights = Float64Array.from(w, (v) => v / total);
    this.comps = comps;
  }

  /** The law of scale X + std Z (X from this mixture, Z ~ N(0, I) independent), as a mixture. */
  transformed(scale: number, std: number): GaussianMixture {
    if (!Number.isFinite(scale)) throw argError('GaussianMixture.transformed', 'scale', scale, 'a finite number');
    if (!Number.isFinite(std) || std < 0) throw argError('GaussianMixture.transformed', 'std', std, 'a finite number >= 0');
    const comps = this.comps.map((c) => ({
      mean: c.mean.map((m) => scale * m),
      lam: c.lam.map((l) => scale * scale * l + std * std),
      V: c.V,
    }));
    // bypasses the constructor: the components are already validated and in eigen form
    const out = Object.create(GaussianMixture.prototype) as GaussianMixture;
    Object.assign(out, { K: this.K, D: this.D, eventShape: this.eventShape, weights: this.weights, comps, cache: new Map() });
    return out;
  }

  /** Mean vector of the mixture. */
  mean(): number[] {
    const m = new Array<number>(this.D).fill(0);
    this.comps.forEach((c, k) => c.mean.forEach((v, i) => (m[i] += this.weights[k] * v)));
    return m;
  }

  /** Covariance matrix of the mixture, D x D. */
  covariance(): number[][] {
    const D = this.D, mu = this.mean();
    const C = Array.from({ length: D }, () => new Array<number>(D).fill(0));
    this.comps.forEach((c, k) => {
      const S = covMatrix(c, D);
      for (let i = 0; i < D; i++)
        for (let j = 0; j < D; j++) C[i][j] += this.weights[k] * (S[i * D + j] + c.mean[i] * c.mean[j]);
    });
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) C[i][j] -= mu[i] * mu[j];
    return C;
  }

  /** log p(x) per sample, x of shape [B, ...eventShape]. */
  logProb(x: Tensor): Tensor {
    return this.logProbAt(x, 1, 0);
  }

  /** grad log p(x), shape of x. */
  score(x: Tensor): Tensor {
    return this.scoreAt(x, 1, 0);
  }

  /** log-density of scale X + std Z at x (scale, std: numbers or [B] tensors); shape [B]. */
  logProbAt(x: Tensor, scale: PerSample, std: PerSample): Tensor {
    return tidy(() => this.evaluate('GaussianMixture.logProbAt', x, scale, std, false).logp);
  }

  /** Score of scale X + std Z at x (scale, std: numbers or [B] tensors); shape of x. */
  scoreAt(x: Tensor, scale: PerSample, std: PerSample): Tensor {
    return tidy(() => this.evaluate('GaussianMixture.scoreAt', x, scale, std, true).score!);
  }

  /** n independent samples, shape [n, ...eventShape] (drawn in float64, then cast). */
  sample(n: number, opts: SampleOptions = {}): Tensor {
    const op = 'GaussianMixture.sample';
    checkKeys(op, opts, ['generator', 'dtype', 'device']);
    if (!Number.isInteger(n) || n < 0) throw argError(op, 'n', n, 'a non-negative integer');
    const D = this.D;
    const [u, z] = tidy(() => [
      rand([n], { generator: opts.generator, dtype: 'float64' }).dataSync(),
      randn([n, D], { generator: opts.generator, dtype: 'float64' }).dataSync(),
    ]);
    const cum = new Float64Array(this.K);
    this.weights.reduce((acc, v, k) => (cum[k] = acc + v), 0);
    const out = new Float64Array(n * D);
    const tmp = new Float64Array(D);
    for (let i = 0; i < n; i++) {
      let k = 0;
      while (k < this.K - 1 && u[i] >= cum[k]) k++;
      const c = this.comps[k];
      for (let j = 0; j < D; j++) tmp[j] = Math.sqrt(c.lam[j]) * z[i * D + j];
      for (let j = 0; j < D; j++) {
        let v = c.mean[j];
        if (c.V) for (let l = 0; l < D; l++) v += c.V[j * D + l] * tmp[l];
        else v += tmp[j];
        out[i * D + j] = v;
      }
    }
    return tensor(out, { shape: [n, ...this.eventShape], dtype: opts.dtype ?? 'float32', device: opts.device });
  }

  /** p_t of this data pushed through an affine SDE. */
  diffused(sde: SDE): DiffusedMixture {
    return new DiffusedMixture(this, sde);
  }

  /** Frees the cached constant tensors (they are rebuilt on the next use). */
  dispose(): void {
    for (const c of this.cache.values()) {
      c.mu.dispose();
      c.lam.dispose();
      c.logw.dispose();
      c.V?.dispose();
    }
    this.cache.clear();
  }

  private consts(x: Tensor): Consts {
    const key = `${x.dtype}:${x.device}`;
    let c = this.cache.get(key);
    if (!c) {
      const K = this.K, D = this.D, o = { dtype: x.dtype, device: x.device };
      const mu = new Float64Array(K * D), lam = new Float64Array(K * D);
      this.comps.forEach((cp, k) => {
        mu.set(cp.mean, k * D);
        lam.set(cp.lam, k * D);
      });
      const anyFull = this.comps.some((cp) => cp.V);
      let V: Tensor | null = null;
      if (anyFull) {
        const v = new Float64Array(K * D * D);
        this.comps.forEach((cp, k) => {
          if (cp.V) v.set(cp.V, k * D * D);
          else for (let i = 0; i < D; i++) v[k * D * D + i * D + i] = 1;
        });
        V = keep(tensor(v, { ...o, shape: [K, D, D] }));
      }
      c = {
        mu: keep(tensor(mu, { ...o, shape: [1, K, D] })),
        lam: keep(tensor(lam, { ...o, shape: [1, K, D] })),
        logw: keep(tensor(Float64Array.from(this.weights, Math.log), o)),
        V,
      };
      this.cache.set(key, c);
    }
    return c;
  }

  /** log p and (optionally) the score of scale X + std Z at x; call inside a tidy. */
  private evaluate(op: string, x: Tensor, scale: PerSample, std: PerSample, wantScore: boolean): { logp: Tensor; score?: Tensor } {
    checkBatch(op, 'x', x);
    const B = x.shape[0], D = this.D, K = this.K;
    const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
    if (per !== D) throw new ShapeError(`${op}: argument 'x' has shape ${show([...x.shape])}, expected [B, ...] with ${D} elements per sample (eventShape ${show([...this.eventShape])})`);
    const c = this.consts(x);
    const a3 = reshape(perSampleValue(op, 'scale', scale, x), [B, 1, 1]);
    const s3 = reshape(perSampleValue(op, 'std', std, x), [B, 1, 1]);
    const variance = add(mul(square(a3), c.lam), square(s3));                     // [B, K, D]
    const diff = sub(reshape(x, [B, 1, D]), mul(a3, c.mu));                         // [B, K, D]
    let quad: Tensor, w: Tensor;   // w: Sigma_t^{-1} diff per component, [B, K, D]
    if (c.V) {
      // in component k's eigenbasis: y = V_k^T diff, Sigma_t^{-1} diff = V_k (y / lambda_t)
      const varK = permute(variance, [1, 0, 2]);                                   // [K, B, D]
      const y = matmul(permute(diff, [1, 0, 2]), c.V);                              // [K, B, D]
      const u = div(y, varK);
      quad = transpose(sum(mul(y, u), -1), 0, 1);                                   // [B, K]
      w = wantScore ? permute(matmul(u, transpose(c.V, 1, 2)), [1, 0, 2]) : u;
    } else {
      w = div(diff, variance);
      quad = sum(mul(diff, w), -1);
    }
    const logN = add(mul(add(quad, sum(log(variance), -1)), -0.5), (-D / 2) * LOG_2PI);  // [B, K]
    const logits = add(logN, c.logw);
    const logp = logsumexp(logits, 1);
    if (!wantScore) return { logp };
    const r = reshape(softmax(logits, 1), [B, K, 1]);
    const score = reshape(mul(sum(mul(r, w), 1), -1), [...x.shape]);
    return { logp, score };
  }
}

/** N(mean, cov) data: a one-component mixture. */
export function gaussian(opts: { mean: readonly number[]; cov?: Cov; eventShape?: readonly number[] }): GaussianMixture {
  if (!opts || typeof opts !== 'object') throw argError('gaussian', 'options', opts, 'an object { mean, cov?, eventShape? }');
  checkKeys('gaussian', opts, ['mean', 'cov', 'eventShape']);
  return new GaussianMixture({ means: [opts.mean], cov: opts.cov, eventShape: opts.eventShape });
}

/**
 * The marginals p_t of mixture data under an affine SDE (x_t = scale(t) x_0 + std(t) z):
 * log-density, exact score and samples at any t.
 */
export class DiffusedMixture {
  /** The exact score as a ScoreFn, for samplers and likelihoods. */
  readonly scoreFn: ScoreFn;

  constructor(readonly data: GaussianMixture, readonly sde: SDE) {
    if (!(data instanceof GaussianMixture)) throw argError('DiffusedMixture', 'data', data, 'a GaussianMixture');
    if (!(sde instanceof AffineSDE))
      throw argError('DiffusedMixture', 'sde', sde?.name ?? sde, "an affine SDE (VE, VP, subVP or an AffineSDE): non-affine SDEs do not keep mixtures Gaussian");
    this.scoreFn = (x, t) => this.score(x, t);
  }

  /** log p_t(x) per sample; t a number or a [B] tensor. */
  logProb(x: Tensor, t: PerSample): Tensor {
    return tidy(() => {
      const { scale, std } = this.coef('DiffusedMixture.logProb', x, t);
      return this.data.logProbAt(x, scale, std);
    });
  }

  /** grad_x log p_t(x), shape of x; t a number or a [B] tensor. */
  score(x: Tensor, t: PerSample): Tensor {
    return tidy(() => {
      const { scale, std } = this.coef('DiffusedMixture.score', x, t);
      return this.data.scoreAt(x, scale, std);
    });
  }

  /** p_t as a mixture (for fresh samples of p_t, its moments...). */
  at(t: number): GaussianMixture {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > this.sde.T) throw argError('DiffusedMixture.at', 't', t, `a time in [0, ${this.sde.T}]`);
    const [scale, std] = tidy(() => {
      const { scale, std } = (this.sde as AffineSDE).marginalCoef(tensor([t], { dtype: 'float64' }));
      return [scale.item(), std.item()];
    });
    return this.data.transformed(scale, std);
  }

  /** n samples of p_t. */
  sample(n: number, t: number, opts: SampleOptions = {}): Tensor {
    return this.at(t).sample(n, opts);
  }

  private coef(op: string, x: Tensor, t: PerSample): { scale: Tensor; std: Tensor } {
    checkBatch(op, 'x', x);
    const tt = typeof t === 'number' ? full([x.shape[0]], t, { dtype: x.dtype, device: x.device }) : perSampleValue(op, 't', t, x);
    return (this.sde as AffineSDE).marginalCoef(tt);
  }
}

/** A number or [B] tensor as a [B] tensor in x's dtype. */
function perSampleValue(op: string, arg: string, v: PerSample, x: Tensor): Tensor {
  const B = x.shape[0];
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw argError(op, arg, v, 'a finite number or a [B] tensor');
    return full([B], v, { dtype: x.dtype, device: x.device });
  }
  if (!(v instanceof Tensor) || v.ndim !== 1 || v.shape[0] !== B) throw argError(op, arg, v, `a number or a tensor of shape [${B}]`);
  return v.dtype === x.dtype ? v : cast(v, x.dtype);
}

function componentOf(op: string, arg: string, mean: Float64Array, c: Cov, D: number): Component {
  if (typeof c === 'number') {
    if (!Number.isFinite(c) || c < 0) throw argError(op, arg, c, 'a variance >= 0, a diagonal, or a D x D covariance matrix');
    return { mean, lam: new Float64Array(D).fill(c), V: null };
  }
  if (!Array.isArray(c) || c.length !== D) throw argError(op, arg, c, `a variance, a diagonal of ${D} numbers, or a ${D} x ${D} matrix`);
  if (c.every((v) => typeof v === 'number')) {
    const d = c as readonly number[];
    if (d.some((v) => !Number.isFinite(v) || v < 0)) throw argError(op, arg, c, 'a diagonal of variances >= 0');
    return { mean, lam: Float64Array.from(d), V: null };
  }
  const rows = c as readonly (readonly number[])[];
  if (rows.some((r) => !Array.isArray(r) || r.length !== D || r.some((v) => typeof v !== 'number' || !Number.isFinite(v))))
    throw argError(op, arg, c, `a ${D} x ${D} matrix of finite numbers`);
  let maxAbs = 0;
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) maxAbs = Math.max(maxAbs, Math.abs(rows[i][j]));
  for (let i = 0; i < D; i++)
    for (let j = i + 1; j < D; j++)
      if (Math.abs(rows[i][j] - rows[j][i]) > 1e-12 * maxAbs)
        throw new ArgumentError(`${op}: argument '${arg}' is not symmetric (entry [${i}][${j}] = ${rows[i][j]}, [${j}][${i}] = ${rows[j][i]})`);
  const { values, vectors } = symEig(rows.flat(), D);
  for (let i = 0; i < D; i++) {
    if (values[i] < -1e-12 * maxAbs) throw new ArgumentError(`${op}: argument '${arg}' is not positive semi-definite (eigenvalue ${values[i]})`);
    values[i] = Math.max(values[i], 0);
  }
  return { mean, lam: values, V: vectors };
}

/** The covariance matrix V diag(lam) V^T of a component, row-major. */
function covMatrix(c: Component, D: number): Float64Array {
  const S = new Float64Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j < D; j++) {
      if (!c.V) {
        if (i === j) S[i * D + i] = c.lam[i];
        continue;
      }
      let v = 0;
      for (let l = 0; l < D; l++) v += c.V[i * D + l] * c.lam[l] * c.V[j * D + l];
      S[i * D + j] = v;
    }
  return S;
}
