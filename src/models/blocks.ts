// SPDX-License-Identifier: MIT
// Residual blocks of DDPM++ / NCSN++ (score_sde layerspp.ResnetBlockDDPMpp, ResnetBlockBigGANpp,
// Combine), with the reference's submodule names so its state dicts map one to one.
import { checkOptions } from '../errors.js';
import { add, mul, cat, type Generator, reshape } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from '../nn/activation.js';
import { NIN } from '../nn/attention.js';
import { ddpmConv1x1, ddpmConv3x3, type Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import type { InitOptions } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { GroupNorm, groupsFor } from '../nn/norm.js';
import { downsample2d, naiveDownsample2d, naiveUpsample2d, upsample2d } from '../nn/upfirdn.js';

export interface ResBlockOptions extends InitOptions {
  act: Activation;
  inCh: number;
  outCh?: number;
  /** Size of the time embedding (a Dense_0 projection is made when given). */
  tembDim?: number;
  dropout?: number;
  /** Return (x + h) / sqrt(2). */
  skipRescale?: boolean;
  /** Init scale of the last conv (0: the block starts as its shortcut). */
  initScale?: number;
  /** Draws of the dropout masks (default: the global generator). */
  dropoutGenerator?: Generator;
}

/** GroupNorm(min(C/4, 32), C, eps 1e-6), as every NCSN++ block. */
/** NCSN++'s GroupNorm: min(C / 4, 32) groups, eps 1e-6. */
export function ncsnppGroupNorm(c: number, o: InitOptions = {}): GroupNorm {
  const q = checkOptions('ncsnppGroupNorm', 'options', o);
  return new GroupNorm(groupsFor(c), c, { eps: 1e-6, dtype: q.dtype });
}

/** The part shared by both blocks: GN0-act-(resample)-Conv0 (+Dense(temb)) GN1-act-Dropout-Conv1. */
abstract class ResBlockBase extends Module {
  readonly GroupNorm_0: GroupNorm;
  readonly Conv_0: Conv2d;
  readonly Dense_0: Linear | null;
  readonly GroupNorm_1: GroupNorm;
  readonly Dropout_0: Dropout;
  readonly Conv_1: Conv2d;
  readonly act: Activation;
  readonly inCh: number;
  readonly outCh: number;
  readonly skipRescale: boolean;

  constructor(o: ResBlockOptions, defaultSkipRescale: boolean) {
    super();
    const io = { dtype: o.dtype, generator: o.generator };
    this.act = o.act;
    this.inCh = o.inCh;
    this.outCh = o.outCh ?? o.inCh;
    this.skipRescale = o.skipRescale ?? defaultSkipRescale;
    this.GroupNorm_0 = this.module('GroupNorm_0', ncsnppGroupNorm(this.inCh, io));
    this.Conv_0 = this.module('Conv_0', ddpmConv3x3(this.inCh, this.outCh, io));
    this.Dense_0 = o.tembDim ? this.module('Dense_0', new Linear(o.tembDim, this.outCh, { ...io, init: 'ddpm' })) : null;
    this.GroupNorm_1 = this.module('GroupNorm_1', ncsnppGroupNorm(this.outCh, io));
    this.Dropout_0 = this.module('Dropout_0', new Dropout(o.dropout ?? 0.1, o.dropoutGenerator));
    this.Conv_1 = this.module('Conv_1', ddpmConv3x3(this.outCh, this.outCh, { ...io, initScale: o.initScale ?? 0 }));
  }

  /** The residual branch after GN0-act (and resampling): h [B, in, H, W] -> [B, out, H, W]. */
  protected branch(h: Tensor, tembAct: Tensor | null): Tensor {
    let y = this.Conv_0.forward(h);
    if (tembAct && this.Dense_0) y = add(y, reshape(this.Dense_0.forward(tembAct), [y.shape[0], -1, 1, 1]));
    y = this.Dropout_0.forward(this.GroupNorm_1.forward(y, this.act));
    return this.Conv_1.forward(y);
  }

  protected merge(x: Tensor, h: Tensor): Tensor {
    const s = add(x, h);
    return this.skipRescale ? mul(s, Math.SQRT1_2) : s;
  }
}

/**
 * DDPM++'s residual block (ResnetBlockDDPMpp). `tembAct` is act(temb), computed once per forward
 * by the model (the reference recomputes it in every block; the value is the same).
 */
export class ResnetBlockDDPMpp extends ResBlockBase {
  readonly Conv_2: Conv2d | null = null;
  readonly NIN_0: NIN | null = null;

  constructor(o: ResBlockOptions & { convShortcut?: boolean }) {
    super(o, false);
    if (this.inCh !== this.outCh) {
      const io = { dtype: o.dtype, generator: o.generator };
      if (o.convShortcut) this.Conv_2 = this.module('Conv_2', ddpmConv3x3(this.inCh, this.outCh, io));
      else this.NIN_0 = this.module('NIN_0', new NIN(this.inCh, this.outCh, io));
    }
  }

  forward(x: Tensor, tembAct: Tensor | null = null): Tensor {
    return tidy(() => {
      const h = this.branch(this.GroupNorm_0.forward(x, this.act), tembAct);
      const s = this.Conv_2 ? this.Conv_2.forward(x) : this.NIN_0 ? this.NIN_0.forward(x) : x;
      return this.merge(s, h);
    });
  }
}

export interface BigGANBlockOptions extends ResBlockOptions {
  up?: boolean;
  down?: boolean;
  fir?: boolean;
  firKernel?: readonly number[];
}

/** BigGAN-style residual block of NCSN++ (ResnetBlockBigGANpp), optionally resampling by 2 (FIR or naive). */
export class ResnetBlockBigGANpp extends ResBlockBase {
  readonly up: boolean;
  readonly down: boolean;
  readonly fir: boolean;
  readonly firKernel: readonly number[];
  readonly Conv_2: Conv2d | null = null;

  constructor(o: BigGANBlockOptions) {
    super(o, true);
    this.up = !!o.up;
    this.down = !!o.down;
    this.fir = !!o.fir;
    this.firKernel = o.firKernel ?? [1, 3, 3, 1];
    if (this.inCh !== this.outCh || this.up || this.down)
      this.Conv_2 = this.module('Conv_2', ddpmConv1x1(this.inCh, this.outCh, { dtype: o.dtype, generator: o.generator }));
  }

  private resample(t: Tensor): Tensor {
    if (this.up) return this.fir ? upsample2d(t, this.firKernel, 2) : naiveUpsample2d(t, 2);
    if (this.down) return this.fir ? downsample2d(t, this.firKernel, 2) : naiveDownsample2d(t, 2);
    return t;
  }

  forward(x: Tensor, tembAct: Tensor | null = null): Tensor {
    return tidy(() => {
      const h = this.branch(this.resample(this.GroupNorm_0.forward(x, this.act)), tembAct);
      const xs = this.resample(x);
      return this.merge(this.Conv_2 ? this.Conv_2.forward(xs) : xs, h);
    });
  }
}

/** Combines a pyramid input x with features y (layerspp.Combine): cat([Conv1x1(x), y]) or Conv1x1(x) + y. */
export class Combine extends Module {
  readonly Conv: Conv2d;
  constructor(dim1: number, dim2: number, readonly method: 'cat' | 'sum', o: InitOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    this.Conv = this.module('Conv', ddpmConv1x1(dim1, dim2, o));
  }
  forward(x: Tensor, y: Tensor): Tensor {
    return tidy(() => {
      const h = this.Conv.forward(x);
      return this.method === 'cat' ? cat([h, y], 1) : add(h, y);
    });
  }
}
