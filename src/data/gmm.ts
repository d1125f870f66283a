// SPDX-License-Identifier: MIT
// Toy-data Gaussian mixtures with diagonal covariances, described by means and stds. The maths
// (sampling, log-density, score) is the SDE layer's mixture oracle (sde/analytic.ts); this class
// adds the toy-set view: per-dimension stds, names, and `perturbed` (a·X + s·Z, the marginal of
// an affine SDE kernel, again a mixture).
import { argError, checkFinite, checkInt, checkOptions, ShapeError } from '../errors.js';
import { randn, rand, Generator, defaultGenerator } from '../ops/index.js';
import { GaussianMixture as Mixture } from '../sde/analytic.js';
import { isFloat } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';

export interface GaussianMixtureOptions {
  /** Component means, K rows of D numbers. */
  means: number[][];
  /** Standard deviations: one for all, one per component (isotropic), or K rows of D (diagonal). */
  stds: number | number[] | number[][];
  /** Mixing weights (normalised here; default uniform). */
  weights?: number[];
}

export interface SampleOptions {
  generator?: Generator;
  dtype?: 'float32' | 'float64';
}

export class GaussianMixture {
  readonly dim: number;
  readonly k: number;
  /** [K][D] means, [K][D] standard deviations, [K] normalised weights. */
  readonly means: number[][];
  readonly stds: number[][];
  readonly weights: number[];

  constructor(o: GaussianMixtureOptions, readonly name = 'gmm') {
    const fn = 'GaussianMixture';
    if (!Array.isArray(o?.means) || o.means.length === 0) throw argError(fn, 'means', o?.means, 'a non-empty array of mean vectors');
    this.k = o.means.length;
    this.dim = o.means[0]?.length ?? 0;
    if (this.dim < 1) throw argError(fn, 'means[0]', o.means[0], 'a non-empty array of numbers');
    this.means = o.means.map((m, i) => {
      if (!Array.isArray(m) || m.length !== this.dim)
        throw new ShapeError(`${fn}: means[${i}] has ${Array.isArray(m) ? m.length : 'no'} entries, expected ${this.dim} (the length of means[0])`);
      return m.map((v, d) => checkFinite(fn, `means[${i}][${d}]`, v));
    });
    const s = o.stds;
    const row = (v: unknown, i: number): number[] => {
      if (typeof v === 'number') return new Array(this.dim).fill(checkFinite(fn, `stds[${i}]`, v, { min: 0, minExclusive: true }));
      if (!Array.isArray(v) || v.length !== this.dim) throw argError(fn, `stds[${i}]`, v, `a positive number or ${this.dim} positive numbers`);
      return v.map((x, d) => checkFinite(fn, `stds[${i}][${d}]`, x, { min: 0, minExclusive: true }));
    };
    if (typeof s === 'number') this.stds = this.means.map((_, i) => row(s, i));
    else if (Array.isArray(s) && s.length === this.k) this.stds = s.map((v, i) => row(v, i));
    else throw argError(fn, 'stds', s, `a positive number, ${this.k} numbers or ${this.k} rows of ${this.dim} numbers`);
    const w = o.weights ?? new Array(this.k).fill(1);
    if (!Array.isArray(w) || w.length !== this.k) throw argError(fn, 'weights', w, `${this.k} non-negative numbers`);
    w.forEach((v, i) => checkFinite(fn, `weights[${i}]`, v, { min: 0 }));
    const tot = w.reduce((a, b) => a + b, 0);
    if (!(tot > 0)) throw argError(fn, 'weights', w, 'weights with a positive sum');
    this.weights = w.map((v) => v / tot);
  }

