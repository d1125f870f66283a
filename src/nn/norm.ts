// SPDX-License-Identifier: MIT
// Normalisation layers: GroupNorm (fused with SiLU when followed by one) and NCSN's InstanceNorm++
// with its noise-conditional variant.
import { argError, checkFinite, checkInt, checkOptions, ShapeError, show } from '../errors.js';
import { checkFloatTensor, add, mul, sub, ones, zeros, embedding, cat, groupNorm, randn, type Generator, mean, variance, rsqrt, reshape, slice } from '../ops/index.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from './activation.js';
import { Module } from './module.js';

/** The score_sde / DDPM++ group count for C channels: min(C / 4, 32), at least 1. */
export function groupsFor(channels: number): number {
  checkInt('groupsFor', 'channels', channels, 1);
  return Math.max(1, Math.min(Math.floor(channels / 4), 32));
}

export interface GroupNormLayerOptions {
  eps?: number;
  affine?: boolean;
  dtype?: DType;
}

/** torch.nn.GroupNorm(numGroups, numChannels): weight 1, bias 0. */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(readonly numGroups: number, readonly numChannels: number, o: GroupNormLayerOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    checkInt('GroupNorm', 'numGroups', numGroups, 1);
    checkInt('GroupNorm', 'numChannels', numChannels, 1);
    if (numChannels % numGroups) throw argError('GroupNorm', 'numGroups', numGroups, `a divisor of numChannels (${numChannels})`);
    this.eps = checkFinite('GroupNorm', 'eps', o.eps ?? 1e-5, { min: 0 });
    const affine = o.affine ?? true;
    this.weight = affine ? this.param('weight', ones([numChannels], { dtype: o.dtype })) : null;
    this.bias = affine ? this.param('bias', zeros([numChannels], { dtype: o.dtype })) : null;
  }

  /**
   * GroupNorm(x), then `act` if given. SiLU is fused into the normalisation kernel (one pass
   * instead of two, and no intermediate tensor): the GN -> SiLU pair of every U-Net block.
   */
  forward(x: Tensor, act?: Activation): Tensor {
    const fuse = act?.kind === 'silu';
    const y = groupNorm(x, this.numGroups, this.weight, this.bias, { eps: this.eps, silu: fuse });
    if (!act || fuse) return y;
    const z = act(y);
    y.dispose();
    return z;
  }
}

/** GroupNorm(groupsFor(C), C) with the given eps (score_sde uses 1e-6 in NCSN++, torch's default 1e-5 elsewhere). */
export function groupNormFor(channels: number, o: GroupNormLayerOptions = {}): GroupNorm {
  return new GroupNorm(groupsFor(channels), channels, o);
}

/** Standardised per-channel means across channels: (mu_c - mean_c mu) / sqrt(var_c mu + eps), unbiased var as torch. */
/** x as a float feature map [B, C, H, W] with C = `channels`. */
function checkFeatureMap(op: string, x: unknown, channels: number): Tensor {
  const t = checkFloatTensor(op, 'x', x);
  if (t.ndim !== 4 || t.shape[1] !== channels) throw new ShapeError(`${op}: argument 'x' got shape ${show([...t.shape])}, expected [B, ${channels}, H, W]`);
  return t;
}

function meansPlus(x: Tensor, eps: number): Tensor {
  const mu = mean(x, [2, 3]);
  const m = mean(mu, 1, true);
  const v = variance(mu, 1, { keepdim: true, unbiased: true });
  return mul(sub(mu, m), rsqrt(add(v, eps)));
}

export interface InstanceNormPlusOptions {
  bias?: boolean;
  eps?: number;
  dtype?: DType;
  generator?: Generator;
}

/**
 * InstanceNorm++ (Song & Ermon 2019): instance normalisation that keeps the information in the
 * channel means, out = gamma * (IN(x) + alpha * meansPlus(x)) + beta, with alpha, gamma ~ N(1, 0.02).
 */
