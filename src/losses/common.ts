// SPDX-License-Identifier: MIT
// What every score-matching objective shares: the model call (a Module with forward(x, t) or a
// plain function), option validation, the time-conditioned sampling of (t, x_t) from an SDE with
// its weight lambda(t), and the final weighted reduction. Each objective file only writes its
// per-sample loss on the prepared points.
import { argError, ArgumentError, checkFinite, DTypeError, ShapeError, show } from '../errors.js';
import { enableGrad } from '../autograd/mode.js';
import { add, mul, detach, cat, defaultGenerator, Generator, rand, randn, mean, sum, contiguous, reshape, unsqueeze, square } from '../ops/index.js';
import type { SDE } from '../sde/sde.js';
import { isFloat } from '../tensor/dtype.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { ScoreModel } from '../score_types.js';

export type { ScoreModel };
/** An objective: the batch loss (a scalar, or [B] per-sample values with reduction 'none'). */
export type ScoreLoss = (model: ScoreModel, x: Tensor) => Tensor;

/** lambda(t): sigmaBar(t)^2 (score_sde's default), g(t)^2 (likelihood weighting) or 1. */
export type Weighting = 'sigma2' | 'likelihood' | 'none';

/** Options every objective takes. */
export interface BaseLossOptions {
  /** Time-conditioned form: t ~ U(tEps, sde.T), x_t from the SDE, weight lambda(t). */
  sde?: SDE;
  /** Smallest training time (default 1e-5, as score_sde). */
  tEps?: number;
  /** lambda(t) with an SDE (default 'sigma2'). */
  weighting?: Weighting;
  /** Euler-Maruyama steps for simulating x_t when the SDE has no closed-form kernel (the SDE's default otherwise). */
  simSteps?: number;
  /** Source of every random draw of the loss (t, x_t, noise keys). Default: the global generator. */
  generator?: Generator;
  /** 'mean' (default): the batch mean, a scalar; 'none': the [B] weighted per-sample values. */
  reduction?: 'mean' | 'none';
}

export const BASE_KEYS = ['sde', 'tEps', 'weighting', 'simSteps', 'generator', 'reduction'] as const;

export interface ResolvedBase {
  sde: SDE | null;
  tEps: number;
  weighting: Weighting;
  simSteps: number | undefined;
  generator: Generator;
  reduction: 'mean' | 'none';
}

/** Rejects option names the objective does not know (a typo such as sigmaRation must not pass silently). */
export function checkKeys(op: string, o: object, allowed: readonly string[]): void {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw argError(op, 'options', o, 'an options object');
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw new ArgumentError(`${op}: unknown option ${show(k)}; the options are ${allowed.map((a) => show(a)).join(', ')}`);
}

export function oneOf<T extends string>(op: string, arg: string, v: unknown, values: readonly T[], def: T): T {
  if (v === undefined) return def;
  if (!values.includes(v as T)) throw argError(op, arg, v, values.map((x) => show(x)).join(' | '));
  return v as T;
}

export function posInt(op: string, arg: string, v: unknown, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw argError(op, arg, v, 'a positive integer');
  return v;
}

export function posNumber(op: string, arg: string, v: unknown, def: number): number {
  if (v === undefined) return def;
  return checkFinite(op, arg, v, { min: 0, minExclusive: true });
}

function isSDE(v: unknown): v is SDE {
  const s = v as SDE;
  return !!s && typeof s === 'object' && typeof s.sampleXt === 'function' && typeof s.sigmaBar === 'function' &&
    typeof s.sde === 'function' && typeof s.marginal === 'function' && typeof s.isAffine === 'boolean';
}

