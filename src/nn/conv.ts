// SPDX-License-Identifier: MIT
// 2-D convolution layers and the helpers of the score_sde reference: ddpm_conv{1x1,3x3} (DDPM
// variance-scaling init, zero bias) and ncsn_conv{1x1,3x3} (torch init scaled by init_scale).
import { argError, checkFinite, checkInt } from '../errors.js';
import { conv2d, mul, zeros, type Conv2dEpilogue } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultInit, torchDefault, type InitOptions } from './init.js';
import { Module } from './module.js';

export interface Conv2dLayerOptions extends InitOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
  /**
   * 'torch' (default): U(+-1/sqrt(fan_in)) for weight and bias (torch.nn.Conv2d);
   * 'ddpm': variance scaling fan_avg uniform with scale initScale, zero bias (DDPM / score_sde);
   * 'zeros': all zeros (e.g. a residual branch that starts as identity).
   */
  init?: 'torch' | 'ddpm' | 'zeros';
  /** Scale of the init: the variance-scaling scale for 'ddpm' (0 means 1e-10 as the reference), a multiplier for 'torch'. */
  initScale?: number;
}

/** y = conv2d(x, weight) + bias, weight [out, in/groups, kh, kw]. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  private readonly opts: { stride: number | [number, number]; padding: number | [number, number]; dilation: number | [number, number]; groups: number };

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], o: Conv2dLayerOptions = {}) {
    super();
    checkInt('Conv2d', 'inChannels', inChannels, 1);
    checkInt('Conv2d', 'outChannels', outChannels, 1);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    checkInt('Conv2d', 'kernelSize', kh, 1);
    checkInt('Conv2d', 'kernelSize', kw, 1);
    const groups = checkInt('Conv2d', 'groups', o.groups ?? 1, 1);
    if (inChannels % groups || outChannels % groups)
      throw argError('Conv2d', 'groups', groups, `a divisor of inChannels (${inChannels}) and outChannels (${outChannels})`);
    this.kernelSize = [kh, kw];
    this.opts = { stride: o.stride ?? 1, padding: o.padding ?? 0, dilation: o.dilation ?? 1, groups };
    const shape = [outChannels, inChannels / groups, kh, kw];
    const init = o.init ?? 'torch';
    const scale = checkFinite('Conv2d', 'initScale', o.initScale ?? 1, { min: 0 });
    const fanIn = (inChannels / groups) * kh * kw;
    let w: Tensor, b: Tensor | null = null;
    if (init === 'ddpm') {
      w = defaultInit(shape, scale, o);
      if (o.bias !== false) b = zeros([outChannels], { dtype: o.dtype });
    } else if (init === 'zeros') {
      w = zeros(shape, { dtype: o.dtype });
      if (o.bias !== false) b = zeros([outChannels], { dtype: o.dtype });
    } else if (init === 'torch') {
      // ncsn_conv: the torch init times init_scale (0 replaced by 1e-10 as in the reference)
      const s = scale === 0 ? 1e-10 : scale;
      w = scaled(torchDefault(shape, fanIn, o), s);
      if (o.bias !== false) b = scaled(torchDefault([outChannels], fanIn, o), s);
    } else {
      throw argError('Conv2d', 'init', init, "'torch', 'ddpm' or 'zeros'");
    }
    this.weight = this.param('weight', w);
    this.bias = b ? this.param('bias', b) : null;
  }

  /** `epilogue` adds a per-sample channel term and/or a residual inside the kernel (Conv2dEpilogue). */
  forward(x: Tensor, epilogue?: Conv2dEpilogue): Tensor {
    return conv2d(x, this.weight, this.bias, epilogue ? { ...this.opts, ...epilogue } : this.opts);
  }
}

function scaled(t: Tensor, s: number): Tensor {
  if (s === 1) return t;
  const r = mul(t, s);
  t.dispose();
  return r;
}

type ConvHelperOptions = Omit<Conv2dLayerOptions, 'init' | 'groups'>;

/** score_sde ddpm_conv3x3: 3x3, padding 1, DDPM init (scale initScale), zero bias. */
export function ddpmConv3x3(inCh: number, outCh: number, o: ConvHelperOptions = {}): Conv2d {
  return new Conv2d(inCh, outCh, 3, { padding: 1, ...o, init: 'ddpm' });
}

/** score_sde ddpm_conv1x1: 1x1, DDPM init (scale initScale), zero bias. */
export function ddpmConv1x1(inCh: number, outCh: number, o: ConvHelperOptions = {}): Conv2d {
  return new Conv2d(inCh, outCh, 1, { padding: 0, ...o, init: 'ddpm' });
}

/** NCSN ncsn_conv3x3: 3x3, padding 1, torch init times initScale. */
export function ncsnConv3x3(inCh: number, outCh: number, o: ConvHelperOptions = {}): Conv2d {
  return new Conv2d(inCh, outCh, 3, { padding: 1, ...o, init: 'torch' });
}

/** NCSN ncsn_conv1x1: 1x1, torch init times initScale. */
export function ncsnConv1x1(inCh: number, outCh: number, o: ConvHelperOptions = {}): Conv2d {
  return new Conv2d(inCh, outCh, 1, { padding: 0, ...o, init: 'torch' });
}

/** Plain torch-initialised 3x3 (padding 1) and 1x1 convolutions. */
export const conv3x3 = (inCh: number, outCh: number, o: Omit<Conv2dLayerOptions, 'padding'> = {}) => new Conv2d(inCh, outCh, 3, { ...o, padding: 1 });
export const conv1x1 = (inCh: number, outCh: number, o: Omit<Conv2dLayerOptions, 'padding'> = {}) => new Conv2d(inCh, outCh, 1, { ...o, padding: 0 });
