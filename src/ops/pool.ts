// SPDX-License-Identifier: MIT
// Pooling and nearest upsampling (NCHW). Average pooling and its gradient are adjoint linear maps,
// as are nearest upsampling and its gradient; max pooling routes gradients through gather/scatter
// of the saved argmax indices.
import { argError, ShapeError, show } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { native } from '../native.js';
import { Tensor } from '../tensor/tensor.js';
import { scatterAdd } from './indexing.js';
import { checkFloatTensor, nc, nv, pair } from './util.js';
import { contiguous, reshape } from './view.js';

/** [N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw] as native/cpu/nn.h's PoolShape. */
type PoolShape = readonly number[];

function poolShape(op: string, x: Tensor, kernel: number | [number, number], stride: number | [number, number] | undefined,
  padding: number | [number, number]): PoolShape {
  if (x.ndim !== 4) throw new ShapeError(`${op}: x must be [N, C, H, W], got ${show([...x.shape])}`);
  const [kh, kw] = pair(op, 'kernelSize', kernel, 1);
  const [sh, sw] = pair(op, 'stride', stride ?? [kh, kw], 1);
  const [ph, pw] = pair(op, 'padding', padding, 0);
  if (2 * ph > kh || 2 * pw > kw) throw argError(op, 'padding', padding, 'at most half the kernel size');
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1, OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: input ${H}x${W} is smaller than the kernel ${kh}x${kw}`);
  return [N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw];
}

function avgForward(x: Tensor, s: PoolShape, cip: boolean): Tensor {
  const y = Tensor.empty([s[0], s[1], s[4], s[5]], x.dtype, x.device);
  const xc = contiguous(x);
  if (y.size) native.pool2d(0, s, cip, ...nc(xc), ...nc(y), null, 0);
  if (xc !== x) xc.dispose();
  return attachGrad(y, 'avgPool2d', [x], [], (g) => [avgBackward(g, s, cip)]);
}

function avgBackward(g: Tensor, s: PoolShape, cip: boolean): Tensor {
  const gx = Tensor.empty([s[0], s[1], s[2], s[3]], g.dtype, g.device);
  const gc = contiguous(g);
  if (gx.size) native.pool2d(1, s, cip, ...nc(gc), ...nc(gx), null, 0);
  if (gc !== g) gc.dispose();
  return attachGrad(gx, 'avgPool2dBackward', [g], [], (gg) => [avgForward(gg, s, cip)]);
}

export interface PoolOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}

/** Average pooling; padded zeros count in the average unless countIncludePad is false. */
export function avgPool2d(x: Tensor, kernelSize: number | [number, number], opts: PoolOptions & { countIncludePad?: boolean } = {}): Tensor {
  const t = checkFloatTensor('avgPool2d', 'x', x);
  return avgForward(t, poolShape('avgPool2d', t, kernelSize, opts.stride, opts.padding ?? 0), opts.countIncludePad ?? true);
}

/** Max pooling; the gradient goes to the (first) maximum of each window. */
export function maxPool2d(x: Tensor, kernelSize: number | [number, number], opts: PoolOptions = {}): Tensor {
  const t = checkFloatTensor('maxPool2d', 'x', x);
  const s = poolShape('maxPool2d', t, kernelSize, opts.stride, opts.padding ?? 0);
  const [N, C, H, W, OH, OW] = s;
  const y = Tensor.empty([N, C, OH, OW], t.dtype, t.device);
  const idx = Tensor.empty([N * C, OH * OW], 'int32', t.device);
  const xc = contiguous(t);
  if (y.size) native.pool2d(2, s, false, ...nc(xc), ...nc(y), ...nc(idx));
  if (xc !== t) xc.dispose();
  attachGrad(y, 'maxPool2d', [t], [idx], (g, [idx]) => {
    const flat = reshape(g, [N * C, OH * OW]);
    const z = Tensor.empty([N * C, H * W], g.dtype, g.device);
    native.fill(...nv(z), 0);
    return [reshape(scatterAdd(z, 1, idx, flat), [N, C, H, W])];
  });
  idx.dispose();
  return y;
}

function upForward(x: Tensor, fh: number, fw: number): Tensor {
  const [N, C, H, W] = x.shape;
  const y = Tensor.empty([N, C, H * fh, W * fw], x.dtype, x.device);
  const xc = contiguous(x);
  if (y.size) native.upsampleNearest(false, N * C, H, W, fh, fw, ...nc(xc), ...nc(y));
  if (xc !== x) xc.dispose();
  return attachGrad(y, 'upsampleNearest', [x], [], (g) => [upBackward(g, fh, fw)]);
}

function upBackward(g: Tensor, fh: number, fw: number): Tensor {
  const [N, C, OH, OW] = g.shape;
  const H = OH / fh, W = OW / fw;
  const gx = Tensor.empty([N, C, H, W], g.dtype, g.device);
  const gc = contiguous(g);
  if (gx.size) native.upsampleNearest(true, N * C, H, W, fh, fw, ...nc(gc), ...nc(gx));
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

