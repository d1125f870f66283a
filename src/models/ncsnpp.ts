// SPDX-License-Identifier: MIT
// NCSN++ / DDPM++ (Song et al. 2021, score_sde models/ncsnpp.py): one U-Net family covering both.
// Modules are kept in one list `all_modules` in the reference's order, so the state dict keys
// (all_modules.<i>.<name>) are those of score_sde checkpoints.
import { argError, checkFinite, checkInt, checkOptions, ShapeError, show } from '../errors.js';
import { add, div, mul, sub, cast, tensor, indexSelect, cat, type Generator, log, reshape } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, type Activation } from '../nn/activation.js';
import { AttnBlockpp } from '../nn/attention.js';
import { ModuleList } from '../nn/containers.js';
import { Conv2d, ddpmConv3x3 } from '../nn/conv.js';
import { GaussianFourierProjection, timestepEmbedding } from '../nn/embedding.js';
import type { InitOptions } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { GroupNorm } from '../nn/norm.js';
import { Downsample, Upsample } from '../nn/resample.js';
import { Combine, ncsnppGroupNorm, ResnetBlockBigGANpp, ResnetBlockDDPMpp } from './blocks.js';

/** The model and data fields of a score_sde NCSN++ config (camelCase). */
export interface NCSNppConfig {
  imageSize: number;
  numChannels: number;
  /** Data in [-1, 1] (true) or [0, 1] (false: the model maps x to 2x - 1 first). */
  centered: boolean;
  nf: number;
  chMult: readonly number[];
  numResBlocks: number;
  attnResolutions: readonly number[];
  dropout: number;
  resampWithConv: boolean;
  /** Time / noise-level conditioning (temb through two dense layers into every block). */
  conditional: boolean;
  fir: boolean;
  firKernel: readonly number[];
  skipRescale: boolean;
  resblockType: 'biggan' | 'ddpm';
  progressive: 'none' | 'output_skip' | 'residual';
  progressiveInput: 'none' | 'input_skip' | 'residual';
  progressiveCombine: 'sum' | 'cat';
  /** 'fourier': Gaussian Fourier features of log sigma (labels are sigma); 'positional': sinusoidal of the label. */
  embeddingType: 'fourier' | 'positional';
  fourierScale: number;
  initScale: number;
  /** Divide the output by sigma (the label for 'fourier'; sigmas[int(label)] for 'positional'). */
  scaleBySigma: boolean;
  /** score_sde's config.model.nonlinearity ('swish', 'elu', 'relu', 'lrelu'). */
  nonlinearity: string;
  /** Discrete noise levels (geometric from sigmaMax to sigmaMin, numScales of them) for positional + scaleBySigma. */
  sigmaMin: number;
  sigmaMax: number;
  numScales: number;
}

export const NCSNPP_DEFAULTS: Omit<NCSNppConfig, 'imageSize' | 'numChannels'> = {
  centered: false,
  nf: 128,
  chMult: [1, 2, 2, 2],
  numResBlocks: 4,
  attnResolutions: [16],
  dropout: 0.1,
  resampWithConv: true,
  conditional: true,
  fir: true,
  firKernel: [1, 3, 3, 1],
  skipRescale: true,
  resblockType: 'biggan',
  progressive: 'none',
  progressiveInput: 'residual',
  progressiveCombine: 'sum',
  embeddingType: 'fourier',
  fourierScale: 16,
  initScale: 0,
  scaleBySigma: true,
  nonlinearity: 'swish',
  sigmaMin: 0.01,
  sigmaMax: 50,
  numScales: 1000,
};

export interface NCSNppOptions extends InitOptions {
  /** Draws of the dropout masks (default: the global generator). */
  dropoutGenerator?: Generator;
}

type Block = ResnetBlockBigGANpp | ResnetBlockDDPMpp;
const oneOf = <T extends string>(op: string, arg: string, v: string, allowed: readonly T[]): T => {
  if (!allowed.includes(v as T)) throw argError(op, arg, v, allowed.map((a) => `'${a}'`).join(' | '));
  return v as T;
};

/** score_sde get_sigmas: exp(linspace(log sigmaMax, log sigmaMin, numScales)). */
export function geometricSigmas(sigmaMin: number, sigmaMax: number, numScales: number): Float64Array {
  checkFinite('geometricSigmas', 'sigmaMin', sigmaMin, { min: 0, minExclusive: true });
  checkFinite('geometricSigmas', 'sigmaMax', sigmaMax, { min: 0, minExclusive: true });
  checkInt('geometricSigmas', 'numScales', numScales, 1, 1e7);
  const a = Math.log(sigmaMax), b = Math.log(sigmaMin);
  return Float64Array.from({ length: numScales }, (_, i) => Math.exp(numScales === 1 ? a : a + ((b - a) * i) / (numScales - 1)));
}

