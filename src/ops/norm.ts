// SPDX-License-Identifier: MIT
// Normalisation layers on fused native kernels (statistics, affine and an optional SiLU in one
// pass; the backward in one pass). Under a higher-order backward the composite definition is
// differentiated instead (localGrad), so second derivatives stay exact.
import { argError, checkBool, checkFinite, checkIntArray, checkKnownKeys, checkOptions, ShapeError, show } from '../errors.js';
import { localGrad } from '../autograd/engine.js';
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { tidy } from '../tensor/scope.js';
import { numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, mul, sub } from './binary.js';
import { mean } from './reduce.js';
import { rsqrt, silu as siluOp, square } from './unary.js';
import { checkFloatTensor, checkSameDevice, checkSameDType, nc, ncOpt } from './util.js';
import { contiguous, reshape } from './view.js';

export interface GroupNormOptions {
  eps?: number;
  /** Apply SiLU to the normalised output in the same pass. */
  silu?: boolean;
}

/** Checks GroupNorm's arguments (both forms): x [N, C, ...], groups dividing C, weight/bias [C]. */
function checkGroupNorm(op: string, x: unknown, groups: unknown, weight: unknown, bias: unknown) {
  const t = checkFloatTensor(op, 'x', x);
  const w = weight === undefined || weight === null ? null : checkFloatTensor(op, 'weight', weight);
  const b = bias === undefined || bias === null ? null : checkFloatTensor(op, 'bias', bias);
  checkSameDevice(op, t, w, b);
  checkSameDType(op, ['x', 'weight', 'bias'], [t, w, b]);
  if (t.ndim < 2) throw new ShapeError(`${op}: x must be [N, C, ...], got ${show([...t.shape])}`);
  const C = t.shape[1];
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1 || C % groups) throw argError(op, 'groups', groups, `a positive divisor of the ${C} channels`);
  for (const [name, p] of [['weight', w], ['bias', b]] as const)
    if (p && (p.ndim !== 1 || p.shape[0] !== C)) throw new ShapeError(`${op}: ${name} has shape ${show([...p.shape])}, expected [${C}]`);
  return { t, w, b };
}

/** GroupNorm's definition from primitive ops (reference and higher-order fallback). */
export function groupNormComposite(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number, silu = false): Tensor {
  checkGroupNorm('groupNormComposite', x, groups, weight, bias);
  checkFinite('groupNormComposite', 'eps', eps, { min: 0 });
  checkBool('groupNormComposite', 'silu', silu);
  return tidy(() => {
    const [N, C] = x.shape;
    const xr = reshape(x, [N, groups, -1]);
    const mu = mean(xr, 2, true);
    const xc = sub(xr, mu);
    const xhat = reshape(mul(xc, rsqrt(add(mean(square(xc), 2, true), eps))), x.shape);
    const cshape = [1, C, ...x.shape.slice(2).map(() => 1)];
    let y = weight ? mul(xhat, reshape(weight, cshape)) : xhat;
    if (bias) y = add(y, reshape(bias, cshape));
    return silu ? siluOp(y) : y;
  });
}

/** GroupNorm over x [N, C, ...] with `groups` groups of channels, per-channel affine weight/bias. */
export function groupNorm(x: Tensor, groups: number, weight?: Tensor | null, bias?: Tensor | null, opts: GroupNormOptions = {}): Tensor {
  const op = 'groupNorm';
  const { t, w, b } = checkGroupNorm(op, x, groups, weight, bias);
  const o = checkOptions(op, 'options', opts);
  checkKnownKeys(op, 'options', o, ['eps', 'silu']);
  const eps = checkFinite(op, 'eps', o.eps ?? 1e-5, { min: 0 });
  const silu = o.silu === undefined ? false : checkBool(op, 'silu', o.silu);
  const [N, C] = t.shape;
  const HW = numel(t.shape.slice(2));
  const xc = contiguous(t);
  const wc = w ? contiguous(w) : null, bc = b ? contiguous(b) : null;
  const y = Tensor.empty(t.shape, t.dtype, t.device);
  const stats = Tensor.empty([2, N * groups], t.dtype, t.device);
  if (y.size) {
    kernels.groupNormForward({ N, C, HW, G: groups, eps, silu, x: nc(xc), gamma: ncOpt(wc), beta: ncOpt(bc), y: nc(y), mean: { buffer: stats.storage.buffer, offset: 0 }, rstd: { buffer: stats.storage.buffer, offset: N * groups } });
  }
  const out = attachGrad(y, op, [t, w, b], [xc, stats, ...(wc ? [wc] : []), ...(bc ? [bc] : [])], (g, saved, ctx) => {
    const [xs, st] = saved;
    const ws = wc ? saved[2] : null, bs = bc ? saved[wc ? 3 : 2] : null;
    if (ctx.createGraph) {
      const ins = [xs, ws, bs].filter((v, i): v is Tensor => !!v && ctx.needsGrad[i]);
      const grads = localGrad(groupNormComposite(xs, groups, ws, bs, eps, silu), ins, g);
      let k = 0;
      return [xs, ws, bs].map((v, i) => (v && ctx.needsGrad[i] ? grads[k++] : null));
    }
    const gc = contiguous(g);
    const gx = Tensor.empty(t.shape, t.dtype, t.device);
    const gw = ws && ctx.needsGrad[1] ? Tensor.empty([C], t.dtype, t.device) : null;
    const gb = bs && ctx.needsGrad[2] ? Tensor.empty([C], t.dtype, t.device) : null;
    if (gx.size) {
      kernels.groupNormBackward({ N, C, HW, G: groups, silu, gy: nc(gc), x: nc(xs), mean: { buffer: st.storage.buffer, offset: st.offset }, rstd: { buffer: st.storage.buffer, offset: st.offset + N * groups }, gamma: ncOpt(ws), beta: ncOpt(bs), gx: nc(gx), ggamma: ncOpt(gw), gbeta: ncOpt(gb) });
    }
    return [ctx.needsGrad[0] ? gx : null, gw, gb];
  });
  if (xc !== t) xc.dispose();
  if (wc && wc !== w) wc.dispose();
  if (bc && bc !== b) bc.dispose();
  stats.dispose();
  return out;
}

