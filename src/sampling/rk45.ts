// SPDX-License-Identifier: MIT
// Adaptive Dormand-Prince RK45 on tensor states, step for step the controller of
// scipy.integrate.solve_ivp(method='RK45') that score_sde uses for its probability-flow ODE:
// 5th-order solution propagated (local extrapolation), embedded 4th-order error estimate, RMS
// error norm over all components with scale atol + rtol max(|y|, |y_new|), safety 0.9, step
// factors in [0.2, 10], no growth right after a rejection, FSAL (6 evaluations per attempt), and
// Hairer's initial step (2 evaluations). The state is a list of tensors (e.g. [x, logp]) treated
// as one vector. Each attempt runs in one noGrad + tidy; the ODE function may enable gradients
// inside (the likelihood's divergence does).
import { argError, ArgumentError, checkFinite, checkInt, DTypeError, show } from '../errors.js';
import { add, div, maximum, mul, sub, clone, add_, sum, abs, square } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { checkKeys } from '../sde/util.js';
import { release, runStep, throwIfAborted, yieldToEventLoop, type ProgressFn } from './common.js';

/** dy/dt = f(t, y) for a state y made of one or more tensors. */
export type OdeFn = (t: number, y: Tensor[]) => Tensor[];

export interface RK45Options {
  /** Relative tolerance (default 1e-5, as score_sde). */
  rtol?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** First step size (default: Hairer's estimate, as scipy). */
  firstStep?: number;
  /** Largest step size (default: the whole interval). */
  maxStep?: number;
  /** Give up after this many step attempts (default 100000). */
  maxSteps?: number;
  /** Fixed-step mode: exactly `steps` equal steps of the 5th-order formula, no error control. */
  steps?: number;
  /** Called after each accepted step with (|t - t0|, |t1 - t0|). */
  onProgress?: ProgressFn;
  /** Checked between steps. */
  signal?: AbortSignal;
}

export interface RK45Result {
  /** The state at t1 (owned by the caller). */
  y: Tensor[];
  /** Number of evaluations of f. */
  nfe: number;
  /** Accepted steps. */
  steps: number;
  /** Rejected step attempts. */
  rejected: number;
}

// Dormand-Prince 5(4) tableau (scipy's RK45)
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1];
const A = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
];
const B = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84];
const E = [-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40];
const SAFETY = 0.9, MIN_FACTOR = 0.2, MAX_FACTOR = 10, ERROR_EXPONENT = -1 / 5;
const KEYS = ['rtol', 'atol', 'firstStep', 'maxStep', 'maxSteps', 'steps', 'onProgress', 'signal'];

/** 10 units in the last place of t: scipy's smallest step. */
function minStepAt(t: number): number {
  const ulp = t === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(Math.abs(t))) - 52);
  return 10 * ulp;
}

/** y + sum_j c_j k_j, skipping zero coefficients (in place on a fresh copy of y). */
function combine(y: Tensor[], ks: Tensor[][], coefs: readonly number[], h: number): Tensor[] {
  return y.map((yi, i) => {
    const acc = clone(yi);
    coefs.forEach((c, j) => {
      if (c !== 0) add_(acc, ks[j][i], c * h);
    });
    return acc;
  });
}

/** RMS over all components of v / scale (sum of squares accumulated in float64). */
function rmsNorm(parts: Tensor[], n: number): number {
  let ss = 0;
  for (const p of parts) ss += tidy(() => sum(square(p)).item());
  return Math.sqrt(ss / n);
}

/** The stepper: state, derivative (FSAL) and step size between calls. */
class DormandPrince {
  t: number;
  y: Tensor[];
  f: Tensor[] = [];
  h = 0;
  nfe = 0;
  steps = 0;
  rejected = 0;
  private readonly n: number;
  readonly dir: number;
  private ownsY = false;

  constructor(
    private readonly fn: OdeFn,
    t0: number,
    private readonly t1: number,
    y0: Tensor[],
    private readonly rtol: number,
    private readonly atol: number,
    private readonly maxStep: number,
  ) {
    this.t = t0;
    this.y = y0;
    this.dir = t1 >= t0 ? 1 : -1;
    this.n = y0.reduce((a, y) => a + y.size, 0);
  }

  /** f with its outputs checked against the state's shapes and dtypes. */
  eval(t: number, y: Tensor[]): Tensor[] {
    this.nfe++;
    const out = this.fn(t, y);
    if (!Array.isArray(out) || out.length !== y.length)
      throw argError('rk45', 'f', show(out), `a function returning ${y.length} tensor(s), one per state tensor`);
    out.forEach((o, i) => {
      if (!(o instanceof Tensor) || o.ndim !== y[i].ndim || o.shape.some((d, k) => d !== y[i].shape[k]))
        throw argError('rk45', 'f', show(o), `a tensor of shape [${y[i].shape.join(', ')}] for state ${i}`);
      if (o.dtype !== y[i].dtype) throw new DTypeError(`rk45: f returned dtype ${o.dtype} for state ${i}, expected ${y[i].dtype}`);
    });
    return out;
  }

