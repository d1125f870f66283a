// SPDX-License-Identifier: MIT
// FIR up/down-sampling of StyleGAN2 as used by NCSN++ (score_sde models/up_or_down_sampling.py),
// written with conv2d / convTranspose2d / pad / slice so that every order of gradient works.
//
// upfirdn2d(x, k, up, down, pad) is, per channel: insert up-1 zeros after every pixel, pad by
// (pad0, pad1) on both axes (negative pads crop), convolve with k (a true convolution: the
// correlation with the flipped kernel), keep every down-th pixel.
import { argError, checkInt, checkOptions, ShapeError, show } from '../errors.js';
import { checkFloatTensor, conv2d, convTranspose2d, ones, tensor, pad as padOp, avgPool2d, upsampleNearest, flip, reshape, slice, transpose } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** A square FIR kernel as a row-major array. */
export interface FirKernel {
  readonly size: number;
  readonly data: Float64Array;
}

/**
 * score_sde's _setup_kernel: a 1-D kernel becomes its outer product with itself; the result is
 * normalised to sum 1. [1, 3, 3, 1] gives outer([1,3,3,1]) / 64.
 */
export function setupKernel(k: readonly number[] | readonly (readonly number[])[]): FirKernel {
  if (!Array.isArray(k) || k.length === 0) throw argError('setupKernel', 'k', k, 'a non-empty 1-D or square 2-D array');
  const K = k.length;
  const data = new Float64Array(K * K);
  if (Array.isArray(k[0])) {
    const rows = k as readonly (readonly number[])[];
    if (rows.some((r) => !Array.isArray(r) || r.length !== K)) throw argError('setupKernel', 'k', k, 'a square 2-D array');
    rows.forEach((r, i) => r.forEach((v, j) => (data[i * K + j] = v)));
  } else {
    const v = k as readonly number[];
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) data[i * K + j] = v[i] * v[j];
  }
  const s = data.reduce((a, b) => a + b, 0);
  if (!Number.isFinite(s) || s === 0) throw argError('setupKernel', 'k', k, 'finite values with a non-zero sum');
  for (let i = 0; i < data.length; i++) data[i] /= s;
  return { size: K, data };
}

function scaledKernel(k: FirKernel, gain: number): FirKernel {
  return { size: k.size, data: k.data.map((v) => v * gain) };
}

function kernelTensor(k: FirKernel, x: Tensor, flipped: boolean): Tensor {
  const K = k.size;
  const d = flipped ? k.data.slice().reverse() : k.data;
  return tensor(d, { shape: [1, 1, K, K], dtype: x.dtype, device: x.device });
}

export interface UpFirDnOptions {
  up?: number;
  down?: number;
  /** [pad0, pad1]: before and after, the same on both axes (negative values crop). */
  pad?: readonly [number, number];
}

/** Pads (or crops, for negative values) the last two dims by [p0, p1] each. */
function padCrop(x: Tensor, p0: number, p1: number): Tensor {
  let y = x;
  if (p0 > 0 || p1 > 0) {
    const a = Math.max(p0, 0), b = Math.max(p1, 0);
    y = padOp(y, [a, b, a, b]);
  }
  if (p0 < 0 || p1 < 0) {
    const H = y.shape[2], W = y.shape[3];
    y = slice(slice(y, 2, Math.max(-p0, 0), H - Math.max(-p1, 0)), 3, Math.max(-p0, 0), W - Math.max(-p1, 0));
  }
  return y;
}

/**
 * upfirdn2d on x [N, C, H, W] with kernel k (applied to every channel): the output has
 * floor((H*up + pad0 + pad1 - K) / down) + 1 rows (and the same for columns).
 */
export function upfirdn2d(x: Tensor, k: FirKernel, o: UpFirDnOptions = {}): Tensor {
  checkFloatTensor('upfirdn2d', 'x', x);
  if (!k || typeof k !== 'object' || !(k.data instanceof Float64Array)) throw argError('upfirdn2d', 'k', k, 'a FIR kernel from setupKernel()');
  o = checkOptions('upfirdn2d', 'options', o);
  const op = 'upfirdn2d';
  if (x.ndim !== 4) throw new ShapeError(`${op}: x must be [N, C, H, W], got ${show([...x.shape])}`);
  const up = checkInt(op, 'up', o.up ?? 1, 1), down = checkInt(op, 'down', o.down ?? 1, 1);
  const [p0, p1] = o.pad ?? [0, 0];
  checkInt(op, 'pad[0]', p0);
  checkInt(op, 'pad[1]', p1);
  const [N, C, H, W] = x.shape;
  const K = k.size;
  const OH = Math.floor((H * up + p0 + p1 - K) / down) + 1, OW = Math.floor((W * up + p0 + p1 - K) / down) + 1;
  if (H * up + p0 + p1 < K || W * up + p0 + p1 < K) throw new ShapeError(`${op}: input ${H}x${W} (up ${up}, pad ${p0},${p1}) is smaller than the ${K}x${K} kernel`);
  return tidy(() => {
    // channels become batch rows: one single-channel filter serves them all (a view for contiguous x)
    const xr = reshape(x, [N * C, 1, H, W]);
    let y: Tensor;
    const padT = K - 1 - p0, outPad = p1 - p0 + up - 1;
    if (up === 1 && p0 === p1 && p0 >= 0) {
      // symmetric padding: the convolution pads for free
      y = conv2d(xr, kernelTensor(k, x, true), null, { padding: p0, stride: down });
    } else if (up > 1 && down === 1 && padT >= 0 && outPad >= 0 && outPad < up) {
      // zero insertion + padding + convolution is one transposed convolution with the kernel itself
      y = convTranspose2d(xr, kernelTensor(k, x, false), null, { stride: up, padding: padT, outputPadding: outPad });
    } else {
      let z = xr;
      if (up > 1) z = convTranspose2d(z, ones([1, 1, 1, 1], { dtype: x.dtype, device: x.device }), null, { stride: up, outputPadding: up - 1 });
      z = padCrop(z, p0, p1);
      y = conv2d(z, kernelTensor(k, x, true), null, { stride: down });
    }
    if (y.shape[2] !== OH || y.shape[3] !== OW) throw new ShapeError(`${op}: internal size mismatch ${show([...y.shape])} vs ${OH}x${OW}`);
    return reshape(y, [N, C, OH, OW]);
  });
}

