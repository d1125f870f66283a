// SPDX-License-Identifier: MIT
// Test fixtures of the losses suite: small score nets, a linear score, a Gaussian-mixture oracle,
// tiny SDEs (affine with closed-form moments, a simulated "VE in disguise", a genuinely non-affine
// double well), Adam, and Monte-Carlo statistics. Kept local so the suite depends only on the core.
import * as lc from '../../src/index.js';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { NotAffineError, SDE, type DriftDiffusion, type Marginal, type SampleXtOptions } from '../../src/sde/sde.js';
import type { Tensor } from '../../src/index.js';

export type F = 'float32' | 'float64';

/** Linear(in, H) - SiLU - Linear(H, H) - SiLU - Linear(H, D); with `time`, [x, feature(t)] is the input and the output is divided by scale(t). */
export class Mlp extends Module {
  readonly l1: Linear;
  readonly l2: Linear;
  readonly l3: Linear;
  constructor(readonly dim: number, hidden: number, o: { dtype?: F; seed?: number; time?: { feature: (t: Tensor) => Tensor; scale: (t: Tensor) => Tensor } } = {}) {
    super();
    const g = new lc.Generator(o.seed ?? 1);
    const extra = o.time ? 1 : 0;
    this.l1 = this.module('l1', new Linear(dim + extra, hidden, { dtype: o.dtype, generator: g }));
    this.l2 = this.module('l2', new Linear(hidden, hidden, { dtype: o.dtype, generator: g }));
    this.l3 = this.module('l3', new Linear(hidden, dim, { dtype: o.dtype, generator: g }));
    this.time = o.time ?? null;
  }
  private readonly time: { feature: (t: Tensor) => Tensor; scale: (t: Tensor) => Tensor } | null;
  forward(x: Tensor, t: Tensor | null): Tensor {
    return lc.tidy(() => {
      const inp = this.time && t ? lc.cat([x, lc.unsqueeze(this.time.feature(t), 1)], 1) : x;
      const h = lc.silu(this.l2.forward(lc.silu(this.l1.forward(inp))));
      const out = this.l3.forward(h);
      return this.time && t ? lc.div(out, lc.unsqueeze(this.time.scale(t), 1)) : out;
    });
  }
}

/** s(x) = A x + b with A [D, D], b [D] as parameters (requiresGrad). */
export function linearScore(A: number[][], b: number[], dtype: F = 'float64') {
  const At = lc.keep(lc.tensor(A, { dtype, requiresGrad: true }));
  const bt = lc.keep(lc.tensor(b, { dtype, requiresGrad: true }));
  const fn = (x: Tensor) => lc.add(lc.matmul(x, lc.transpose(At)), bt);
  return { A: At, b: bt, fn, params: [At, bt], dispose: () => { At.dispose(); bt.dispose(); } };
}

/** Draws a fixed pseudo-random matrix from a seed (plain JS, for building test problems). */
export function seededMatrix(rows: number, cols: number, seed: number, scale = 1): number[][] {
  let s = seed >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => next() * scale));
}

/** Mean and standard error of a sample. */
export function meanSe(v: ArrayLike<number>): { mean: number; se: number; variance: number } {
  const n = v.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i];
  m /= n;
  let q = 0;
  for (let i = 0; i < n; i++) q += (v[i] - m) ** 2;
  const variance = q / (n - 1);
  return { mean: m, se: Math.sqrt(variance / n), variance };
}

