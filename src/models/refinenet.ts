// SPDX-License-Identifier: MIT
// RefineNet blocks of NCSN / NCSNv2 (score_sde models/layers.py, from ermongroup/ncsnv2): residual
// blocks, residual conv units (RCU), chained residual pooling (CRP), multi-resolution fusion (MSF).
// Every block takes an optional noise-level index y: with conditional normalisation (NCSN) the
// Cond* variants' norms are inserted where the reference has them; without it (NCSNv2) y is unused.
import { add, pad, avgPool2d, maxPool2d } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from '../nn/activation.js';
import { ModuleList } from '../nn/containers.js';
import { Conv2d, ncsnConv1x1, ncsnConv3x3 } from '../nn/conv.js';
import type { InitOptions } from '../nn/init.js';
import { Module } from '../nn/module.js';
import { ConditionalInstanceNorm2dPlus, InstanceNorm2dPlus } from '../nn/norm.js';
import { interpolateBilinear } from '../nn/resample.js';

export type NCSNNorm = InstanceNorm2dPlus | ConditionalInstanceNorm2dPlus;

/** How blocks get their normalisation: InstanceNorm++ or its conditional variant over numClasses levels. */
export interface NormSpec {
  conditional: boolean;
  numClasses: number;
  init: InitOptions;
}

export function makeNorm(spec: NormSpec, features: number): NCSNNorm {
  return spec.conditional ? new ConditionalInstanceNorm2dPlus(features, spec.numClasses, spec.init) : new InstanceNorm2dPlus(features, spec.init);
}

export function applyNorm(n: NCSNNorm, x: Tensor, y: Tensor | null): Tensor {
  return n instanceof ConditionalInstanceNorm2dPlus ? n.forward(x, y!) : n.forward(x);
}

/** 3x3 conv with dilation d; padding d keeps the size, as the original NCSNv2 and score_sde's JAX code ('SAME'). */
function dilated(inCh: number, outCh: number, d: number, o: InitOptions, bias = true): Conv2d {
  return new Conv2d(inCh, outCh, 3, { padding: d, dilation: d, bias, init: 'torch', ...o });
}

/** conv (k x k, 'same') then 2x2 mean pooling; adjustPadding first pads one zero row/column at the top-left. */
export class ConvMeanPool extends Module {
  readonly conv: Conv2d;
  constructor(inCh: number, outCh: number, kernel: number, readonly adjustPadding: boolean, o: InitOptions) {
    super();
    this.conv = this.module('conv', new Conv2d(inCh, outCh, kernel, { padding: Math.floor(kernel / 2), ...o }));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => avgPool2d(this.conv.forward(this.adjustPadding ? pad(x, [1, 0, 1, 0]) : x), 2, { stride: 2 }));
  }
}

export interface ResidualBlockOptions {
  resample?: 'down' | null;
  dilation?: number;
  adjustPadding?: boolean;
}

/** NCSNv2 ResidualBlock / NCSN ConditionalResidualBlock: shortcut + conv2(act(norm2(conv1(act(norm1(x)))))). */
export class ResidualBlock extends Module {
  readonly normalize1: NCSNNorm;
  readonly conv1: Conv2d;
  readonly normalize2: NCSNNorm;
  readonly conv2: Conv2d | ConvMeanPool;
  readonly shortcut: Conv2d | ConvMeanPool | null = null;

  constructor(readonly inCh: number, readonly outCh: number, readonly act: Activation, norm: NormSpec, b: ResidualBlockOptions = {}) {
    super();
    const o = norm.init, d = b.dilation ?? 1, down = b.resample === 'down';
    this.normalize1 = this.module('normalize1', makeNorm(norm, inCh));
    if (down) {
      this.conv1 = this.module('conv1', d > 1 ? dilated(inCh, inCh, d, o) : ncsnConv3x3(inCh, inCh, o));
      this.normalize2 = this.module('normalize2', makeNorm(norm, inCh));
      // with dilation the reference's "down" block keeps the resolution (dilation replaces pooling)
      this.conv2 = this.module('conv2', d > 1 ? dilated(inCh, outCh, d, o) : new ConvMeanPool(inCh, outCh, 3, !!b.adjustPadding, o));
      this.shortcut = this.module('shortcut', d > 1 ? dilated(inCh, outCh, d, o) : new ConvMeanPool(inCh, outCh, 1, !!b.adjustPadding, o));
    } else {
      this.conv1 = this.module('conv1', d > 1 ? dilated(inCh, outCh, d, o) : ncsnConv3x3(inCh, outCh, o));
      this.normalize2 = this.module('normalize2', makeNorm(norm, outCh));
      this.conv2 = this.module('conv2', d > 1 ? dilated(outCh, outCh, d, o) : ncsnConv3x3(outCh, outCh, o));
      if (inCh !== outCh) this.shortcut = this.module('shortcut', d > 1 ? dilated(inCh, outCh, d, o) : ncsnConv1x1(inCh, outCh, o));
    }
  }

  forward(x: Tensor, y: Tensor | null = null): Tensor {
    return tidy(() => {
      let h = this.conv1.forward(this.act(applyNorm(this.normalize1, x, y)));
      h = this.conv2.forward(this.act(applyNorm(this.normalize2, h, y)));
      return add(this.shortcut ? this.shortcut.forward(x) : x, h);
    });
  }
}