const DEFAULT_FIR = [1, 3, 3, 1] as const;

/** FIR upsampling by `factor` (score_sde upsample_2d): constant images stay constant times gain. */
export function upsample2d(x: Tensor, k: readonly number[] = DEFAULT_FIR, factor = 2, gain = 1): Tensor {
  checkFloatTensor('upsample2d', 'x', x);
  checkInt('upsample2d', 'factor', factor, 1);
  const kk = scaledKernel(setupKernel(k), gain * factor * factor);
  const p = kk.size - factor;
  return upfirdn2d(x, kk, { up: factor, pad: [Math.floor((p + 1) / 2) + factor - 1, Math.floor(p / 2)] });
}

/** FIR downsampling by `factor` (score_sde downsample_2d). */
export function downsample2d(x: Tensor, k: readonly number[] = DEFAULT_FIR, factor = 2, gain = 1): Tensor {
  checkFloatTensor('downsample2d', 'x', x);
  checkInt('downsample2d', 'factor', factor, 1);
  const kk = scaledKernel(setupKernel(k), gain);
  const p = kk.size - factor;
  return upfirdn2d(x, kk, { down: factor, pad: [Math.floor((p + 1) / 2), Math.floor(p / 2)] });
}

function checkSquareWeight(op: string, w: Tensor): number {
  if (w.ndim !== 4 || w.shape[2] !== w.shape[3]) throw new ShapeError(`${op}: weight must be [out, in, k, k], got ${show([...w.shape])}`);
  return w.shape[2];
}

/**
 * Upsampling fused with a convolution (score_sde upsample_conv_2d): a stride-`factor` transposed
 * convolution with the spatially flipped weight, then the FIR filter. w is [out, in, k, k].
 */
export function upsampleConv2d(x: Tensor, w: Tensor, k: readonly number[] = DEFAULT_FIR, factor = 2, gain = 1): Tensor {
  checkFloatTensor('upsampleConv2d', 'x', x);
  checkFloatTensor('upsampleConv2d', 'w', w);
  const convK = checkSquareWeight('upsampleConv2d', w);
  checkInt('upsampleConv2d', 'factor', factor, 1);
  const kk = scaledKernel(setupKernel(k), gain * factor * factor);
  const p = kk.size - factor - (convK - 1);
  return tidy(() => {
    // conv_transpose2d takes [in, out, k, k]; the reference flips the kernel and swaps in/out
    const wt = transpose(flip(w, [2, 3]), 0, 1);
    const y = convTranspose2d(x, wt, null, { stride: factor });
    return upfirdn2d(y, kk, { pad: [Math.floor((p + 1) / 2) + factor - 1, Math.floor(p / 2) + 1] });
  });
}

/** The FIR filter fused with a strided convolution (score_sde conv_downsample_2d). w is [out, in, k, k]. */
export function convDownsample2d(x: Tensor, w: Tensor, k: readonly number[] = DEFAULT_FIR, factor = 2, gain = 1): Tensor {
  checkFloatTensor('convDownsample2d', 'x', x);
  checkFloatTensor('convDownsample2d', 'w', w);
  const convK = checkSquareWeight('convDownsample2d', w);
  checkInt('convDownsample2d', 'factor', factor, 1);
  const kk = scaledKernel(setupKernel(k), gain);
  const p = kk.size - factor + (convK - 1);
  return tidy(() => conv2d(upfirdn2d(x, kk, { pad: [Math.floor((p + 1) / 2), Math.floor(p / 2)] }), w, null, { stride: factor }));
}

/** Nearest-neighbour upsampling (score_sde naive_upsample_2d). */
export function naiveUpsample2d(x: Tensor, factor = 2): Tensor {
  checkFloatTensor('naiveUpsample2d', 'x', x);
  return upsampleNearest(x, factor);
}

/** Block-mean downsampling (score_sde naive_downsample_2d); H and W must be multiples of factor. */
export function naiveDownsample2d(x: Tensor, factor = 2): Tensor {
  checkFloatTensor('naiveDownsample2d', 'x', x);
  checkInt('naiveDownsample2d', 'factor', factor, 1);
  if (x.ndim !== 4 || x.shape[2] % factor || x.shape[3] % factor)
    throw new ShapeError(`naiveDownsample2d: x must be [N, C, H, W] with H and W multiples of ${factor}, got ${show([...x.shape])}`);
  return avgPool2d(x, factor, { stride: factor });
}
