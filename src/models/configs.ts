// SPDX-License-Identifier: MIT
// Named model configurations and the registry createModel(name | config). The CIFAR-10 ones are the
// score_sde configs (configs/ve/cifar10_ncsnpp_continuous.py, configs/vp/cifar10_ddpmpp_continuous.py,
// configs/subvp/cifar10_ddpmpp_continuous.py and their deep variants); the small ones train on a
// 2-core CPU. Every config states its parameter count; test/models/configs.test.ts checks each one
// against a count derived by hand from the reference construction code.
import { argError, checkOptions } from '../errors.js';
import type { Generator } from '../ops/index.js';
import type { DType } from '../tensor/dtype.js';
import type { Module } from '../nn/module.js';
import { MLP, MLPScore, type MLPOptions, type MLPScoreOptions } from './mlp.js';
import { NCSNpp, type NCSNppConfig } from './ncsnpp.js';
import { NCSNv2, type NCSNv2Config } from './ncsnv2.js';
import type { ScoreNetwork } from '../score_types.js';
import { SmallUNet, type SmallUNetOptions } from './small_unet.js';

type NCSNppInput = Partial<NCSNppConfig> & Pick<NCSNppConfig, 'imageSize' | 'numChannels'>;
type NCSNv2Input = Partial<NCSNv2Config> & Pick<NCSNv2Config, 'imageSize' | 'numChannels'>;

interface Common {
  /** Registry name. */
  name?: string;
  /** The SDE the configuration was made for (the score parameterisation follows from it). */
  sde?: 've' | 'vp' | 'subvp';
  /** Trainable parameters (numParameters()). */
  params?: number;
  /** Where the architecture and the count come from. */
  source?: string;
}

export type ModelConfig =
  | (Common & { model: 'ncsnpp'; options: NCSNppInput })
  | (Common & { model: 'ncsnv2'; options: NCSNv2Input })
  | (Common & { model: 'small_unet'; options: SmallUNetOptions })
  | (Common & { model: 'mlp_score'; options: MLPScoreOptions })
  | (Common & { model: 'mlp'; options: MLPOptions });

/** DDPM++ cont. (score_sde configs/vp/cifar10_ddpmpp_continuous.py): positional time labels, no FIR, data in [-1, 1]. */
const DDPMPP_CIFAR10: NCSNppInput = {
  imageSize: 32, numChannels: 3, centered: true, nf: 128, chMult: [1, 2, 2, 2], numResBlocks: 4, attnResolutions: [16],
  dropout: 0.1, resampWithConv: true, conditional: true, fir: false, firKernel: [1, 3, 3, 1], skipRescale: true,
  resblockType: 'biggan', progressive: 'none', progressiveInput: 'none', progressiveCombine: 'sum',
  embeddingType: 'positional', fourierScale: 16, initScale: 0, scaleBySigma: false, nonlinearity: 'swish',
};

/** NCSN++ cont. (score_sde configs/ve/cifar10_ncsnpp_continuous.py): Fourier sigma embedding, FIR, residual input pyramid, data in [0, 1]. */
const NCSNPP_CIFAR10: NCSNppInput = {
  ...DDPMPP_CIFAR10, centered: false, fir: true, progressiveInput: 'residual', embeddingType: 'fourier', scaleBySigma: true,
};

const SRC = 'score_sde (Song et al. 2021) ';

