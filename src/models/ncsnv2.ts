// SPDX-License-Identifier: MIT
// NCSNv2 (Song & Ermon 2020; score_sde models/ncsnv2.py, the < 96 px network): a RefineNet with
// InstanceNorm++ and dilated residual blocks, noise-conditional through its output scaling
// s(x, sigma) = f(x) / sigma. With `conditionalNorm` every norm becomes the conditional
// InstanceNorm++ indexed by the noise level, which is NCSN (v1)'s conditioning.
import { argError, checkFinite, checkInt, ShapeError, show, checkOptions } from '../errors.js';
import { div, mul, sub, cast, tensor, indexSelect, type Generator, clamp, log, round, reshape } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, type Activation } from '../nn/activation.js';
import { ModuleList } from '../nn/containers.js';
import { Conv2d } from '../nn/conv.js';
import type { InitOptions } from '../nn/init.js';
import { Module } from '../nn/module.js';
import { geometricSigmas } from './ncsnpp.js';
import { applyNorm, makeNorm, RefineBlock, ResidualBlock, type NCSNNorm, type NormSpec } from './refinenet.js';

export interface NCSNv2Config {
  imageSize: number;
  numChannels: number;
  /** Base width (128 for CIFAR-10). */
  nf: number;
  /** Data in [-1, 1] (true) or [0, 1] (false: x -> 2x - 1 first). */
  centered: boolean;
  /** 'elu' in the reference configs. */
  nonlinearity: string;
  /** Noise levels: geometric from sigmaMax to sigmaMin, numScales of them (CIFAR-10: 50, 0.01, 232). */
  sigmaMin: number;
  sigmaMax: number;
  numScales: number;
  /** Conditional InstanceNorm++ on the noise level (NCSN v1) instead of plain InstanceNorm++. */
  conditionalNorm: boolean;
  /** Divide the output by sigma (NCSNv2: yes; NCSN v1: no). */
  scaleBySigma: boolean;
}

export const NCSNV2_DEFAULTS: Omit<NCSNv2Config, 'imageSize' | 'numChannels' | 'scaleBySigma'> = {
  nf: 128,
  centered: false,
  nonlinearity: 'elu',
  sigmaMin: 0.01,
  sigmaMax: 50,
  numScales: 232,
  conditionalNorm: false,
};

/**
 * NCSNv2 for images up to 95 px. forward(x, label): label [B] is either int32 noise-level indices
 * (sigma = sigmas[label], as the reference) or float sigmas (continuous VE labels; the conditional
 * norms then use the nearest level's index).
 */
export class NCSNv2 extends Module {
  readonly config: NCSNv2Config;
  readonly act: Activation;
  readonly begin_conv: Conv2d;
  readonly normalizer: NCSNNorm;
  readonly end_conv: Conv2d;
  readonly res1: ModuleList<ResidualBlock>;
  readonly res2: ModuleList<ResidualBlock>;
  readonly res3: ModuleList<ResidualBlock>;
  readonly res4: ModuleList<ResidualBlock>;
  readonly refine1: RefineBlock;
  readonly refine2: RefineBlock;
  readonly refine3: RefineBlock;
  readonly refine4: RefineBlock;

