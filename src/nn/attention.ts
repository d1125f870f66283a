// SPDX-License-Identifier: MIT
// Spatial self-attention blocks of DDPM (AttnBlock) and NCSN++ (AttnBlockpp), and NIN, the
// per-pixel dense layer they are built from.
import { argError, checkInt, checkOptions, ShapeError, show } from '../errors.js';
import { checkFloatTensor, add, mul, conv2d, zeros, matmul, softmax, reshape, transpose } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInitOptions, defaultInit, type InitOptions } from './init.js';
import { Module } from './module.js';
import { GroupNorm, groupsFor } from './norm.js';

/**
 * NIN (score_sde layers.NIN): a dense layer over channels at every pixel, W [in, out], b [out],
 * DDPM init with scale initScale (default 0.1 as the reference). Runs as a 1x1 convolution.
 */
export class NIN extends Module {
  readonly W: Tensor;
  readonly b: Tensor;

  constructor(readonly inDim: number, readonly numUnits: number, o: InitOptions & { initScale?: number } = {}) {
    super();
    checkInt('NIN', 'inDim', inDim, 1);
    checkInt('NIN', 'numUnits', numUnits, 1);
    this.W = this.param('W', defaultInit([inDim, numUnits], o.initScale ?? 0.1, o));
    this.b = this.param('b', zeros([numUnits], { dtype: o.dtype }));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => conv2d(x, reshape(transpose(this.W), [this.numUnits, this.inDim, 1, 1]), this.b));
  }
}

/**
 * softmax(q^T k * C^-1/2) attention over the H*W positions of q, k, v [B, C, H, W]; returns
 * [B, C, H, W] (each position a convex combination of the v's). No transposed copies: the
 * products read q^T and the attention^T through strides.
 */
export function spatialAttention(q: Tensor, k: Tensor, v: Tensor): Tensor {
  checkFloatTensor('spatialAttention', 'q', q);
  checkFloatTensor('spatialAttention', 'k', k);
  checkFloatTensor('spatialAttention', 'v', v);
  if (k.ndim !== 4 || v.ndim !== 4 || k.shape.some((d, i) => d !== q.shape[i]) || v.shape[0] !== q.shape[0] || v.shape[2] !== q.shape[2] || v.shape[3] !== q.shape[3])
    throw new ShapeError(`spatialAttention: q ${show([...q.shape])}, k ${show([...k.shape])} and v ${show([...v.shape])} must be [B, C, H, W] (k like q; v with the same B, H, W)`);
  if (q.ndim !== 4) throw new ShapeError(`spatialAttention: q must be [B, C, H, W], got ${show([...q.shape])}`);
  const [B, C, H, W] = q.shape;
  return tidy(() => {
    const qf = reshape(q, [B, C, H * W]), kf = reshape(k, [B, C, H * W]), vf = reshape(v, [B, -1, H * W]);
    const w = softmax(mul(matmul(transpose(qf), kf), 1 / Math.sqrt(C)), -1); // [B, HW(query), HW(key)]
    return reshape(matmul(vf, transpose(w)), [B, -1, H, W]);
  });
}

export interface AttnBlockOptions extends InitOptions {
  /** Return (x + h) / sqrt(2) instead of x + h. */
  skipRescale?: boolean;
  /** Init scale of the output NIN (0, i.e. 1e-10, makes the block start as the identity). */
  initScale?: number;
  /** GroupNorm groups (default groupsFor(C)); DDPM's AttnBlock uses 32. */
  groups?: number;
  eps?: number;
}

/** NCSN++ AttnBlockpp: x + NIN_3(attention(NIN_0(GN(x)), NIN_1(GN(x)), NIN_2(GN(x)))), optionally / sqrt 2. */
export class AttnBlockpp extends Module {
  readonly GroupNorm_0: GroupNorm;
  readonly NIN_0: NIN;
  readonly NIN_1: NIN;
  readonly NIN_2: NIN;
  readonly NIN_3: NIN;
  readonly skipRescale: boolean;

  constructor(readonly channels: number, o: AttnBlockOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    checkInt(new.target.name, 'channels', channels, 1);
    checkInitOptions(new.target.name, o);
    if (o.groups !== undefined && (!Number.isInteger(o.groups) || o.groups < 1 || channels % o.groups !== 0))
      throw argError(new.target.name, 'channels', channels, `a multiple of the ${o.groups} GroupNorm groups`);
    const io = { dtype: o.dtype, generator: o.generator };
    this.GroupNorm_0 = this.module('GroupNorm_0', new GroupNorm(o.groups ?? groupsFor(channels), channels, { eps: o.eps ?? 1e-6, dtype: o.dtype }));
    this.NIN_0 = this.module('NIN_0', new NIN(channels, channels, io));
    this.NIN_1 = this.module('NIN_1', new NIN(channels, channels, io));
    this.NIN_2 = this.module('NIN_2', new NIN(channels, channels, io));
    this.NIN_3 = this.module('NIN_3', new NIN(channels, channels, { ...io, initScale: o.initScale ?? 0 }));
    this.skipRescale = !!o.skipRescale;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = this.GroupNorm_0.forward(x);
      const a = spatialAttention(this.NIN_0.forward(h), this.NIN_1.forward(h), this.NIN_2.forward(h));
      const y = add(x, this.NIN_3.forward(a));
      return this.skipRescale ? mul(y, Math.SQRT1_2) : y;
    });
  }
}

/** DDPM's AttnBlock: AttnBlockpp with GroupNorm(32) and no rescaling (score_sde layers.AttnBlock). */
export class AttnBlock extends AttnBlockpp {
  constructor(channels: number, o: InitOptions = {}) {
    super(channels, { ...checkOptions('AttnBlock', 'options', o), groups: 32, skipRescale: false, initScale: 0 });
  }
}