  start(firstStep: number | undefined): void {
    this.f = runStep(() => this.eval(this.t, this.y));
    const interval = Math.abs(this.t1 - this.t);
    this.h = firstStep ?? this.initialStep(interval);
  }

  /** Hairer, Norsett & Wanner, Sec. II.4 (scipy's select_initial_step, order 4 estimator). */
  private initialStep(interval: number): number {
    if (this.n === 0) return interval;
    return runStep(() => {
      const scale = this.y.map((y) => add(mul(abs(y), this.rtol), this.atol));
      const d0 = rmsNorm(this.y.map((y, i) => div(y, scale[i])), this.n);
      const d1 = rmsNorm(this.f.map((f, i) => div(f, scale[i])), this.n);
      if (!Number.isFinite(d0) || !Number.isFinite(d1)) throw new ArgumentError(`rk45: the initial state or the ODE function at t = ${this.t} has non-finite values`);
      let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
      h0 = Math.min(h0, interval);
      const y1 = combine(this.y, [this.f], [1], h0 * this.dir);
      const f1 = this.eval(this.t + h0 * this.dir, y1);
      const d2 = rmsNorm(f1.map((f, i) => div(sub(f, this.f[i]), scale[i])), this.n) / h0;
      if (!Number.isFinite(d2)) throw new ArgumentError(`rk45: the ODE function returned non-finite values near t = ${this.t}`);
      const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / 5);
      return Math.min(100 * h0, h1, interval, this.maxStep);
    });
  }

  /** One Dormand-Prince attempt of size h from (t, y): the new state, its derivative, the error norm. */
  private attempt(h: number, withError: boolean): { y: Tensor[]; f: Tensor[]; err: number } {
    return runStep(() => {
      const ks: Tensor[][] = [this.f];
      for (let s = 1; s < 6; s++) ks.push(this.eval(this.t + C[s] * h, combine(this.y, ks, A[s], h)));
      const yNew = combine(this.y, ks, B, h);
      const fNew = this.eval(this.t + h, yNew);
      ks.push(fNew);
      let err = 0;
      if (withError) {
        const zero = this.y.map((y) => mul(y, 0));
        const e = combine(zero, ks, E, h);
        const scaled = e.map((ei, i) => div(ei, add(mul(maximum(abs(this.y[i]), abs(yNew[i])), this.rtol), this.atol)));
        err = rmsNorm(scaled, this.n);
      }
      return { y: yNew, f: fNew, err };
    });
  }

  private accept(y: Tensor[], f: Tensor[], tNew: number): void {
    if (this.ownsY) release(this.y, y);
    release(this.f, f);
    this.y = y;
    this.f = f;
    this.t = tNew;
    this.ownsY = true;
    this.steps++;
  }

  /** One accepted adaptive step (with as many rejected attempts as it takes). */
  step(maxSteps: number): void {
    const minStep = minStepAt(this.t);
    let hAbs = Math.min(Math.max(this.h, minStep), this.maxStep);
    let rejected = false;
    for (;;) {
      if (hAbs < minStep)
        throw new ArgumentError(`rk45: the step size fell below ${minStep.toExponential(2)} at t = ${this.t} (the ODE is stiff or not finite there; loosen rtol/atol)`);
      if (this.steps + this.rejected >= maxSteps)
        throw new ArgumentError(`rk45: no convergence after ${maxSteps} step attempts (t = ${this.t}); raise maxSteps or loosen rtol/atol`);
      let tNew = this.t + hAbs * this.dir;
      if (this.dir * (tNew - this.t1) > 0) tNew = this.t1;
      const h = tNew - this.t;
      hAbs = Math.abs(h);
      const r = this.attempt(h, true);
      if (!Number.isFinite(r.err)) {
        release([...r.y, ...r.f], []);
        throw new ArgumentError(`rk45: the ODE function returned non-finite values near t = ${this.t}`);
      }
      if (r.err < 1) {
        let factor = r.err === 0 ? MAX_FACTOR : Math.min(MAX_FACTOR, SAFETY * r.err ** ERROR_EXPONENT);
        if (rejected) factor = Math.min(1, factor);
        this.h = hAbs * factor;
        this.accept(r.y, r.f, tNew);
        return;
      }
      release([...r.y, ...r.f], []);
      hAbs *= Math.max(MIN_FACTOR, SAFETY * r.err ** ERROR_EXPONENT);
      rejected = true;
      this.rejected++;
    }
  }

  /** One step of exactly h (fixed-step mode). */
  fixedStep(h: number, tNew: number): void {
    const r = this.attempt(h, false);
    this.accept(r.y, r.f, tNew);
  }

  /** Frees what the stepper owns; returns the final state (caller-owned). */
  finish(): Tensor[] {
    release(this.f, []);
    this.f = [];
    return this.ownsY ? this.y : runStep(() => this.y.map((y) => clone(y)));
  }

  dispose(): void {
    release(this.f, []);
    if (this.ownsY) release(this.y, []);
  }
}

