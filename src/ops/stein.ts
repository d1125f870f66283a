// SPDX-License-Identifier: MIT
// The fused LCSS (Stein) ops: steinPerturb builds the stacked batch [x; x + sigma e_1; ...] and
// steinLoss computes every per-sample loss from the stacked scores, both regenerating the noise e
// from its Philox key instead of storing it (see native/cpu/stein.h for the exact layout and
// formulas). steinLossComposite is the same definition from primitive ops: the reference in tests
// and the fallback for higher-order graphs.
import { argError, checkFinite, checkInt, checkKnownKeys, checkOneOf, checkOptions, DTypeError, ShapeError, show } from '../errors.js';
import { localGrad } from '../autograd/engine.js';
import { attachGrad } from '../autograd/node.js';
import { kernels, SteinEstimator as Est } from '../native.js';
import type { DeviceLike } from '../tensor/device.js';
import { tidy } from '../tensor/scope.js';
import { numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, div, mul, sub } from './binary.js';
import { cast } from './cast.js';
import { full } from './creation.js';
import { randn, type RandomKey } from './random.js';
import { mean, sum } from './reduce.js';
import { checkFloatTensor, checkSameDevice, nc } from './util.js';
import { contiguous, narrow, reshape, select } from './view.js';

export type SteinEstimator = 'plain' | 'control' | 'antithetic';

export interface SteinOptions {
  /** Noise draws K per sample (default 1). */
  draws?: number;
  /** plain | control (default) | antithetic. */
  estimator?: SteinEstimator;
  /** Weight gamma of the curvature term (default 1). */
  gamma?: number;
  /** Where the norm term 1/2|s|^2 is taken: at the centre (default) or the perturbed points. */
  normAt?: 'center' | 'perturbed';
  /** The noise draw. Both ops must get the same key. */
  key: RandomKey;
  /**
   * The key's noise block covers `total` rows and this batch is rows [offset, offset + B) of it
   * (default: the batch is the whole block). A rank of a data-parallel job passes its shard of the
   * global batch, so it draws exactly the noise one process would draw for those rows.
   */
  rows?: { offset: number; total: number };
}

interface Resolved {
  K: number;
  est: SteinEstimator;
  code: number;
  gamma: number;
  perturbedNorm: boolean;
  key: RandomKey;
  rows?: { offset: number; total: number };
}

/** The fields the Stein contracts share (the fused kernels regenerate their noise from the key). */
const steinFields = (op: string, B: number, D: number, r: Resolved) => ({
  B, D, K: r.K, estimator: r.code, normPerturbed: r.perturbedNorm, gamma: r.gamma, seed: r.key.seed, offset: r.key.offset,
  ...rowsOf(op, B, r),
});

/** The batch's rows within the key's noise block, checked against B. */
function rowsOf(op: string, B: number, r: Resolved): { rowOffset: number; rowsTotal: number } {
  if (!r.rows) return { rowOffset: 0, rowsTotal: B };
  if (r.rows.offset + B > r.rows.total)
    throw argError(op, 'rows', r.rows, `rows of a block that holds this batch of ${B} (offset + ${B} <= total)`);
  return { rowOffset: r.rows.offset, rowsTotal: r.rows.total };
}

/** The batch's noise [K, B, D] from the key: its rows of the whole block. */
function batchNoise(B: number, D: number, r: Resolved, dtype: 'float32' | 'float64', device?: DeviceLike): Tensor {
  const { rowOffset, rowsTotal } = rowsOf('steinNoise', B, r);
  if (rowsTotal === B) return randn([r.K, B, D], { key: r.key, dtype, device });
  return tidy(() => contiguous(narrow(randn([r.K, rowsTotal, D], { key: r.key, dtype, device }), 1, rowOffset, B)));
}