/**
 * NCSN++ / DDPM++. forward(x, label): x [B, C, S, S]; label [B] is sigma for 'fourier' embeddings
 * and the time label (999 t for VP/subVP continuous, a noise-level index for discrete models) for
 * 'positional' ones, exactly as score_sde's get_score_fn passes them.
 */
export class NCSNpp extends Module {
  readonly config: NCSNppConfig;
  readonly all_modules: ModuleList;
  readonly act: Activation;
  readonly allResolutions: number[];

  constructor(config: Partial<NCSNppConfig> & Pick<NCSNppConfig, 'imageSize' | 'numChannels'>, o: NCSNppOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    const c: NCSNppConfig = (this.config = validate({ ...NCSNPP_DEFAULTS, ...config }));
    const io: InitOptions = { dtype: o.dtype, generator: o.generator };
    const act = (this.act = getActivation(c.nonlinearity));
    const nf = c.nf, nres = c.chMult.length;
    this.allResolutions = c.chMult.map((_, i) => c.imageSize / 2 ** i);
    const mods: Module[] = [];
    const block = (b: { inCh: number; outCh?: number; up?: boolean; down?: boolean }): Block => {
      const common = { act, dropout: c.dropout, initScale: c.initScale, skipRescale: c.skipRescale, tembDim: 4 * nf, dropoutGenerator: o.dropoutGenerator, ...io };
      return c.resblockType === 'ddpm'
        ? new ResnetBlockDDPMpp({ ...common, inCh: b.inCh, outCh: b.outCh })
        : new ResnetBlockBigGANpp({ ...common, ...b, fir: c.fir, firKernel: c.firKernel });
    };
    const attn = (ch: number) => new AttnBlockpp(ch, { initScale: c.initScale, skipRescale: c.skipRescale, ...io });
    const resample = { fir: c.fir, firKernel: c.firKernel, ...io };

    if (c.embeddingType === 'fourier') mods.push(new GaussianFourierProjection({ embeddingSize: nf, scale: c.fourierScale, ...io }));
    const embedDim = c.embeddingType === 'fourier' ? 2 * nf : nf;
    if (c.conditional) mods.push(new Linear(embedDim, 4 * nf, { ...io, init: 'ddpm' }), new Linear(4 * nf, 4 * nf, { ...io, init: 'ddpm' }));

    const channels = c.numChannels;
    let inputPyramidCh = channels;
    mods.push(ddpmConv3x3(channels, nf, io));
    const hsC = [nf];
    let inCh = nf;
    for (let lvl = 0; lvl < nres; lvl++) {
      for (let i = 0; i < c.numResBlocks; i++) {
        const outCh = nf * c.chMult[lvl];
        mods.push(block({ inCh, outCh }));
        inCh = outCh;
        if (c.attnResolutions.includes(this.allResolutions[lvl])) mods.push(attn(inCh));
        hsC.push(inCh);
      }
      if (lvl !== nres - 1) {
        mods.push(c.resblockType === 'ddpm' ? new Downsample(inCh, { withConv: c.resampWithConv, ...resample }) : block({ inCh, down: true }));
        if (c.progressiveInput === 'input_skip') {
          mods.push(new Downsample(inputPyramidCh, { withConv: false, ...resample }), new Combine(inputPyramidCh, inCh, c.progressiveCombine, io));
          if (c.progressiveCombine === 'cat') inCh *= 2;
        } else if (c.progressiveInput === 'residual') {
          mods.push(new Downsample(inputPyramidCh, { outCh: inCh, withConv: true, ...resample }));
          inputPyramidCh = inCh;
        }
        hsC.push(inCh);
      }
    }
    inCh = hsC[hsC.length - 1];
    mods.push(block({ inCh }), attn(inCh), block({ inCh }));

    let pyramidCh = 0;
    for (let lvl = nres - 1; lvl >= 0; lvl--) {
      for (let i = 0; i < c.numResBlocks + 1; i++) {
        const outCh = nf * c.chMult[lvl];
        mods.push(block({ inCh: inCh + hsC.pop()!, outCh }));
        inCh = outCh;
      }
      // the reference applies attention once per level on the way up, after all its blocks
      if (c.attnResolutions.includes(this.allResolutions[lvl])) mods.push(attn(inCh));
      if (c.progressive !== 'none') {
        if (lvl === nres - 1) {
          mods.push(ncsnppGroupNorm(inCh, io));
          if (c.progressive === 'output_skip') {
            mods.push(ddpmConv3x3(inCh, channels, { ...io, initScale: c.initScale }));
            pyramidCh = channels;
          } else {
            mods.push(ddpmConv3x3(inCh, inCh, io));
            pyramidCh = inCh;
          }
        } else if (c.progressive === 'output_skip') {
          mods.push(new Upsample(pyramidCh, { withConv: false, ...resample }), ncsnppGroupNorm(inCh, io), ddpmConv3x3(inCh, channels, { ...io, initScale: c.initScale }));
          pyramidCh = channels;
        } else {
          mods.push(new Upsample(pyramidCh, { outCh: inCh, withConv: true, ...resample }));
          pyramidCh = inCh;
        }
      }
      if (lvl !== 0) mods.push(c.resblockType === 'ddpm' ? new Upsample(inCh, { withConv: c.resampWithConv, ...resample }) : block({ inCh, up: true }));
    }
    if (hsC.length) throw new Error('NCSNpp: internal error, unused skip channels');
    if (c.progressive !== 'output_skip') mods.push(ncsnppGroupNorm(inCh, io), ddpmConv3x3(inCh, channels, { ...io, initScale: c.initScale }));
    this.all_modules = this.module('all_modules', new ModuleList(mods));
  }