interface Parsed {
  rtol: number;
  atol: number;
  maxStep: number;
  maxSteps: number;
  firstStep?: number;
  fixed?: number;
}

function parse(op: string, f: unknown, t0: unknown, t1: unknown, y0: unknown, o: RK45Options): { y: Tensor[]; p: Parsed } {
  checkKeys(op, o, KEYS);
  if (typeof f !== 'function') throw argError(op, 'f', f, 'a function (t, y) => tensors');
  checkFinite(op, 't0', t0);
  checkFinite(op, 't1', t1);
  const y = y0 instanceof Tensor ? [y0] : y0;
  if (!Array.isArray(y) || y.length === 0 || y.some((v) => !(v instanceof Tensor)))
    throw argError(op, 'y0', y0, 'a tensor or a non-empty array of tensors');
  y.forEach((v: Tensor, i) => {
    v.assertLive(op, `y0[${i}]`);
    if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new DTypeError(`${op}: y0[${i}] has dtype ${v.dtype}, expected float32 or float64`);
  });
  const interval = Math.abs((t1 as number) - (t0 as number));
  return {
    y: y as Tensor[],
    p: {
      rtol: checkFinite(op, 'rtol', o.rtol ?? 1e-5, { min: 0, minExclusive: true }),
      atol: checkFinite(op, 'atol', o.atol ?? 1e-5, { min: 0 }),
      maxStep: o.maxStep === undefined ? Infinity : checkFinite(op, 'maxStep', o.maxStep, { min: 0, minExclusive: true }),
      maxSteps: checkInt(op, 'maxSteps', o.maxSteps ?? 100_000, 1, 1e9),
      firstStep: o.firstStep === undefined ? undefined : Math.min(checkFinite(op, 'firstStep', o.firstStep, { min: 0, minExclusive: true }), interval),
      fixed: o.steps === undefined ? undefined : checkInt(op, 'steps', o.steps, 1, 1e9),
    },
  };
}

/** The steps of a solve; `pause` runs between steps (a yield for the async form). */
function* solve(f: OdeFn, t0: number, t1: number, y: Tensor[], p: Parsed, o: RK45Options): Generator<void, RK45Result> {
  const dp = new DormandPrince(f, t0, t1, y, p.rtol, p.atol, p.maxStep);
  const total = Math.abs(t1 - t0);
  try {
    if (t0 !== t1) {
      throwIfAborted(o.signal);
      if (p.fixed) {
        dp.start(0);
        const h = (t1 - t0) / p.fixed;
        for (let i = 0; i < p.fixed; i++) {
          throwIfAborted(o.signal);
          dp.fixedStep(i === p.fixed - 1 ? t1 - dp.t : h, i === p.fixed - 1 ? t1 : t0 + (i + 1) * h);
          o.onProgress?.(Math.abs(dp.t - t0), total);
          yield;
        }
      } else {
        dp.start(p.firstStep);
        while (dp.dir * (dp.t - t1) < 0) {
          throwIfAborted(o.signal);
          dp.step(p.maxSteps);
          o.onProgress?.(Math.abs(dp.t - t0), total);
          yield;
        }
      }
    }
    return { y: dp.finish(), nfe: dp.nfe, steps: dp.steps, rejected: dp.rejected };
  } catch (e) {
    dp.dispose();
    throw e;
  }
}

/**
 * Integrates dy/dt = f(t, y) from t0 to t1 (either direction) with adaptive Dormand-Prince RK45,
 * yielding to the event loop between steps. y0 (a tensor or a list) is not modified.
 */
export async function rk45(f: OdeFn, t0: number, t1: number, y0: Tensor | Tensor[], opts: RK45Options = {}): Promise<RK45Result> {
  const { y, p } = parse('rk45', f, t0, t1, y0, opts);
  const it = solve(f, t0, t1, y, p, opts);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    await yieldToEventLoop();
  }
}

/** The synchronous form of rk45 (no yields; for small problems and tests). */
export function rk45Sync(f: OdeFn, t0: number, t1: number, y0: Tensor | Tensor[], opts: RK45Options = {}): RK45Result {
  const { y, p } = parse('rk45Sync', f, t0, t1, y0, opts);
  const it = solve(f, t0, t1, y, p, opts);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}