function resolve(op: string, opts: SteinOptions): Resolved {
  if (opts === undefined || opts === null) throw argError(op, 'options', opts, 'options with a random key { seed, offset }');
  const o = checkOptions(op, 'options', opts) as SteinOptions;
  checkKnownKeys(op, 'options', o, ['draws', 'estimator', 'gamma', 'normAt', 'key', 'rows']);
  const K = o.draws ?? 1;
  if (!Number.isInteger(K) || K < 1) throw argError(op, 'draws', K, 'a positive integer');
  const est = o.estimator ?? 'control';
  if (typeof est !== 'string' || !Object.prototype.hasOwnProperty.call(Est, est)) throw argError(op, 'estimator', est, "'plain', 'control' or 'antithetic'");
  const gamma = checkFinite(op, 'gamma', o.gamma ?? 1);
  const normAt = o.normAt ?? 'center';
  if (normAt !== 'center' && normAt !== 'perturbed') throw argError(op, 'normAt', normAt, "'center' or 'perturbed'");
  const k = o.key as RandomKey | undefined;
  if (!k || typeof k !== 'object' || !Number.isSafeInteger(k.seed) || !Number.isSafeInteger(k.offset) || k.seed < 0 || k.offset < 0)
    throw argError(op, 'key', o.key, 'a random key { seed, offset } of non-negative integers');
  let rows: Resolved['rows'];
  if (o.rows !== undefined) {
    const w = checkOptions(op, 'rows', o.rows);
    checkKnownKeys(op, 'rows', w, ['offset', 'total']);
    rows = { offset: checkInt(op, 'rows.offset', w.offset, 0), total: checkInt(op, 'rows.total', w.total, 0) };
  }
  return { K, est, code: Est[est], gamma, perturbedNorm: normAt === 'perturbed', key: o.key, rows };
}

/** Number of stacked rows per sample: 1 + K, or 1 + 2K for the antithetic estimator. */
export function steinBlocks(draws: number, estimator: SteinEstimator = 'control'): number {
  checkInt('steinBlocks', 'draws', draws, 1);
  checkOneOf('steinBlocks', 'estimator', estimator, ['plain', 'control', 'antithetic']);
  return 1 + (estimator === 'antithetic' ? 2 : 1) * draws;
}

/** Noise draws needed by a batch of B samples of D dims: the Philox stream length to reserve. */
export function steinNoiseCount(B: number, D: number, draws: number): number {
  checkInt('steinNoiseCount', 'B', B, 0);
  checkInt('steinNoiseCount', 'D', D, 0);
  checkInt('steinNoiseCount', 'draws', draws, 1);
  return draws * B * D;
}

function sigmaTensor(op: string, sigma: Tensor | number, B: number, like: Tensor): Tensor {
  if (typeof sigma === 'number') {
    checkFinite(op, 'sigma', sigma, { min: 0, minExclusive: true });
    return full([B], sigma, { dtype: like.dtype, device: like.device });
  }
  const s = checkFloatTensor(op, 'sigma', sigma);
  checkSameDevice(op, like, s);
  if (s.size !== B) throw new ShapeError(`${op}: sigma has ${s.size} elements (shape ${show([...s.shape])}), expected one per sample (${B})`);
  const r = reshape(s, [B]);
  return s.dtype === like.dtype ? contiguous(r) : cast(r, like.dtype);
}

/** The noise e as a [K, B, ...sample] tensor, regenerated from the key (for references and tests). */
export function steinNoise(B: number, sampleShape: readonly number[], o: SteinOptions, dtype: 'float32' | 'float64' = 'float32',
  device?: DeviceLike): Tensor {
  const r = resolve('steinNoise', o);
  return tidy(() => reshape(batchNoise(B, numel(sampleShape), r, dtype, device), [r.K, B, ...sampleShape]));
}