  forward(x: Tensor, label: Tensor): Tensor {
    const c = this.config;
    if (x.ndim !== 4 || x.shape[1] !== c.numChannels || x.shape[2] !== c.imageSize || x.shape[3] !== c.imageSize)
      throw new ShapeError(`NCSNpp.forward: x must be [B, ${c.numChannels}, ${c.imageSize}, ${c.imageSize}], got ${show([...x.shape])}`);
    if (label.ndim !== 1 || label.shape[0] !== x.shape[0]) throw new ShapeError(`NCSNpp.forward: label must be [B] = [${x.shape[0]}], got ${show([...label.shape])}`);
    return tidy(() => {
      const mods = this.all_modules;
      let k = 0;
      // the modules in list order; the class check turns any construction/forward mismatch into an error
      const next = <T extends Module>(cls: abstract new (...a: never[]) => T): T => {
        const m = mods.at(k++);
        if (!(m instanceof cls)) throw new Error(`NCSNpp.forward: internal error, module ${k - 1} is ${m.constructor.name}, expected ${cls.name}`);
        return m;
      };
      const BlockCls: abstract new (...a: never[]) => Block = c.resblockType === 'ddpm' ? ResnetBlockDDPMpp : ResnetBlockBigGANpp;
      const act = this.act, B = x.shape[0];
      // GN -> act -> conv, taking the two modules in list order
      const normConv = (t: Tensor) => {
        const g = next(GroupNorm);
        return next(Conv2d).forward(g.forward(t, act));
      };
      const nres = c.chMult.length;

      let temb: Tensor;
      let usedSigmas: Tensor | null = null;
      if (c.embeddingType === 'fourier') {
        usedSigmas = label;
        temb = next(GaussianFourierProjection).forward(log(label));
      } else {
        if (c.scaleBySigma) {
          // the reference's sigmas[int(label)]: a 1000-entry table, cheap to build per call
          const table = tensor(geometricSigmas(c.sigmaMin, c.sigmaMax, c.numScales), { dtype: x.dtype, device: x.device });
          usedSigmas = indexSelect(table, 0, cast(label, 'int32'));
        }
        temb = timestepEmbedding(label, c.nf);
      }
      let tembAct: Tensor | null = null;
      if (c.conditional) {
        temb = next(Linear).forward(temb);
        temb = next(Linear).forward(act(temb));
        tembAct = act(temb);
      }
      const h0 = c.centered ? x : sub(mul(x, 2), 1);

      let inputPyramid: Tensor | null = c.progressiveInput !== 'none' ? h0 : null;
      const hs: Tensor[] = [next(Conv2d).forward(h0)];
      let h: Tensor;
      for (let lvl = 0; lvl < nres; lvl++) {
        for (let i = 0; i < c.numResBlocks; i++) {
          h = next(BlockCls).forward(hs[hs.length - 1], tembAct);
          if (c.attnResolutions.includes(h.shape[3])) h = next(AttnBlockpp).forward(h);
          hs.push(h);
        }
        if (lvl !== nres - 1) {
          h = c.resblockType === 'ddpm' ? next(Downsample).forward(hs[hs.length - 1]) : next(BlockCls).forward(hs[hs.length - 1], tembAct);
          if (c.progressiveInput === 'input_skip') {
            inputPyramid = next(Downsample).forward(inputPyramid!);
            h = next(Combine).forward(inputPyramid, h);
          } else if (c.progressiveInput === 'residual') {
            inputPyramid = next(Downsample).forward(inputPyramid!);
            inputPyramid = c.skipRescale ? mul(add(inputPyramid, h), Math.SQRT1_2) : add(inputPyramid, h);
            h = inputPyramid;
          }
          hs.push(h);
        }
      }
      h = hs[hs.length - 1];
      h = next(BlockCls).forward(h, tembAct);
      h = next(AttnBlockpp).forward(h);
      h = next(BlockCls).forward(h, tembAct);

      let pyramid: Tensor | null = null;
      for (let lvl = nres - 1; lvl >= 0; lvl--) {
        for (let i = 0; i < c.numResBlocks + 1; i++) h = next(BlockCls).forward(cat([h, hs.pop()!], 1), tembAct);
        if (c.attnResolutions.includes(h.shape[3])) h = next(AttnBlockpp).forward(h);
        if (c.progressive !== 'none') {
          if (lvl === nres - 1) {
            pyramid = normConv(h);
          } else if (c.progressive === 'output_skip') {
            pyramid = next(Upsample).forward(pyramid!);
            const ph = normConv(h);
            pyramid = add(pyramid, ph);
          } else {
            pyramid = next(Upsample).forward(pyramid!);
            pyramid = c.skipRescale ? mul(add(pyramid, h), Math.SQRT1_2) : add(pyramid, h);
            h = pyramid;
          }
        }
        if (lvl !== 0) h = c.resblockType === 'ddpm' ? next(Upsample).forward(h) : next(BlockCls).forward(h, tembAct);
      }
      if (hs.length) throw new Error('NCSNpp.forward: internal error, unused skips');
      if (c.progressive === 'output_skip') h = pyramid!;
      else h = normConv(h);
      if (k !== mods.length) throw new Error(`NCSNpp.forward: internal error, used ${k} of ${mods.length} modules`);
      if (c.scaleBySigma && usedSigmas) h = div(h, reshape(usedSigmas, [B, 1, 1, 1]));
      return h;
    });
  }
}