export const MODEL_CONFIGS: Readonly<Record<string, ModelConfig>> = {
  // 62,758,915 counting the 128 fixed Fourier frequencies, which torch's model.parameters() lists
  'cifar10-ncsnpp-ve': { model: 'ncsnpp', sde: 've', params: 62_758_787, source: SRC + 'configs/ve/cifar10_ncsnpp_continuous.py', options: NCSNPP_CIFAR10 },
  'cifar10-ncsnpp-deep-ve': { model: 'ncsnpp', sde: 've', params: 107_586_947, source: SRC + 'configs/ve/cifar10_ncsnpp_deep_continuous.py', options: { ...NCSNPP_CIFAR10, numResBlocks: 8 } },
  'cifar10-ddpmpp-vp': { model: 'ncsnpp', sde: 'vp', params: 61_804_419, source: SRC + 'configs/vp/cifar10_ddpmpp_continuous.py', options: DDPMPP_CIFAR10 },
  'cifar10-ddpmpp-deep-vp': { model: 'ncsnpp', sde: 'vp', params: 106_632_579, source: SRC + 'configs/vp/cifar10_ddpmpp_deep_continuous.py', options: { ...DDPMPP_CIFAR10, numResBlocks: 8 } },
  'cifar10-ddpmpp-subvp': { model: 'ncsnpp', sde: 'subvp', params: 61_804_419, source: SRC + 'configs/subvp/cifar10_ddpmpp_continuous.py', options: DDPMPP_CIFAR10 },
  'cifar10-ddpmpp-deep-subvp': { model: 'ncsnpp', sde: 'subvp', params: 106_632_579, source: SRC + 'configs/subvp/cifar10_ddpmpp_deep_continuous.py', options: { ...DDPMPP_CIFAR10, numResBlocks: 8 } },
  'cifar10-ncsnv2': {
    model: 'ncsnv2', sde: 've', params: 29_694_083, source: SRC + 'configs/ncsnv2/cifar10.py (NCSNv2, 232 noise levels from 50 to 0.01)',
    options: { imageSize: 32, numChannels: 3, nf: 128, sigmaMax: 50, sigmaMin: 0.01, numScales: 232, centered: false },
  },

  // Small CPU configs for 28x28 / 32x32 single-channel data (MNIST-like), data in [-1, 1].
  // NCSN++-style for VE (Fourier sigma labels, output / sigma), DDPM++-style for VP / subVP.
  'mnist-small': {
    model: 'ncsnpp', sde: 've', params: 1_100_129, source: 'lcss: a 3-level NCSN++ for 28x28x1 on a CPU',
    options: {
      imageSize: 28, numChannels: 1, centered: true, nf: 32, chMult: [1, 2, 2], numResBlocks: 1, attnResolutions: [7], dropout: 0,
      fir: false, resblockType: 'ddpm', progressiveInput: 'none', embeddingType: 'fourier', scaleBySigma: true,
    },
  },
  'mnist-small-vp': {
    model: 'ncsnpp', sde: 'vp', params: 1_096_033, source: 'lcss: mnist-small with positional 999t labels for VP / subVP',
    options: {
      imageSize: 28, numChannels: 1, centered: true, nf: 32, chMult: [1, 2, 2], numResBlocks: 1, attnResolutions: [7], dropout: 0,
      fir: false, resblockType: 'ddpm', progressiveInput: 'none', embeddingType: 'positional', scaleBySigma: false,
    },
  },
  'mnist32-small': {
    model: 'ncsnpp', sde: 've', params: 1_100_129, source: 'lcss: mnist-small for 32x32x1 (attention at 8x8)',
    options: {
      imageSize: 32, numChannels: 1, centered: true, nf: 32, chMult: [1, 2, 2], numResBlocks: 1, attnResolutions: [8], dropout: 0,
      fir: false, resblockType: 'ddpm', progressiveInput: 'none', embeddingType: 'fourier', scaleBySigma: true,
    },
  },
  'mnist32-small-fir': {
    model: 'ncsnpp', sde: 've', params: 1_282_305, source: 'lcss: a small NCSN++ with every NCSN++ feature (BigGAN blocks, FIR, residual input pyramid) for 32x32x1',
    options: {
      imageSize: 32, numChannels: 1, centered: true, nf: 32, chMult: [1, 2, 2], numResBlocks: 1, attnResolutions: [8], dropout: 0,
      fir: true, resblockType: 'biggan', progressiveInput: 'residual', embeddingType: 'fourier', scaleBySigma: true,
    },
  },
  'mnist-ncsnv2': {
    model: 'ncsnv2', sde: 've', params: 1_858_977, source: 'lcss: NCSNv2 with nf 32 for 28x28x1',
    options: { imageSize: 28, numChannels: 1, nf: 32, centered: true, sigmaMax: 50, sigmaMin: 0.01, numScales: 232 },
  },
  // The W4 benchmark model (the PyTorch peer's ScoreUNet): VE, input sigma, output / sigma.
  'w4-unet': { model: 'small_unet', sde: 've', params: 1_623_169, source: 'the PyTorch peer ScoreUNet (W4)', options: {} },

  // Toy 2-D score networks.
  'toy-mlp': { model: 'mlp_score', sde: 'vp', params: 116_226, source: 'lcss: MLPScore, sinusoidal labels', options: { dim: 2, hidden: 128, layers: 3, embedding: 'sinusoidal' } },
  'toy-mlp-ve': {
    model: 'mlp_score', sde: 've', params: 116_226, source: 'lcss: MLPScore, Fourier features of log sigma',
    options: { dim: 2, hidden: 128, layers: 3, embedding: 'fourier', fourierScale: 16 },
  },
};

export interface CreateModelOptions {
  generator?: Generator;
  dtype?: DType;
  /** Draws of dropout masks (NCSN++ configs). */
  dropoutGenerator?: Generator;
}

/** The config registered as `name` (with its name filled in); throws listing the known names. */
export function getModelConfig(name: string): ModelConfig {
  if (typeof name !== 'string') throw argError('getModelConfig', 'name', name, `one of ${Object.keys(MODEL_CONFIGS).join(', ')}`);
  const c = Object.prototype.hasOwnProperty.call(MODEL_CONFIGS, name) ? MODEL_CONFIGS[name] : undefined;
  if (!c) throw argError('getModelConfig', 'name', name, `one of ${Object.keys(MODEL_CONFIGS).join(', ')}`);
  return { ...c, name };
}

/** Builds a model from a registry name or a config. MLP configs give a net with forward(x) only. */
export function createModel(config: string | ModelConfig, options: CreateModelOptions = {}): (Module & ScoreNetwork) | MLP {
  const o = checkOptions('createModel', 'options', options);
  const c = typeof config === 'string' ? getModelConfig(config) : checkOptions('createModel', 'config', config) as ModelConfig;
  const init = { generator: o.generator, dtype: o.dtype };
  switch (c?.model) {
    case 'ncsnpp':
      return new NCSNpp(c.options, { ...init, dropoutGenerator: o.dropoutGenerator });
    case 'ncsnv2':
      return new NCSNv2(c.options, init);
    case 'small_unet':
      return new SmallUNet({ ...c.options, ...init });
    case 'mlp_score':
      return new MLPScore({ ...c.options, ...init }) as Module & ScoreNetwork;
    case 'mlp':
      return new MLP({ ...c.options, ...init });
    default:
      throw argError('createModel', 'config.model', (c as { model?: unknown })?.model, "'ncsnpp', 'ncsnv2', 'small_unet', 'mlp_score' or 'mlp'");
  }
}