export function toArray(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = toArray(a), y = toArray(b);
  if (x.length !== y.length) throw new Error(`maxAbsDiff: sizes ${x.length} and ${y.length}`);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

export function maxAbs(a: Tensor): number {
  return toArray(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** Isotropic 2-D (or D-dim) Gaussian mixture with an analytic score at any extra noise level. */
export class Mixture {
  constructor(readonly means: number[][], readonly std: number, readonly weights = means.map(() => 1 / means.length)) {}
  get dim(): number {
    return this.means[0].length;
  }
  /** n samples from a fixed seed: component by a uniform, then mean + std z. */
  sample(n: number, gen: lc.Generator, dtype: F = 'float32'): Tensor {
    return lc.tidy(() => {
      const u = toArray(lc.rand([n], { generator: gen, dtype: 'float64' }));
      const z = toArray(lc.randn([n, this.dim], { generator: gen, dtype: 'float64' }));
      const out = new Float64Array(n * this.dim);
      for (let i = 0; i < n; i++) {
        let k = 0, acc = this.weights[0];
        while (k < this.means.length - 1 && u[i] >= acc) acc += this.weights[++k];
        for (let d = 0; d < this.dim; d++) out[i * this.dim + d] = this.means[k][d] + this.std * z[i * this.dim + d];
      }
      return lc.tensor(out, { shape: [n, this.dim], dtype });
    });
  }
  /** grad log p at x for the mixture convolved with N(0, s^2 I) per row (s[i] = 0: the data score). */
  scoreArray(x: Float64Array, s: ArrayLike<number>): Float64Array {
    const D = this.dim, n = x.length / D, out = new Float64Array(x.length);
    for (let i = 0; i < n; i++) {
      const v = this.std ** 2 + s[i] ** 2;
      const logs = this.means.map((m, k) => {
        let q = 0;
        for (let d = 0; d < D; d++) q += (x[i * D + d] - m[d]) ** 2;
        return Math.log(this.weights[k]) - q / (2 * v);
      });
      const mx = Math.max(...logs);
      const r = logs.map((l) => Math.exp(l - mx));
      const tot = r.reduce((a, b) => a + b, 0);
      for (let d = 0; d < D; d++) {
        let acc = 0;
        this.means.forEach((m, k) => (acc += (r[k] / tot) * (m[d] - x[i * D + d]) / v));
        out[i * D + d] = acc;
      }
    }
    return out;
  }
}

/** E |s(x) - grad log p(x)|^2 / D over the rows of x, with per-row extra noise s. */
export function scoreError(model: lc.losses.ScoreModel, x: Tensor, t: Tensor | null, mix: Mixture, s: ArrayLike<number>): number {
  return lc.tidy(() => lc.noGrad(() => {
    // t is null for the plain form, as the losses call it (see callScore in src/losses/common.ts)
    const m = model as ((x: Tensor, t: Tensor | null) => Tensor) | { forward(x: Tensor, t: Tensor | null): Tensor };
    const pred = toArray(typeof m === 'function' ? m(x, t) : m.forward(x, t));
    const truth = mix.scoreArray(toArray(x), s);
    let e = 0;
    for (let i = 0; i < pred.length; i++) e += (pred[i] - truth[i]) ** 2;
    return e / pred.length;
  }));
}

/** A minimal Adam over a module's parameters (the fused native step). */
export class Adam {
  private step = 0;
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  constructor(private readonly params: Tensor[], private readonly lr: number) {
    this.m = params.map((p) => lc.keep(lc.zerosLike(p)));
    this.v = params.map((p) => lc.keep(lc.zerosLike(p)));
  }
  update(): void {
    this.step++;
    lc.noGrad(() => this.params.forEach((p, i) => {
      if (p.grad) lc.adamStep_(p, p.grad, this.m[i], this.v[i], { lr: this.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: this.step, decoupled: false });
    }));
  }
  dispose(): void {
    lc.dispose([...this.m, ...this.v]);
  }
}

/** Trains `model` with `loss` for `steps` Adam steps on batches from `data`. Returns the last losses' mean. */
export function train(model: Mlp, loss: lc.losses.ScoreLoss, data: (step: number) => Tensor, steps: number, lr: number): number {
  const opt = new Adam(model.parameters(), lr);
  let tail = 0;
  for (let i = 0; i < steps; i++) {
    lc.tidy(() => {
      model.zeroGrad();
      const x = data(i);
      const l = loss(model, x);
      l.backward();
      if (i >= steps - 20) tail += l.item() / 20;
      opt.update();
    });
  }
  model.zeroGrad();
  opt.dispose();
  return tail;
}

// --- tiny SDEs ------------------------------------------------------------------------------------

/** A VE-type affine SDE with marginal std sigmaBar(t) = f(t): drift 0, g(t)^2 = d f(t)^2 / dt. */
export class ToyVE extends SDE {
  readonly N = 100;
  readonly name: string = 'toy-ve';
  readonly isAffine: boolean = true;
  readonly samplingEps = 1e-5;
  constructor(readonly kind: 'linear' | 'geometric' = 'linear', readonly smin = 0.05, readonly smax = 2) {
    super();
  }
  /** sigmaBar as a JS function. */
  sb(t: number): number {
    return this.kind === 'linear' ? t : this.smin * (this.smax / this.smin) ** t;
  }
  sigmaBar(t: Tensor): Tensor {
    return this.kind === 'linear' ? lc.clone(t) : lc.mul(lc.exp(lc.mul(t, Math.log(this.smax / this.smin))), this.smin);
  }
  sde(x: Tensor, t: Tensor): DriftDiffusion {
    // d(f^2)/dt: 2t (linear); 2 ln(smax/smin) f^2 (geometric)
    const g = this.kind === 'linear' ? lc.sqrt(lc.mul(t, 2)) : lc.mul(this.sigmaBar(t), Math.sqrt(2 * Math.log(this.smax / this.smin)));
    return { drift: lc.zerosLike(x), diffusion: g };
  }
  marginal(x0: Tensor, t: Tensor): Marginal {
    return { mean: lc.clone(x0), std: this.sigmaBar(t) };
  }
  sampleXt(x0: Tensor, t: Tensor, o?: SampleXtOptions): Tensor {
    return lc.tidy(() => lc.add(x0, lc.mul(lc.randn([...x0.shape], { dtype: x0.dtype, generator: o?.generator }), lc.unsqueeze(this.sigmaBar(t), 1))));
  }
  priorSample(shape: number[], o?: { generator?: lc.Generator; dtype?: F }): Tensor {
    return lc.randn(shape, { std: this.sb(1), generator: o?.generator, dtype: o?.dtype });
  }
  priorLogp(z: Tensor): Tensor {
    const s = this.sb(1), D = z.shape[1];
    return lc.tidy(() => lc.sub(lc.mul(lc.sum(lc.square(z), 1), -0.5 / (s * s)), 0.5 * D * Math.log(2 * Math.PI * s * s)));
  }
}

/**
 * The geometric ToyVE that hides its kernel: marginal throws and x_t is simulated in `steps`
 * independent Gaussian increments (variance f(t_{i+1})^2 - f(t_i)^2 each, so the law of x_t is
 * still exactly N(x_0, f(t)^2 I) and the analytic mixture score stays the oracle).
 */
export class HiddenKernelVE extends ToyVE {
  override readonly name = 'hidden-ve';
  override readonly isAffine = false;
  calls = 0;
  constructor() {
    super('geometric');
  }
  override marginal(): Marginal {
    throw new NotAffineError('hidden-ve: no closed-form kernel (test stub)');
  }
  override sigmaBar(t: Tensor): Tensor {
    // sqrt(int_0^t g^2) = sqrt(f(t)^2 - f(0)^2): the definition for SDEs without a kernel
    return lc.tidy(() => lc.sqrt(lc.sub(lc.square(super.sigmaBar(t)), this.smin * this.smin)));
  }
  override sampleXt(x0: Tensor, t: Tensor, o?: SampleXtOptions): Tensor {
    this.calls++;
    const steps = o?.steps ?? 8;
    return lc.tidy(() => {
      let x = x0;
      let prev = lc.full([t.shape[0]], this.smin, { dtype: x0.dtype });
      for (let i = 1; i <= steps; i++) {
        const cur = super.sigmaBar(lc.mul(t, i / steps));
        const sd = lc.sqrt(lc.sub(lc.square(cur), lc.square(prev)));
        x = lc.add(x, lc.mul(lc.randn([...x0.shape], { dtype: x0.dtype, generator: o?.generator }), lc.unsqueeze(sd, 1)));
        prev = cur;
      }
      return x;
    });
  }
}

/** dx = -grad U(x) dt + g dw with U(x) = a (|x|^2 - 1)^2 / 4: no Gaussian kernel; x_t by Euler-Maruyama. */
export class DoubleWell extends SDE {
  readonly N = 100;
  readonly name = 'double-well';
  readonly isAffine = false;
  readonly samplingEps = 1e-3;
  constructor(readonly a = 1, readonly g = 1) {
    super();
  }
  sde(x: Tensor, t: Tensor): DriftDiffusion {
    return lc.tidy(() => {
      const r2 = lc.sum(lc.square(x), 1, true);
      return { drift: lc.mul(lc.mul(x, lc.sub(r2, 1)), -this.a), diffusion: lc.full([t.shape[0]], this.g, { dtype: x.dtype }) };
    });
  }
  marginal(): Marginal {
    throw new NotAffineError('double-well: no closed-form kernel');
  }
  sigmaBar(t: Tensor): Tensor {
    return lc.mul(lc.sqrt(t), this.g);
  }
  sampleXt(x0: Tensor, t: Tensor, o?: SampleXtOptions): Tensor {
    const steps = o?.steps ?? 20;
    return lc.tidy(() => {
      const dt = lc.unsqueeze(lc.div(t, steps), 1);
      let x = x0;
      for (let i = 0; i < steps; i++) {
        const { drift } = this.sde(x, t);
        x = lc.add(lc.add(x, lc.mul(drift, dt)), lc.mul(lc.randn([...x0.shape], { dtype: x0.dtype, generator: o?.generator }), lc.mul(lc.sqrt(dt), this.g)));
      }
      return x;
    });
  }
  priorSample(shape: number[], o?: { generator?: lc.Generator; dtype?: F }): Tensor {
    return lc.randn(shape, { generator: o?.generator, dtype: o?.dtype });
  }
  priorLogp(z: Tensor): Tensor {
    return lc.tidy(() => lc.mul(lc.sum(lc.square(z), 1), -0.5));
  }
}
