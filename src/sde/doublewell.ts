// SPDX-License-Identifier: MIT
// A non-affine SDE: gradient drift of the double-well potential U(x) = a (|x|^2 - 1)^2 / 4 with
// VP-style noise,
//     dx = -(beta(t) / 2) grad U(x) dt + sqrt(beta(t)) dw,   grad U(x) = a (|x|^2 - 1) x,
// |x| the norm of a whole sample. The drift -grad U runs on VP's clock (beta(t)/2, as VP's -beta x/2
// is the drift of U = |x|^2/2), so p_t relaxes to the stationary law p(x) ∝ exp(-U(x)), which is
// the prior, the same way VP relaxes to N(0, I). The kernel p_0t is not Gaussian and has no
// closed form: x_t comes from Euler-Maruyama simulation.
//
// sigmaBar(t), the noise scale of x_t that the losses and the score parameterisation use, must
// follow the drift's contraction: sqrt(int_0^t beta) (what it was) reaches 3.17 at t = 1 while the
// marginal std is 0.89 (2-D, a = 1), which made LCSS's smoothing scale and the weight sigmaBar^2
// 3.6x and 13x too large at large t. The LCSS minimiser is grad p_sigma / p, which grows like
// exp(sigma^2 |grad U|^2 / 2) in the quartic tails of exp(-U), so the oversized sigma made the
// trained score blow up at |x| >= 2.5 and training drift away (bench/RESULTS.md, "Doublewell").
// Now sigmaBar(t)^2 = v (1 - exp(-int_0^t beta / v)), v the per-coordinate variance of exp(-U) in
// `dim` dimensions: the exact variance of the OU process dx = -beta x / (2 v) dt + sqrt(beta) dw,
// which has the same noise and the same stationary variance (VP is the case v = 1).
import { argError, ArgumentError, checkFinite, checkInt, checkOptions, ShapeError } from '../errors.js';
import { add, div, mul, sub, tensor, rand, randn, type Generator, sum, isfinite, sqrt, square, exp, neg } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { priorShape, type PriorOptions } from './affine.js';
import { radialQuantiles, radialTable, radialSecondMoment } from './radial.js';
import { NotAffineError, SDE, type DriftDiffusion, type Marginal, type SampleXtOptions } from './sde.js';
import { checkBatch, checkKeys, checkTime, validateTime, perSample, perSampleSize, rowSum, steps } from './util.js';
import { BetaSchedule, checkBetas } from './vp.js';

export interface DoubleWellOptions {
  /** Height of the potential: U(x) = a (|x|^2 - 1)^2 / 4 (default 1; the barrier at 0 is a/4). */
  a?: number;
  /** beta(0) (default 0.1). */
  betaMin?: number;
  /** beta(1) (default 20). */
  betaMax?: number;
  /** Discretisation steps of samplers (default 1000). */
  N?: number;
  /**
   * Default Euler-Maruyama steps of sampleXt from 0 to t (default 100; each sample uses dt = t /
   * steps). Explicit EM is stable while dt beta a (3 |x|^2 - 1) / 2 < 2: raise it for data far
   * from the unit sphere.
   */
  steps?: number;
  /**
   * Dimension D of one sample (default 2, the toy sets): sigmaBar saturates at the stationary
   * per-coordinate std of exp(-U) on R^D, which depends on D. sampleXt refuses data of another D.
   */
  dim?: number;
  /**
   * 'stationary' (default): sigmaBar(t)^2 = v (1 - exp(-int beta / v)), saturating at the stationary
   * variance v. 'diffusion': sqrt(int_0^t beta), which ignores the drift (the scale before the fix;
   * only for models trained with it).
   */
  scale?: 'stationary' | 'diffusion';
}

export class DoubleWellSDE extends SDE {
  readonly name = 'doublewell';
  readonly isAffine = false;
  readonly samplingEps = 1e-3;
  readonly N: number;
  readonly a: number;
  readonly steps: number;
  readonly dim: number;
  readonly scale: 'stationary' | 'diffusion';
  /** Per-coordinate variance E|x|^2 / dim of the stationary law exp(-U). */
  readonly stationaryVariance: number;
  private readonly schedule: BetaSchedule;

  constructor(opts: DoubleWellOptions = {}) {
    super();
    opts = checkOptions(new.target.name, 'options', opts) as typeof opts;
    checkKeys('DoubleWellSDE', opts, ['a', 'betaMin', 'betaMax', 'N', 'steps', 'dim', 'scale']);
    this.a = checkFinite('DoubleWellSDE', 'a', opts.a ?? 1, { min: 0, minExclusive: true });
    this.schedule = new BetaSchedule(checkBetas('DoubleWellSDE', opts));
    this.N = steps('DoubleWellSDE', 'N', opts.N ?? 1000);
    this.steps = steps('DoubleWellSDE', 'steps', opts.steps ?? 100);
    this.dim = checkInt('DoubleWellSDE', 'dim', opts.dim ?? 2, 1, 1e7);
    const scale = opts.scale ?? 'stationary';
    if (scale !== 'stationary' && scale !== 'diffusion') throw argError('DoubleWellSDE', 'scale', scale, "'stationary' or 'diffusion'");
    this.scale = scale;
    this.stationaryVariance = radialSecondMoment(this.a, this.dim) / this.dim;
  }
  get betaMin(): number {
    return this.schedule.betaMin;
  }
  get betaMax(): number {
    return this.schedule.betaMax;
  }