export function resolveBase(op: string, o: BaseLossOptions): ResolvedBase {
  if (o.sde !== undefined && !isSDE(o.sde))
    throw argError(op, 'sde', o.sde, 'an SDE (an object with sde, marginal, sigmaBar, sampleXt and isAffine)');
  const sde = o.sde ?? null;
  const T = sde ? checkFinite(op, 'sde.T', sde.T, { min: 0, minExclusive: true }) : 1;
  const tEps = o.tEps === undefined ? 1e-5 : checkFinite(op, 'tEps', o.tEps, { min: 0, minExclusive: true });
  if (tEps >= T) throw argError(op, 'tEps', tEps, `a number below the SDE's end time T = ${T}`);
  if (!sde) for (const k of ['tEps', 'weighting', 'simSteps'] as const)
    if (o[k] !== undefined) throw new ArgumentError(`${op}: option '${k}' only applies to the time-conditioned form (pass an 'sde')`);
  const g = o.generator ?? defaultGenerator;
  if (!(g instanceof Generator)) throw argError(op, 'generator', g, 'a Generator');
  return {
    sde,
    tEps,
    weighting: oneOf(op, 'weighting', o.weighting, ['sigma2', 'likelihood', 'none'] as const, 'sigma2'),
    simSteps: o.simSteps === undefined ? undefined : posInt(op, 'simSteps', o.simSteps, 1),
    generator: g,
    reduction: oneOf(op, 'reduction', o.reduction, ['mean', 'none'] as const, 'mean'),
  };
}

/** Checks the data batch: a float tensor [B, ...] with B >= 1 and at least one feature. */
export function checkBatch(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: argument 'x' got ${show(x)}, expected a Tensor [B, ...]`);
  x.assertLive(op, 'x');
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: argument 'x' has dtype ${x.dtype}, expected float32 or float64`);
  if (x.ndim < 2 || x.shape[0] < 1 || x.size === 0)
    throw new ShapeError(`${op}: argument 'x' has shape ${show([...x.shape])}, expected [B, ...features] with B >= 1 and at least one feature`);
  return x;
}

function checkModel(op: string, model: unknown): void {
  const ok = typeof model === 'function' || (!!model && typeof (model as { forward?: unknown }).forward === 'function');
  if (!ok) throw argError(op, 'model', model, 'a score model with forward(x, t) or a function (x, t) => score');
}

/** Calls the model and checks that it returned a score shaped like its input. */
export function callScore(op: string, model: ScoreModel, x: Tensor, t: Tensor | null): Tensor {
  // The plain form passes t = null (see ScoreFn): a model meant for it declares t nullable, and a
  // time-conditioned one is only ever given a Tensor, because the loss has an sde then.
  const m = model as ((x: Tensor, t: Tensor | null) => Tensor) | { forward(x: Tensor, t: Tensor | null): Tensor };
  const s = typeof m === 'function' ? m(x, t) : m.forward(x, t);
  if (!(s instanceof Tensor)) throw new DTypeError(`${op}: the model returned ${show(s)}, expected a score Tensor shaped like its input ${show([...x.shape])}`);
  if (!sameShape(s.shape, x.shape))
    throw new ShapeError(`${op}: the model returned a score of shape ${show([...s.shape])} for input ${show([...x.shape])}; a score must be shaped like its input`);
  if (s.dtype !== x.dtype) throw new DTypeError(`${op}: the model returned ${s.dtype} for ${x.dtype} input`);
  return s;
}

/** The points the score is matched at, and what the weighting needs. */
export interface Prepared {
  /** x (plain form) or x_t (time-conditioned), [B, ...]. */
  x: Tensor;
  /** [B] times, or null in the plain form. */
  t: Tensor | null;
  /** sigmaBar(t) [B] (time-conditioned form only). */
  sigmaBar: Tensor | null;
  /** lambda(t) [B], or null for weight 1. */
  weight: Tensor | null;
}

/** t ~ U(tEps, T), drawn in x's dtype from the loss's generator. */
export function sampleTime(r: ResolvedBase, sde: SDE, B: number, like: Tensor): Tensor {
  return rand([B], { low: r.tEps, high: sde.T, dtype: like.dtype, device: like.device, generator: r.generator });
}

/** lambda(t) [B] for the resolved weighting (null = 1). */
export function weightFor(r: ResolvedBase, sde: SDE, xt: Tensor, t: Tensor, sigmaBar: Tensor): Tensor | null {
  if (r.weighting === 'none') return null;
  if (r.weighting === 'sigma2') return square(sigmaBar);
  return square(sde.sde(xt, t).diffusion);
}

