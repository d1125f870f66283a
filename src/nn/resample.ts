// SPDX-License-Identifier: MIT
// Resampling layers of NCSN++ (score_sde layerspp.Upsample / Downsample and the StyleGAN2 Conv2d
// with fused FIR resampling) and bilinear interpolation for NCSNv2's RefineNet.
import { argError, checkInt, checkOptions, ShapeError, show } from '../errors.js';
import { checkFloatTensor, add, conv2d, tensor, zeros, pad, matmul, avgPool2d, upsampleNearest, reshape, transpose } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { ddpmConv3x3, type Conv2d } from './conv.js';
import { defaultInit, type InitOptions } from './init.js';
import { Module } from './module.js';
import { convDownsample2d, downsample2d, upsample2d, upsampleConv2d } from './upfirdn.js';

export interface FirConv2dOptions extends InitOptions {
  up?: boolean;
  down?: boolean;
  resampleKernel?: readonly number[];
  bias?: boolean;
  /** Scale of the DDPM variance-scaling init of the weight (score_sde passes default_init(), scale 1). */
  initScale?: number;
}

/**
 * StyleGAN2's Conv2d with optional fused FIR up/down-sampling (score_sde up_or_down_sampling.Conv2d):
 * weight [out, in, k, k] (odd k), bias [out] initialised to zero.
 */
export class FirConv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly up: boolean;
  readonly down: boolean;
  readonly resampleKernel: readonly number[];

  constructor(readonly inCh: number, readonly outCh: number, readonly kernel: number, o: FirConv2dOptions = {}) {
    super();
    checkInt('FirConv2d', 'inCh', inCh, 1);
    checkInt('FirConv2d', 'outCh', outCh, 1);
    checkInt('FirConv2d', 'kernel', kernel, 1);
    if (kernel % 2 === 0) throw argError('FirConv2d', 'kernel', kernel, 'an odd size');
    this.up = !!o.up;
    this.down = !!o.down;
    if (this.up && this.down) throw argError('FirConv2d', 'up', o.up, 'not both up and down');
    this.resampleKernel = o.resampleKernel ?? [1, 3, 3, 1];
    this.weight = this.param('weight', defaultInit([outCh, inCh, kernel, kernel], o.initScale ?? 1, o));
    this.bias = o.bias === false ? null : this.param('bias', zeros([outCh], { dtype: o.dtype }));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let y: Tensor;
      if (this.up) y = upsampleConv2d(x, this.weight, this.resampleKernel);
      else if (this.down) y = convDownsample2d(x, this.weight, this.resampleKernel);
      else return conv2d(x, this.weight, this.bias, { padding: Math.floor(this.kernel / 2) });
      return this.bias ? add(y, reshape(this.bias, [1, -1, 1, 1])) : y;
    });
  }
}

export interface ResampleOptions extends InitOptions {
  outCh?: number;
  withConv?: boolean;
  fir?: boolean;
  firKernel?: readonly number[];
}

/** NCSN++ Upsample (layerspp): x2 by nearest (+ 3x3 conv) or by FIR (optionally fused with a 3x3 conv). */
export class Upsample extends Module {
  readonly outCh: number;
  readonly withConv: boolean;
  readonly fir: boolean;
  readonly firKernel: readonly number[];
  private readonly conv: Conv2d | FirConv2d | null = null;

  constructor(readonly inCh: number, o: ResampleOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    this.outCh = o.outCh ?? inCh;
    this.withConv = !!o.withConv;
    this.fir = !!o.fir;
    this.firKernel = o.firKernel ?? [1, 3, 3, 1];
    if (!this.withConv && this.outCh !== inCh) throw argError('Upsample', 'outCh', o.outCh, `${inCh} (no conv to change channels)`);
    if (this.withConv) {
      this.conv = this.fir
        ? this.module('Conv2d_0', new FirConv2d(inCh, this.outCh, 3, { up: true, resampleKernel: this.firKernel, dtype: o.dtype, generator: o.generator }))
        : this.module('Conv_0', ddpmConv3x3(inCh, this.outCh, { dtype: o.dtype, generator: o.generator }));
    }
  }