export class InstanceNorm2dPlus extends Module {
  readonly alpha: Tensor;
  readonly gamma: Tensor;
  readonly beta: Tensor | null;
  readonly eps: number;

  constructor(readonly numFeatures: number, o: InstanceNormPlusOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    checkInt('InstanceNorm2dPlus', 'numFeatures', numFeatures, 2);
    this.eps = checkFinite('InstanceNorm2dPlus', 'eps', o.eps ?? 1e-5, { min: 0 });
    const r = { mean: 1, std: 0.02, dtype: o.dtype, generator: o.generator };
    this.alpha = this.param('alpha', randn([numFeatures], r));
    this.gamma = this.param('gamma', randn([numFeatures], r));
    this.beta = o.bias === false ? null : this.param('beta', zeros([numFeatures], { dtype: o.dtype }));
  }

  forward(x: Tensor): Tensor {
    const [B, C] = checkFeatureMap('InstanceNorm2dPlus.forward', x, this.numFeatures).shape;
    // gamma*(IN(x) + alpha*m) + beta = GN_C(x; gamma, beta) + (gamma*alpha)*m: the norm stays one fused kernel
    const h = groupNorm(x, C, this.gamma, this.beta, { eps: this.eps });
    const extra = reshape(mul(meansPlus(x, this.eps), mul(this.gamma, this.alpha)), [B, C, 1, 1]);
    return add(h, extra);
  }
}

/**
 * Conditional InstanceNorm++ (NCSN): gamma, alpha, beta are rows of an embedding indexed by the
 * noise level y (int32 [B]); gamma and alpha start at N(1, 0.02), beta at 0.
 */
export class ConditionalInstanceNorm2dPlus extends Module {
  readonly embed: Tensor;
  readonly eps: number;
  readonly bias: boolean;

  constructor(readonly numFeatures: number, readonly numClasses: number, o: InstanceNormPlusOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    checkInt('ConditionalInstanceNorm2dPlus', 'numFeatures', numFeatures, 2);
    checkInt('ConditionalInstanceNorm2dPlus', 'numClasses', numClasses, 1);
    this.eps = checkFinite('ConditionalInstanceNorm2dPlus', 'eps', o.eps ?? 1e-5, { min: 0 });
    this.bias = o.bias !== false;
    const C = numFeatures;
    const scales = randn([numClasses, 2 * C], { mean: 1, std: 0.02, dtype: o.dtype, generator: o.generator });
    let w = scales;
    if (this.bias) {
      const z = zeros([numClasses, C], { dtype: o.dtype });
      w = cat([scales, z], 1);
      scales.dispose();
      z.dispose();
    }
    // torch layout: an nn.Embedding named embed, rows [gamma | alpha | beta]
    const holder = new EmbeddingTable(w);
    this.embed = holder.weight;
    this.module('embed', holder);
  }

  forward(x: Tensor, y: Tensor): Tensor {
    const [B, C] = checkFeatureMap('ConditionalInstanceNorm2dPlus.forward', x, this.numFeatures).shape;
    const e = embedding(y, this.embed);
    const gamma = slice(e, 1, 0, C), alpha = slice(e, 1, C, 2 * C);
    const beta = this.bias ? slice(e, 1, 2 * C, 3 * C) : null;
    const h = groupNorm(x, C, null, null, { eps: this.eps });
    const g4 = reshape(gamma, [B, C, 1, 1]);
    const hp = add(h, reshape(mul(meansPlus(x, this.eps), alpha), [B, C, 1, 1]));
    const out = mul(hp, g4);
    return beta ? add(out, reshape(beta, [B, C, 1, 1])) : out;
  }
}

/** The parameter holder of an embedding table (state dict key `<name>.weight`). */
export class EmbeddingTable extends Module {
  readonly weight: Tensor;
  constructor(w: Tensor) {
    super();
    this.weight = this.param('weight', w);
  }
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }
}