/**
 * The prepared points: x itself (plus N(0, sigma^2) noise when `noise` > 0) in the plain form, or
 * (t, x_t ~ p_0t(. | x), sigmaBar, lambda) in the time-conditioned one. x_t comes from
 * sde.sampleXt, which simulates the SDE when it has no closed-form kernel: nothing here needs
 * the kernel's score, which is what lets LCSS, SSM and FD-SSM train non-affine SDEs.
 */
export function prepare(op: string, r: ResolvedBase, x: Tensor, noise = 0): Prepared {
  const B = x.shape[0];
  if (!r.sde) {
    if (noise > 0) return { x: add(x, mul(randn([...x.shape], { dtype: x.dtype, device: x.device, generator: r.generator }), noise)), t: null, sigmaBar: null, weight: null };
    return { x, t: null, sigmaBar: null, weight: null };
  }
  const sde = r.sde;
  const t = sampleTime(r, sde, B, x);
  const xt = sde.sampleXt(x, t, { generator: r.generator, steps: r.simSteps });
  if (!(xt instanceof Tensor) || !sameShape(xt.shape, x.shape))
    throw new ShapeError(`${op}: sde.sampleXt returned ${show(xt)} for x of shape ${show([...x.shape])}`);
  const sb = checkPerSample(op, 'sde.sigmaBar(t)', sde.sigmaBar(t), B);
  return { x: xt, t, sigmaBar: sb, weight: weightFor(r, sde, xt, t, sb) };
}

/** Checks that an SDE quantity is one value per sample, and returns it as [B]. */
export function checkPerSample(op: string, what: string, v: unknown, B: number): Tensor {
  if (!(v instanceof Tensor) || v.size !== B) throw new ShapeError(`${op}: ${what} returned ${show(v)}, expected one value per sample ([${B}])`);
  return v.ndim === 1 ? v : reshape(v, [B]);
}

/** [B] -> [B, 1, ..., 1] so it broadcasts against a [B, ...] tensor of `ndim` dims. */
export function perSampleView(v: Tensor, ndim: number): Tensor {
  return reshape(v, [v.shape[0], ...new Array<number>(ndim - 1).fill(1)]);
}

/** t [B] repeated for `copies` stacked blocks of the batch: [copies * B]. */
export function repeatBatch(v: Tensor | null, copies: number): Tensor | null {
  if (!v || copies === 1) return v;
  return cat(new Array<Tensor>(copies).fill(v), 0);
}

/** Stacks `copies` copies of x [B, ...] along the batch: [copies * B, ...]. */
export function repeatRows(x: Tensor, copies: number): Tensor {
  if (copies === 1) return x;
  const u = unsqueeze(x, 0);
  return reshape(cat(new Array<Tensor>(copies).fill(u), 0), [copies * x.shape[0], ...x.shape.slice(1)]);
}

/** lambda-weighted per-sample values, reduced as asked. */
export function finish(r: ResolvedBase, perSample: Tensor, weight: Tensor | null): Tensor {
  const w = weight ? mul(perSample, weight) : perSample;
  return r.reduction === 'none' ? w : mean(w);
}

/** Half the squared norm of each sample: [B, ...] -> [B]. */
export function halfSqNorm(v: Tensor): Tensor {
  return mul(sum(square(v), [...Array(v.ndim).keys()].slice(1)), 0.5);
}

/** Plain-form data noise shared by ssm, fdssm and exact: a number >= 0, and no such option with an SDE. */
export function dataNoise(op: string, sigma: unknown, hasSde: boolean): number {
  if (sigma === undefined) return 0;
  if (hasSde) throw new ArgumentError(`${op}: option 'sigma' (noise added to the data in the plain form) does not apply with an 'sde'`);
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) throw argError(op, 'sigma', sigma, 'a finite number >= 0');
  return sigma;
}

/** Non-batch dims of a [B, ...] tensor. */
export function featureDims(ndim: number): number[] {
  return [...Array(ndim).keys()].slice(1);
}

/**
 * Runs the score model on a fresh leaf copy of x so its input Jacobian can be taken. The forward is
 * recorded even under noGrad (the Jacobian needs it); the returned values are detached there.
 */
export function withInputGrad<T>(fn: (xg: Tensor) => T): (x: Tensor) => T {
  return (x) => enableGrad(() => {
    const xg = detach(contiguous(x));
    xg.requiresGrad = true;
    return fn(xg);
  });
}