/** Residual conv units: nBlocks x (x + [act -> (norm ->) conv] x nStages), bias-free convs named "<i>_<j>_conv". */
export class RCUBlock extends Module {
  private readonly convs: Conv2d[][] = [];
  private readonly norms: NCSNNorm[][] = [];

  constructor(features: number, readonly nBlocks: number, readonly nStages: number, readonly act: Activation, norm: NormSpec) {
    super();
    for (let i = 0; i < nBlocks; i++) {
      this.convs.push([]);
      this.norms.push([]);
      for (let j = 0; j < nStages; j++) {
        if (norm.conditional) this.norms[i].push(this.module(`${i + 1}_${j + 1}_norm`, makeNorm(norm, features)));
        this.convs[i].push(this.module(`${i + 1}_${j + 1}_conv`, ncsnConv3x3(features, features, { ...norm.init, bias: false })));
      }
    }
  }

  forward(x: Tensor, y: Tensor | null = null): Tensor {
    return tidy(() => {
      let h = x;
      for (let i = 0; i < this.nBlocks; i++) {
        const residual = h;
        for (let j = 0; j < this.nStages; j++) {
          if (this.norms[i].length) h = applyNorm(this.norms[i][j], h, y);
          h = this.convs[i][j].forward(this.act(h));
        }
        h = add(h, residual);
      }
      return h;
    });
  }
}

/** Chained residual pooling: x = act(x); path = x; nStages x (path = conv(pool5(path)); x += path). */
export class CRPBlock extends Module {
  readonly convs: ModuleList<Conv2d>;
  readonly norms: ModuleList<NCSNNorm> | null = null;

  constructor(features: number, readonly nStages: number, readonly act: Activation, norm: NormSpec, readonly maxpool = true) {
    super();
    if (norm.conditional) this.norms = this.module('norms', new ModuleList<NCSNNorm>());
    this.convs = this.module('convs', new ModuleList<Conv2d>());
    for (let i = 0; i < nStages; i++) {
      this.norms?.append(makeNorm(norm, features));
      this.convs.append(ncsnConv3x3(features, features, { ...norm.init, bias: false }));
    }
  }

  forward(x: Tensor, y: Tensor | null = null): Tensor {
    return tidy(() => {
      let h = this.act(x);
      let path = h;
      for (let i = 0; i < this.nStages; i++) {
        if (this.norms) path = applyNorm(this.norms.at(i), path, y);
        path = this.maxpool ? maxPool2d(path, 5, { stride: 1, padding: 2 }) : avgPool2d(path, 5, { stride: 1, padding: 2 });
        path = this.convs.at(i).forward(path);
        h = add(path, h);
      }
      return h;
    });
  }
}

/** Multi-resolution fusion: sum_i bilinear(conv_i((norm_i) x_i), shape). */
export class MSFBlock extends Module {
  readonly convs: ModuleList<Conv2d>;
  readonly norms: ModuleList<NCSNNorm> | null = null;

  constructor(inPlanes: readonly number[], readonly features: number, norm: NormSpec) {
    super();
    this.convs = this.module('convs', new ModuleList<Conv2d>());
    if (norm.conditional) this.norms = this.module('norms', new ModuleList<NCSNNorm>());
    for (const p of inPlanes) {
      this.convs.append(ncsnConv3x3(p, features, norm.init));
      this.norms?.append(makeNorm(norm, p));
    }
  }

  forward(xs: readonly Tensor[], shape: readonly [number, number], y: Tensor | null = null): Tensor {
    return tidy(() => {
      let sum: Tensor | null = null;
      xs.forEach((x, i) => {
        const h = interpolateBilinear(this.convs.at(i).forward(this.norms ? applyNorm(this.norms.at(i), x, y) : x), shape);
        sum = sum ? add(sum, h) : h;
      });
      return sum!;
    });
  }
}

/** RefineNet block: RCU-adapt every input, fuse (MSF) to the output shape, CRP, output RCUs (3 at the end). */
export class RefineBlock extends Module {
  readonly adapt_convs: ModuleList<RCUBlock>;
  readonly output_convs: RCUBlock;
  readonly msf: MSFBlock | null = null;
  readonly crp: CRPBlock;

  constructor(inPlanes: readonly number[], features: number, act: Activation, norm: NormSpec, o: { start?: boolean; end?: boolean } = {}) {
    super();
    this.adapt_convs = this.module('adapt_convs', new ModuleList(inPlanes.map((p) => new RCUBlock(p, 2, 2, act, norm))));
    this.output_convs = this.module('output_convs', new RCUBlock(features, o.end ? 3 : 1, 2, act, norm));
    if (!o.start) this.msf = this.module('msf', new MSFBlock(inPlanes, features, norm));
    // NCSNv2 pools with max, NCSN's conditional CRP with averages
    this.crp = this.module('crp', new CRPBlock(features, 2, act, norm, !norm.conditional));
  }

  forward(xs: readonly Tensor[], shape: readonly [number, number], y: Tensor | null = null): Tensor {
    return tidy(() => {
      const hs = xs.map((x, i) => this.adapt_convs.at(i).forward(x, y));
      const h = hs.length > 1 ? this.msf!.forward(hs, shape, y) : hs[0];
      return this.output_convs.forward(this.crp.forward(h, y), y);
    });
  }
}