  constructor(config: Partial<NCSNv2Config> & Pick<NCSNv2Config, 'imageSize' | 'numChannels'>, o: InitOptions & { generator?: Generator } = {}) {
    super();
    config = checkOptions('NCSNv2', 'config', config) as typeof config;
    o = checkOptions('NCSNv2', 'options', o);
    const merged = { ...NCSNV2_DEFAULTS, ...config };
    const c: NCSNv2Config = (this.config = { ...merged, scaleBySigma: config.scaleBySigma ?? !merged.conditionalNorm });
    const op = 'NCSNv2';
    checkInt(op, 'imageSize', c.imageSize, 4, 95);
    if (c.imageSize % 2) throw argError(op, 'imageSize', c.imageSize, 'an even size (one 2x2 mean-pool)');
    checkInt(op, 'numChannels', c.numChannels, 1);
    checkInt(op, 'nf', c.nf, 2);
    checkInt(op, 'numScales', c.numScales, 1);
    checkFinite(op, 'sigmaMin', c.sigmaMin, { min: 0, minExclusive: true });
    checkFinite(op, 'sigmaMax', c.sigmaMax, { min: c.sigmaMin });
    const io: InitOptions = { dtype: o.dtype, generator: o.generator };
    const act = (this.act = getActivation(c.nonlinearity));
    const norm: NormSpec = { conditional: c.conditionalNorm, numClasses: c.numScales, init: io };
    const nf = c.nf;
    const rb = (i: number, out: number, b: ConstructorParameters<typeof ResidualBlock>[4] = {}) => new ResidualBlock(i, out, act, norm, b);
    this.begin_conv = this.module('begin_conv', new Conv2d(c.numChannels, nf, 3, { padding: 1, ...io }));
    this.normalizer = this.module('normalizer', makeNorm(norm, nf));
    this.end_conv = this.module('end_conv', new Conv2d(nf, c.numChannels, 3, { padding: 1, ...io }));
    this.res1 = this.module('res1', new ModuleList([rb(nf, nf), rb(nf, nf)]));
    this.res2 = this.module('res2', new ModuleList([rb(nf, 2 * nf, { resample: 'down' }), rb(2 * nf, 2 * nf)]));
    this.res3 = this.module('res3', new ModuleList([rb(2 * nf, 2 * nf, { resample: 'down', dilation: 2 }), rb(2 * nf, 2 * nf, { dilation: 2 })]));
    this.res4 = this.module('res4', new ModuleList([
      rb(2 * nf, 2 * nf, { resample: 'down', dilation: 4, adjustPadding: c.imageSize === 28 }), rb(2 * nf, 2 * nf, { dilation: 4 })]));
    this.refine1 = this.module('refine1', new RefineBlock([2 * nf], 2 * nf, act, norm, { start: true }));
    this.refine2 = this.module('refine2', new RefineBlock([2 * nf, 2 * nf], 2 * nf, act, norm));
    this.refine3 = this.module('refine3', new RefineBlock([2 * nf, 2 * nf], nf, act, norm));
    this.refine4 = this.module('refine4', new RefineBlock([nf, nf], nf, act, norm, { end: true }));
  }

  /** Noise-level indices (int32 [B]) and sigmas ([B]) for a label that is either. */
  private levels(label: Tensor, like: Tensor): { index: Tensor; sigma: Tensor } {
    const c = this.config;
    const table = tensor(geometricSigmas(c.sigmaMin, c.sigmaMax, c.numScales), { dtype: like.dtype, device: like.device });
    if (label.dtype === 'int32') return { index: label, sigma: indexSelect(table, 0, label) };
    // i = (log sigmaMax - log sigma) / (log sigmaMax - log sigmaMin) * (L - 1), rounded and clamped
    const L = c.numScales, span = Math.log(c.sigmaMax) - Math.log(c.sigmaMin);
    const pos = L === 1 || span === 0 ? mul(label, 0) : mul(sub(Math.log(c.sigmaMax), log(label)), (L - 1) / span);
    return { index: cast(clamp(round(pos), 0, L - 1), 'int32'), sigma: label };
  }

  forward(x: Tensor, label: Tensor): Tensor {
    const c = this.config;
    if (x.ndim !== 4 || x.shape[1] !== c.numChannels || x.shape[2] !== c.imageSize || x.shape[3] !== c.imageSize)
      throw new ShapeError(`NCSNv2.forward: x must be [B, ${c.numChannels}, ${c.imageSize}, ${c.imageSize}], got ${show([...x.shape])}`);
    if (label.ndim !== 1 || label.shape[0] !== x.shape[0]) throw new ShapeError(`NCSNv2.forward: label must be [B] = [${x.shape[0]}], got ${show([...label.shape])}`);
    return tidy(() => {
      const { index, sigma } = this.levels(label, x);
      const y = c.conditionalNorm ? index : null;
      const seq = (list: ModuleList<ResidualBlock>, h: Tensor) => {
        for (const m of list) h = m.forward(h, y);
        return h;
      };
      const h0 = c.centered ? x : sub(mul(x, 2), 1);
      const layer1 = seq(this.res1, this.begin_conv.forward(h0));
      const layer2 = seq(this.res2, layer1);
      const layer3 = seq(this.res3, layer2);
      const layer4 = seq(this.res4, layer3);
      const hw = (t: Tensor): [number, number] => [t.shape[2], t.shape[3]];
      const ref1 = this.refine1.forward([layer4], hw(layer4), y);
      const ref2 = this.refine2.forward([layer3, ref1], hw(layer3), y);
      const ref3 = this.refine3.forward([layer2, ref2], hw(layer2), y);
      let out = this.refine4.forward([layer1, ref3], hw(layer1), y);
      out = this.end_conv.forward(this.act(applyNorm(this.normalizer, out, y)));
      return c.scaleBySigma ? div(out, reshape(sigma, [-1, 1, 1, 1])) : out;
    });
  }
}
