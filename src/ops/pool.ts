// SPDX-License-Identifier: MIT
// Pooling and nearest upsampling (NCHW). Average pooling and its gradient are adjoint linear maps,
// as are nearest upsampling and its gradient; max pooling routes gradients through gather/scatter
// of the saved argmax indices.
import { argError, checkBool, checkInt, checkKnownKeys, checkOptions, ShapeError, show } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { Tensor } from '../tensor/tensor.js';
import { scatterAdd } from './indexing.js';
import { checkFloatTensor, nc, nv, pair } from './util.js';
import { eq, where } from './binary.js';
import { contiguous, narrow, reshape } from './view.js';

/** [N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw, divisor]: a pooling's geometry. */
type PoolShape = readonly number[];

/** The shape fields of the pooling contracts. */
const poolFields = (s: PoolShape) => ({
  N: s[0], C: s[1], H: s[2], W: s[3], OH: s[4], OW: s[5], kernelH: s[6], kernelW: s[7], strideH: s[8], strideW: s[9],
  padH: s[10], padW: s[11], dilationH: s[12], dilationW: s[13], divisor: s[14],
});

/**
 * Output size of one pooled dim, as torch computes it: floor (or ceil with ceilMode) of
 * (size + 2 pad - dilation (kernel - 1) - 1) / stride + 1, where with ceilMode a last window that
 * would start in the right padding is dropped.
 */
function pooledSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

interface PoolGeometry {
  kernel: number | [number, number];
  stride?: number | [number, number] | null;
  padding?: number | [number, number];
  dilation?: number | [number, number];
  ceilMode?: boolean;
  divisor?: number;
}