  /**
   * The law of a·X + s·Z for X from this mixture and Z ~ N(0, I): the marginal of an affine SDE
   * (VE: a = 1, s = σ(t); VP: a = e^{m(t)}, s = sqrt(1 − e^{2m(t)})).
   */
  perturbed(a: number, s: number): GaussianMixture {
    checkFinite('GaussianMixture.perturbed', 'a', a);
    checkFinite('GaussianMixture.perturbed', 's', s, { min: 0 });
    return new GaussianMixture({
      means: this.means.map((m) => m.map((v) => a * v)),
      stds: this.stds.map((r) => r.map((v) => Math.sqrt(a * a * v * v + s * s))),
      weights: this.weights,
    }, this.name);
  }

  /** The same mixture as the SDE layer's oracle, which owns the density, score and sampling maths. */
  private get oracle(): Mixture {
    this._oracle ??= new Mixture({ means: this.means, weights: this.weights, covs: this.stds.map((r) => r.map((v) => v * v)) });
    return this._oracle;
  }
  private _oracle?: Mixture;

  /** n i.i.d. samples [n, D]: one uniform (component) and D normals per sample. */
  sample(n: number, opts: SampleOptions = {}): Tensor {
    checkInt('GaussianMixture.sample', 'n', n, 0);
    const o = checkOptions('GaussianMixture.sample', 'options', opts);
    if (o.generator !== undefined && !(o.generator instanceof Generator)) throw argError('GaussianMixture.sample', 'generator', o.generator, 'a Generator');
    if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float64') throw argError('GaussianMixture.sample', 'dtype', o.dtype, "'float32' or 'float64'");
    return this.oracle.sample(n, { generator: o.generator ?? defaultGenerator, dtype: o.dtype ?? 'float32' });
  }

  /** Samples as a flat float64 array (row-major [n, D]). */
  sampleArray(n: number, gen: Generator): Float64Array {
    checkInt('GaussianMixture.sampleArray', 'n', n, 0);
    if (!(gen instanceof Generator)) throw argError('GaussianMixture.sampleArray', 'generator', gen, 'a Generator');
    return tidy(() => Float64Array.from(this.oracle.sample(n, { generator: gen, dtype: 'float64' }).dataSync()));
  }

  private checkX(fn: string, x: Tensor): void {
    if (!(x instanceof Tensor)) throw argError(fn, 'x', x, `a tensor of shape [N, ${this.dim}]`);
    x.assertLive(fn, 'x');
    if (x.ndim !== 2 || x.shape[1] !== this.dim)
      throw new ShapeError(`${fn}: argument 'x' has shape [${x.shape.join(', ')}], expected [N, ${this.dim}]`);
    if (!isFloat(x.dtype)) throw argError(fn, 'x', x, 'a float32 or float64 tensor');
  }

  /** log p(x), [N], in x's dtype (differentiable). */
  logDensity(x: Tensor): Tensor {
    this.checkX('GaussianMixture.logDensity', x);
    return this.oracle.logProb(x);
  }

  /** ∇ log p(x), [N, D]. */
  score(x: Tensor): Tensor {
    this.checkX('GaussianMixture.score', x);
    return this.oracle.score(x);
  }
}

/** n·k float64 draws from `gen` (uniform on [0, 1) or standard normal), as a JS array. */
export function drawArray(n: number, k: number, gen: Generator, kind: 'uniform' | 'normal'): Float64Array {
  return tidy(() => {
    const t = kind === 'uniform' ? rand([n * k], { generator: gen, dtype: 'float64' }) : randn([n * k], { generator: gen, dtype: 'float64' });
    return t.dataSync() as Float64Array;
  });
}

/** FFJORD's 8gaussians: centres 4·(unit vectors at multiples of 45°)/1.414, std 0.5/1.414. */
export function eightGaussians(): GaussianMixture {
  const r = 1 / Math.SQRT2;
  const centers = [[1, 0], [-1, 0], [0, 1], [0, -1], [r, r], [r, -r], [-r, r], [-r, -r]];
  // FFJORD divides by 1.414 (not sqrt 2); kept so samples match its published figures exactly
  return new GaussianMixture({ means: centers.map(([a, b]) => [(4 * a) / 1.414, (4 * b) / 1.414]), stds: 0.5 / 1.414 }, '8gaussians');
}