function validate(c: NCSNppConfig): NCSNppConfig {
  const op = 'NCSNpp';
  checkInt(op, 'imageSize', c.imageSize, 1);
  checkInt(op, 'numChannels', c.numChannels, 1);
  checkInt(op, 'nf', c.nf, 1);
  checkInt(op, 'numResBlocks', c.numResBlocks, 1);
  if (!Array.isArray(c.chMult) || c.chMult.length === 0) throw argError(op, 'chMult', c.chMult, 'a non-empty list of positive integers');
  c.chMult.forEach((m, i) => checkInt(op, `chMult[${i}]`, m, 1));
  if (c.imageSize % 2 ** (c.chMult.length - 1)) throw argError(op, 'imageSize', c.imageSize, `a multiple of 2^${c.chMult.length - 1} (one halving per level)`);
  checkFinite(op, 'dropout', c.dropout, { min: 0, max: 1 });
  checkFinite(op, 'initScale', c.initScale, { min: 0 });
  checkFinite(op, 'fourierScale', c.fourierScale, { min: 0 });
  oneOf(op, 'resblockType', c.resblockType, ['biggan', 'ddpm'] as const);
  oneOf(op, 'progressive', c.progressive, ['none', 'output_skip', 'residual'] as const);
  oneOf(op, 'progressiveInput', c.progressiveInput, ['none', 'input_skip', 'residual'] as const);
  oneOf(op, 'progressiveCombine', c.progressiveCombine, ['sum', 'cat'] as const);
  oneOf(op, 'embeddingType', c.embeddingType, ['fourier', 'positional'] as const);
  getActivation(c.nonlinearity);
  if (c.scaleBySigma && c.embeddingType === 'positional') {
    checkFinite(op, 'sigmaMin', c.sigmaMin, { min: 0, minExclusive: true });
    checkFinite(op, 'sigmaMax', c.sigmaMax, { min: c.sigmaMin });
    checkInt(op, 'numScales', c.numScales, 1);
  }
  return { ...c, chMult: [...c.chMult], attnResolutions: [...c.attnResolutions], firKernel: [...c.firKernel] };
}