function poolShape(op: string, x: Tensor, g: PoolGeometry): PoolShape {
  if (x.ndim !== 4) throw new ShapeError(`${op}: x must be [N, C, H, W], got ${show([...x.shape])}`);
  const [kh, kw] = pair(op, 'kernelSize', g.kernel, 1);
  const [sh, sw] = pair(op, 'stride', g.stride ?? [kh, kw], 1);
  const [ph, pw] = pair(op, 'padding', g.padding ?? 0, 0);
  const [dh, dw] = pair(op, 'dilation', g.dilation ?? 1, 1);
  const ceil = g.ceilMode === undefined ? false : checkBool(op, 'ceilMode', g.ceilMode);
  // torch's limit: the padding at most half the (dilated) kernel, so no window is all padding
  if (2 * ph > dh * (kh - 1) + 1 || 2 * pw > dw * (kw - 1) + 1) throw argError(op, 'padding', g.padding, 'at most half the (dilated) kernel size');
  const [N, C, H, W] = x.shape;
  const OH = pooledSize(H, kh, sh, ph, dh, ceil), OW = pooledSize(W, kw, sw, pw, dw, ceil);
  if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: input ${H}x${W} is smaller than the (dilated) kernel ${dh * (kh - 1) + 1}x${dw * (kw - 1) + 1}`);
  return [N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw, g.divisor ?? 0];
}

/** Whether some output window of one dim has no tap inside [0, size). */
function hasEmptyWindow(size: number, out: number, k: number, st: number, pad: number, dil: number): boolean {
  for (let o = 0; o < out; o++) {
    let any = false;
    for (let i = 0; i < k && !any; i++) {
      const h = o * st - pad + i * dil;
      any = h >= 0 && h < size;
    }
    if (!any) return true;
  }
  return false;
}

function avgForward(x: Tensor, s: PoolShape, cip: boolean): Tensor {
  const y = Tensor.empty([s[0], s[1], s[4], s[5]], x.dtype, x.device);
  const xc = contiguous(x);
  if (y.size) kernels.avgPool2dForward({ ...poolFields(s), countIncludePad: cip, x: nc(xc), y: nc(y) });
  if (xc !== x) xc.dispose();
  return attachGrad(y, 'avgPool2d', [x], [], (g) => [avgBackward(g, s, cip)]);
}

function avgBackward(g: Tensor, s: PoolShape, cip: boolean): Tensor {
  const gx = Tensor.empty([s[0], s[1], s[2], s[3]], g.dtype, g.device);
  const gc = contiguous(g);
  if (gx.size) kernels.avgPool2dBackward({ ...poolFields(s), countIncludePad: cip, gy: nc(gc), gx: nc(gx) });
  if (gc !== g) gc.dispose();
  return attachGrad(gx, 'avgPool2dBackward', [g], [], (gg) => [avgForward(gg, s, cip)]);
}

export interface PoolOptions {
  /** window step (default: the kernel size) */
  stride?: number | [number, number];
  /** implicit padding on both sides: zeros for average pooling, -infinity for max pooling */
  padding?: number | [number, number];
  /** the output size rounds up instead of down (torch's ceil_mode) */
  ceilMode?: boolean;
}

export interface AvgPoolOptions extends PoolOptions {
  /** padded zeros count in the divisor (default true) */
  countIncludePad?: boolean;
  /** divide every window's sum by this instead of its element count */
  divisorOverride?: number;
}

export interface MaxPoolOptions extends PoolOptions {
  /** spacing between window taps (default 1) */
  dilation?: number | [number, number];
}

/** Average pooling; padded zeros count in the average unless countIncludePad is false. */
export function avgPool2d(x: Tensor, kernelSize: number | [number, number], opts: AvgPoolOptions = {}): Tensor {
  const op = 'avgPool2d';
  const t = checkFloatTensor(op, 'x', x);
  const o = checkOptions(op, 'options', opts);
  checkKnownKeys(op, 'options', o, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  const cip = o.countIncludePad === undefined ? true : checkBool(op, 'countIncludePad', o.countIncludePad);
  const divisor = o.divisorOverride === undefined ? 0 : checkInt(op, 'divisorOverride', o.divisorOverride, 1);
  return avgForward(t, poolShape(op, t, { kernel: kernelSize, stride: o.stride, padding: o.padding, ceilMode: o.ceilMode, divisor }), cip);
}

/** Max pooling; the gradient goes to the (first) maximum of each window. */
export function maxPool2d(x: Tensor, kernelSize: number | [number, number], opts: MaxPoolOptions = {}): Tensor {
  const op = 'maxPool2d';
  const t = checkFloatTensor(op, 'x', x);
  const o = checkOptions(op, 'options', opts);
  checkKnownKeys(op, 'options', o, ['stride', 'padding', 'ceilMode', 'dilation']);
  const s = poolShape(op, t, { kernel: kernelSize, stride: o.stride, padding: o.padding, dilation: o.dilation, ceilMode: o.ceilMode });
  const [N, C, H, W, OH, OW] = s;
  const y = Tensor.empty([N, C, OH, OW], t.dtype, t.device);
  const idx = Tensor.empty([N * C, OH * OW], 'int32', t.device);
  const xc = contiguous(t);
  if (y.size) kernels.maxPool2dForward({ ...poolFields(s), x: nc(xc), y: nc(y), indices: nc(idx) });
  if (xc !== t) xc.dispose();
  // A dilated window can have every tap in the padding (its max is -inf, its index -1): such
  // gradients go to a spare column that is dropped. Only geometry decides, so check it once.
  const empty = hasEmptyWindow(H, OH, s[6], s[8], s[10], s[12]) || hasEmptyWindow(W, OW, s[7], s[9], s[11], s[13]);
  attachGrad(y, 'maxPool2d', [t], [idx], (g, [idx]) => {
    const flat = reshape(g, [N * C, OH * OW]);
    const cols = H * W + (empty ? 1 : 0);
    const z = Tensor.empty([N * C, cols], g.dtype, g.device);
    kernels.fill({ y: nv(z), value: 0 });
    if (!empty) return [reshape(scatterAdd(z, 1, idx, flat), [N, C, H, W])];
    return [reshape(narrow(scatterAdd(z, 1, where(eq(idx, -1), H * W, idx), flat), 1, 0, H * W), [N, C, H, W])];
  });
  idx.dispose();
  return y;
}

function upForward(x: Tensor, fh: number, fw: number): Tensor {
  const [N, C, H, W] = x.shape;
  const y = Tensor.empty([N, C, H * fh, W * fw], x.dtype, x.device);
  const xc = contiguous(x);
  if (y.size) kernels.upsampleNearestForward({ NC: N * C, H, W, factorH: fh, factorW: fw, x: nc(xc), y: nc(y) });
  if (xc !== x) xc.dispose();
  return attachGrad(y, 'upsampleNearest', [x], [], (g) => [upBackward(g, fh, fw)]);
}

function upBackward(g: Tensor, fh: number, fw: number): Tensor {
  const [N, C, OH, OW] = g.shape;
  const H = OH / fh, W = OW / fw;
  const gx = Tensor.empty([N, C, H, W], g.dtype, g.device);
  const gc = contiguous(g);
  if (gx.size) kernels.upsampleNearestBackward({ NC: N * C, H, W, factorH: fh, factorW: fw, gy: nc(gc), gx: nc(gx) });
  if (gc !== g) gc.dispose();
  return attachGrad(gx, 'upsampleNearestBackward', [g], [], (gg) => [upForward(gg, fh, fw)]);
}

/** Nearest-neighbour upsampling by integer factors (e.g. 2 or [2, 2]). */
export function upsampleNearest(x: Tensor, scaleFactor: number | [number, number] = 2): Tensor {
  const t = checkFloatTensor('upsampleNearest', 'x', x);
  if (t.ndim !== 4) throw new ShapeError(`upsampleNearest: x must be [N, C, H, W], got ${show([...t.shape])}`);
  const [fh, fw] = pair('upsampleNearest', 'scaleFactor', scaleFactor, 1);
  return upForward(t, fh, fw);
}