/** [x; x + sigma e_1; ...; x + sigma e_K (; x - sigma e_k for antithetic)] for x [B, ...]. */
export function steinPerturb(x: Tensor, sigma: Tensor | number, opts: SteinOptions): Tensor {
  const op = 'steinPerturb';
  const t = checkFloatTensor(op, 'x', x);
  const r = resolve(op, opts);
  if (t.ndim < 1) throw new ShapeError(`${op}: x must be [B, ...], got a scalar`);
  const B = t.shape[0], D = numel(t.shape.slice(1)), blocks = steinBlocks(r.K, r.est);
  return tidy(() => {
    const sg = sigmaTensor(op, sigma, B, t);
    const xc = contiguous(t);
    const y = Tensor.empty([blocks * B, ...t.shape.slice(1)], t.dtype, t.device);
    if (y.size) kernels.steinPerturb({ ...steinFields(op, B, D, r), sigma: nc(sg), x: nc(xc), y: nc(y) });
    // sigma is a constant of the estimator: no gradient flows to it
    return attachGrad(y, op, [t], [], (g) => [sum(reshape(g, [blocks, ...t.shape]), 0)]);
  });
}

/** Per-sample LCSS losses [B] from the stacked scores [(blocks * B), ...]. */
export function steinLoss(scores: Tensor, sigma: Tensor | number, opts: SteinOptions): Tensor {
  const op = 'steinLoss';
  const s = checkFloatTensor(op, 'scores', scores);
  const r = resolve(op, opts);
  const blocks = steinBlocks(r.K, r.est);
  if (s.ndim < 1 || s.shape[0] % blocks) throw new ShapeError(`${op}: scores has ${s.ndim ? s.shape[0] : 0} rows, expected a multiple of ${blocks} (1 + ${r.est === 'antithetic' ? '2K' : 'K'} blocks of B)`);
  const B = s.shape[0] / blocks, D = numel(s.shape.slice(1));
  return tidy(() => {
    const sg = sigmaTensor(op, sigma, B, s);
    const sc = contiguous(s);
    const out = Tensor.empty([B], s.dtype, s.device);
    if (B) kernels.steinLossForward({ ...steinFields(op, B, D, r), sigma: nc(sg), s: nc(sc), out: nc(out) });
    return attachGrad(out, op, [s], [sc, sg], (g, [sc, sg], ctx) => {
      if (ctx.createGraph) return localGrad(steinLossComposite(sc, sg, opts), [sc], g);
      const gc = contiguous(g);
      const gs = Tensor.empty(s.shape, s.dtype, s.device);
      kernels.steinLossBackward({ ...steinFields(op, B, D, r), sigma: nc(sg), s: nc(sc), gout: nc(gc), gs: nc(gs) });
      return [gs];
    });
  });
}

/** steinLoss from primitive ops, with the noise regenerated by randn from the same key. */
export function steinLossComposite(scores: Tensor, sigma: Tensor | number, opts: SteinOptions): Tensor {
  const op = 'steinLossComposite';
  const s = checkFloatTensor(op, 'scores', scores);
  const r = resolve(op, opts);
  const blocks = steinBlocks(r.K, r.est);
  if (s.dtype !== 'float32' && s.dtype !== 'float64') throw new DTypeError(`${op}: scores must be float`);
  if (s.ndim < 1 || s.shape[0] % blocks) throw new ShapeError(`${op}: scores has ${s.ndim ? s.shape[0] : 0} rows, expected a multiple of ${blocks} (1 + ${r.est === 'antithetic' ? '2K' : 'K'} blocks of B)`);
  const B = s.shape[0] / blocks, D = numel(s.shape.slice(1));
  return tidy(() => {
    const sg = sigmaTensor(op, sigma, B, s);
    const S = reshape(s, [blocks, B, D]);
    const e = batchNoise(B, D, r, s.dtype as 'float32' | 'float64', s.device);
    const s0 = select(S, 0, 0);
    const sp = narrow(S, 0, 1, r.K);
    const normTerm = r.perturbedNorm ? mul(mean(sum(mul(sp, sp), 2), 0), 0.5) : mul(sum(mul(s0, s0), 1), 0.5);
    let inner: Tensor;
    if (r.est === 'plain') inner = sum(mul(e, sp), 2);
    else if (r.est === 'control') inner = sum(mul(e, sub(sp, s0)), 2);
    else inner = mul(sum(mul(e, sub(sp, narrow(S, 0, 1 + r.K, r.K))), 2), 0.5);
    const stein = mean(inner, 0);
    return add(normTerm, div(mul(stein, r.gamma), sg));
  });
}