  /** U(x) = a (|x|^2 - 1)^2 / 4 per sample, shape [B]. */
  potential(x: Tensor): Tensor {
    checkBatch('DoubleWellSDE.potential', 'x', x);
    return tidy(() => mul(square(sub(rowSum(square(x)), 1)), this.a / 4));
  }

  /** grad U(x) = a (|x|^2 - 1) x, shape of x. */
  gradPotential(x: Tensor): Tensor {
    checkBatch('DoubleWellSDE.gradPotential', 'x', x);
    return tidy(() => mul(perSample(mul(sub(rowSum(square(x)), 1), this.a), x), x));
  }

  sde(x: Tensor, t: Tensor): DriftDiffusion {
    checkBatch('DoubleWellSDE.sde', 'x', x);
    return tidy(() => {
      const tt = checkTime('DoubleWellSDE.sde', t, x);
      const beta = this.schedule.beta(tt);
      return { drift: mul(perSample(mul(beta, -0.5), x), this.gradPotential(x)), diffusion: sqrt(beta) };
    });
  }

  marginal(_x0: Tensor, _t: Tensor): Marginal {
    throw new NotAffineError('DoubleWellSDE.marginal: the double-well drift is not affine, so p_0t(x_t | x_0) has no closed form; ' +
      'use sampleXt (Euler-Maruyama simulation) for x_t and sigmaBar(t) for its noise scale');
  }

  /**
   * sqrt(v (1 - exp(-I(t) / v))) with I(t) = int_0^t g^2 = beta_0 t + (beta_1 - beta_0) t^2 / 2 and v
   * the stationary per-coordinate variance (see the file header); sqrt(I(t)) with scale
   * 'diffusion'. Both equal sqrt(I(t)) to first order at small t. Shape [B].
   */
  sigmaBar(t: Tensor): Tensor {
    const tt = checkTime('DoubleWellSDE.sigmaBar', t);
    const v = this.stationaryVariance;
    if (this.scale === 'diffusion') return tidy(() => sqrt(this.schedule.integral(tt)));
    return tidy(() => sqrt(mul(sub(1, exp(neg(div(this.schedule.integral(tt), v)))), v)));
  }

  /**
   * x_t by Euler-Maruyama from x_0: each sample takes `steps` steps of dt = t / steps, so it lands
   * exactly on its own t. Throws if the simulation blows up (too few steps for the data's scale).
   */
  sampleXt(x0: Tensor, t: Tensor, opts: SampleXtOptions = {}): Tensor {
    const op = 'DoubleWellSDE.sampleXt';
    checkKeys(op, opts, ['generator', 'steps']);
    checkBatch(op, 'x0', x0);
    // sigmaBar was set for `dim`: data of another dimension would be trained with the wrong scale
    const D = perSampleSize(x0.shape);
    if (D !== this.dim)
      throw new ShapeError(`${op}: argument 'x0' has ${D} features per sample, expected dim = ${this.dim} (the SDE's option 'dim' sets the stationary scale of sigmaBar; build it with { dim: ${D} })`);
    validateTime(op, t, x0);
    const n = steps(op, 'steps', opts.steps ?? this.steps);
    const gen: Generator | undefined = opts.generator;
    const out = tidy(() => {
      const tt = checkTime(op, t, x0);
      const dt = div(tt, n);
      const sqrtDt = sqrt(dt);
      let x = x0;
      for (let k = 0; k < n; k++) {
        const next = tidy(() => {
          const { drift, diffusion } = this.sde(x, mul(tt, k / n));
          const z = randn([...x0.shape], { generator: gen, dtype: x0.dtype, device: x0.device });
          return add(x, add(mul(drift, perSample(dt, x)), mul(perSample(mul(diffusion, sqrtDt), x), z)));
        });
        if (x !== x0) x.dispose();
        x = next;
      }
      return x;
    });
    const finite = tidy(() => sum(isfinite(out)).item());
    if (finite !== out.size) {
      out.dispose();
      throw new ArgumentError(`${op}: Euler-Maruyama diverged (non-finite x_t) with ${n} steps; the cubic drift is stiff far from the unit sphere: ` +
        `pass more 'steps' (option of sampleXt or of the SDE) or scale the data closer to |x| ~ 1`);
    }
    return out;
  }

  /** Samples of p(x) ∝ exp(-U(x)): a uniform direction times a radius from the tabulated radial law. */
  priorSample(shape: number[], opts: PriorOptions = {}): Tensor {
    const s = priorShape('DoubleWellSDE.priorSample', shape, opts);
    const D = perSampleSize(s), B = s[0];
    const table = radialTable(this.a, D);
    return tidy(() => {
      const u = rand([B], { generator: opts.generator, dtype: 'float64' }).dataSync();
      const r = tensor(radialQuantiles(table, u), { dtype: opts.dtype ?? 'float32', device: opts.device });
      const z = randn(s, { generator: opts.generator, dtype: opts.dtype, device: opts.device });
      return mul(z, perSample(div(r, sqrt(rowSum(square(z)))), z));
    });
  }

  /** log p(z) = -U(z) - log Z with Z the normaliser of exp(-U) over R^D; shape [B]. */
  priorLogp(z: Tensor): Tensor {
    checkBatch('DoubleWellSDE.priorLogp', 'z', z);
    const D = perSampleSize(z.shape);
    if (D < 1) throw argError('DoubleWellSDE.priorLogp', 'z', z, 'samples with at least one element');
    const logZ = radialTable(this.a, D).logZ;
    return tidy(() => sub(mul(this.potential(z), -1), logZ));
  }
}