/** Checks LayerNorm's arguments (both forms); returns the normalized shape as an array. */
function checkLayerNorm(op: string, x: unknown, normalizedShape: unknown, weight: unknown, bias: unknown, eps: unknown) {
  const t = checkFloatTensor(op, 'x', x);
  const w = weight === undefined || weight === null ? null : checkFloatTensor(op, 'weight', weight);
  const b = bias === undefined || bias === null ? null : checkFloatTensor(op, 'bias', bias);
  checkSameDevice(op, t, w, b);
  checkSameDType(op, ['x', 'weight', 'bias'], [t, w, b]);
  checkFinite(op, 'eps', eps, { min: 0 });
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : checkIntArray(op, 'normalizedShape', normalizedShape, { min: 0 });
  const tail = t.shape.slice(t.ndim - ns.length);
  if (ns.length === 0 || ns.length > t.ndim || tail.some((s, i) => s !== ns[i]))
    throw new ShapeError(`${op}: normalizedShape ${show(ns)} does not match the trailing dims of x ${show([...t.shape])}`);
  for (const [name, p] of [['weight', w], ['bias', b]] as const)
    if (p && (p.ndim !== ns.length || p.shape.some((s, i) => s !== ns[i]))) throw new ShapeError(`${op}: ${name} has shape ${show([...p.shape])}, expected ${show(ns)}`);
  return { t, w, b, ns };
}

/** LayerNorm's definition from primitive ops. */
export function layerNormComposite(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  checkLayerNorm('layerNormComposite', x, normalizedShape, weight, bias, eps);
  return tidy(() => {
    const D = numel(normalizedShape);
    const xr = reshape(x, [-1, D]);
    const xc = sub(xr, mean(xr, 1, true));
    let y = reshape(mul(xc, rsqrt(add(mean(square(xc), 1, true), eps))), x.shape);
    if (weight) y = mul(y, weight);
    if (bias) y = add(y, bias);
    return y;
  });
}

/** LayerNorm over the trailing `normalizedShape` dims, with elementwise affine weight/bias of that shape. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  const { t, w, b, ns } = checkLayerNorm(op, x, normalizedShape, weight, bias, eps);
  const D = numel(ns), R = t.size / Math.max(D, 1);
  const xc = contiguous(t);
  const wc = w ? contiguous(w) : null, bc = b ? contiguous(b) : null;
  const y = Tensor.empty(t.shape, t.dtype, t.device);
  const stats = Tensor.empty([2, R], t.dtype, t.device);
  if (y.size) kernels.layerNormForward({ R, D, eps, x: nc(xc), w: ncOpt(wc), b: ncOpt(bc), y: nc(y), mean: { buffer: stats.storage.buffer, offset: 0 }, rstd: { buffer: stats.storage.buffer, offset: R } });
  const out = attachGrad(y, op, [t, w, b], [xc, stats, ...(wc ? [wc] : []), ...(bc ? [bc] : [])], (g, saved, ctx) => {
    const [xs, st] = saved;
    const ws = wc ? saved[2] : null, bs = bc ? saved[wc ? 3 : 2] : null;
    if (ctx.createGraph) {
      const ins = [xs, ws, bs].filter((v, i): v is Tensor => !!v && ctx.needsGrad[i]);
      const grads = localGrad(layerNormComposite(xs, ns, ws, bs, eps), ins, g);
      let k = 0;
      return [xs, ws, bs].map((v, i) => (v && ctx.needsGrad[i] ? grads[k++] : null));
    }
    const gc = contiguous(g);
    const gx = Tensor.empty(t.shape, t.dtype, t.device);
    const gw = ws && ctx.needsGrad[1] ? Tensor.empty(ns, t.dtype, t.device) : null;
    const gb = bs && ctx.needsGrad[2] ? Tensor.empty(ns, t.dtype, t.device) : null;
    if (gx.size) kernels.layerNormBackward({ R, D, gy: nc(gc), x: nc(xs), mean: { buffer: st.storage.buffer, offset: 0 }, rstd: { buffer: st.storage.buffer, offset: R }, w: ncOpt(ws), gx: nc(gx), gw: ncOpt(gw), gb: ncOpt(gb) });
    return [ctx.needsGrad[0] ? gx : null, gw, gb];
  });
  if (xc !== t) xc.dispose();
  if (wc && wc !== w) wc.dispose();
  if (bc && bc !== b) bc.dispose();
  stats.dispose();
  return out;
}

/** InstanceNorm: GroupNorm with one group per channel. */
export function instanceNorm(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const t = checkFloatTensor('instanceNorm', 'x', x);
  if (t.ndim < 2) throw new ShapeError(`instanceNorm: x must be [N, C, ...], got ${show([...t.shape])}`);
  return groupNorm(t, t.shape[1], weight, bias, { eps });
}