  forward(x: Tensor): Tensor {
    if (this.fir) return this.conv ? this.conv.forward(x) : upsample2d(x, this.firKernel, 2);
    if (!this.conv) return upsampleNearest(x, 2);
    return tidy(() => this.conv!.forward(upsampleNearest(x, 2)));
  }
}

/** NCSN++ Downsample (layerspp): /2 by 'SAME'-padded stride-2 3x3 conv or 2x2 mean, or by FIR (optionally fused with a conv). */
export class Downsample extends Module {
  readonly outCh: number;
  readonly withConv: boolean;
  readonly fir: boolean;
  readonly firKernel: readonly number[];
  private readonly conv: Conv2d | FirConv2d | null = null;

  constructor(readonly inCh: number, o: ResampleOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    this.outCh = o.outCh ?? inCh;
    this.withConv = !!o.withConv;
    this.fir = !!o.fir;
    this.firKernel = o.firKernel ?? [1, 3, 3, 1];
    if (!this.withConv && this.outCh !== inCh) throw argError('Downsample', 'outCh', o.outCh, `${inCh} (no conv to change channels)`);
    if (this.withConv) {
      this.conv = this.fir
        ? this.module('Conv2d_0', new FirConv2d(inCh, this.outCh, 3, { down: true, resampleKernel: this.firKernel, dtype: o.dtype, generator: o.generator }))
        : this.module('Conv_0', ddpmConv3x3(inCh, this.outCh, { stride: 2, padding: 0, dtype: o.dtype, generator: o.generator }));
    }
  }

  forward(x: Tensor): Tensor {
    if (this.fir) return this.conv ? this.conv.forward(x) : downsample2d(x, this.firKernel, 2);
    return tidy(() => {
      // the reference emulates TF 'SAME' padding: one zero row and column after the image
      const xp = pad(x, [0, 1, 0, 1]);
      return this.conv ? this.conv.forward(xp) : avgPool2d(xp, 2, { stride: 2 });
    });
  }
}

/** Row-interpolation matrix [out, in] of 1-D linear interpolation with align_corners=True. */
function linearMatrix(nIn: number, nOut: number): Float64Array {
  const A = new Float64Array(nOut * nIn);
  for (let o = 0; o < nOut; o++) {
    const src = nOut === 1 ? 0 : (o * (nIn - 1)) / (nOut - 1);
    const i0 = Math.min(Math.floor(src), nIn - 1), i1 = Math.min(i0 + 1, nIn - 1);
    const w = src - i0;
    A[o * nIn + i0] += 1 - w;
    A[o * nIn + i1] += w;
  }
  return A;
}

/**
 * Bilinear resize of x [N, C, H, W] to [OH, OW] with align_corners=True (torch F.interpolate),
 * as two small matrix products A_h x A_w^T, so gradients of any order come from matmul.
 */
export function interpolateBilinear(x: Tensor, size: readonly [number, number]): Tensor {
  checkFloatTensor('interpolateBilinear', 'x', x);
  if (!Array.isArray(size) || size.length !== 2) throw argError('interpolateBilinear', 'size', size, '[height, width]');
  if (x.ndim !== 4) throw new ShapeError(`interpolateBilinear: x must be [N, C, H, W], got ${show([...x.shape])}`);
  const [OH, OW] = size;
  checkInt('interpolateBilinear', 'size[0]', OH, 1);
  checkInt('interpolateBilinear', 'size[1]', OW, 1);
  const [, , H, W] = x.shape;
  if (H === OH && W === OW) return x;
  return tidy(() => {
    const o = { dtype: x.dtype, device: x.device };
    let y = x;
    if (W !== OW) y = matmul(y, transpose(tensor(linearMatrix(W, OW), { ...o, shape: [OW, W] })));
    if (H !== OH) y = matmul(tensor(linearMatrix(H, OH), { ...o, shape: [OH, H] }), y);
    return y;
  });
}
