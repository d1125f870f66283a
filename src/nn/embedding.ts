// SPDX-License-Identifier: MIT
// Noise-level / time embeddings: the sinusoidal embedding of DDPM (score_sde
// get_timestep_embedding) and the Gaussian Fourier features of NCSN++.
import { checkFloatTensor, mul, cast, tensor, cat, pad, randn, type Generator, cos, sin, reshape } from '../ops/index.js';
import { checkFinite, checkInt, checkOptions, ShapeError, show } from '../errors.js';
import { checkInitOptions } from './init.js';
import { tidy } from '../tensor/scope.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

function checkVector(op: string, t: Tensor): void {
  checkFloatTensor(op, 'x', t);
  if (t.ndim !== 1) throw new ShapeError(`${op}: expected a 1-D tensor of per-sample values [B], got shape ${show([...t.shape])}`);
}

/**
 * Sinusoidal embedding [B, dim] of t [B]: [sin(t f_k), cos(t f_k)] with
 * f_k = exp(-ln(maxPositions) k / (half - 1)), k < half = floor(dim / 2); zero-padded when dim is
 * odd. Identical to score_sde's get_timestep_embedding and to the W4 peer's `sinusoidal`.
 */
export function timestepEmbedding(t: Tensor, dim: number, maxPositions = 10000): Tensor {
  checkVector('timestepEmbedding', t);
  checkInt('timestepEmbedding', 'dim', dim, 4);
  checkFinite('timestepEmbedding', 'maxPositions', maxPositions, { min: 1, minExclusive: true });
  const half = Math.floor(dim / 2);
  const step = Math.log(maxPositions) / (half - 1);
  // float32 like the reference (exp of a float32 argument)
  const f = new Float64Array(half);
  for (let k = 0; k < half; k++) f[k] = Math.fround(Math.exp(Math.fround(k * -Math.fround(step))));
  return tidy(() => {
    const dtype = t.dtype === 'float64' ? 'float64' : 'float32';
    const freqs = tensor(f, { shape: [1, half], dtype, device: t.device });
    const tf = t.dtype === dtype ? t : cast(t, dtype);
    const a = mul(reshape(tf, [-1, 1]), freqs);
    const e = cat([sin(a), cos(a)], 1);
    return dim % 2 ? pad(e, [0, 1]) : e;
  });
}

export interface FourierOptions {
  /** Half the output size: the output has 2 * embeddingSize features. */
  embeddingSize?: number;
  /** Std of the random frequencies (score_sde uses 16 for NCSN++ on CIFAR-10). */
  scale?: number;
  dtype?: DType;
  generator?: Generator;
}

/**
 * Gaussian Fourier features (Tancik et al. 2020) of x [B]: [sin(2 pi x W), cos(2 pi x W)],
 * W ~ N(0, scale^2) fixed at construction. W is a buffer: saved in the state dict, never trained
 * (the reference's nn.Parameter with requires_grad=False).
 */
export class GaussianFourierProjection extends Module {
  readonly W: Tensor;
  readonly embeddingSize: number;

  constructor(o: FourierOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    checkInitOptions('GaussianFourierProjection', o);
    this.embeddingSize = checkInt('GaussianFourierProjection', 'embeddingSize', o.embeddingSize ?? 256, 1);
    const scale = checkFinite('GaussianFourierProjection', 'scale', o.scale ?? 1, { min: 0 });
    this.W = this.buffer('W', randn([this.embeddingSize], { std: scale, dtype: o.dtype, generator: o.generator }));
  }

  forward(x: Tensor): Tensor {
    checkVector('GaussianFourierProjection', x);
    return tidy(() => {
      const proj = mul(mul(reshape(x, [-1, 1]), reshape(this.W, [1, -1])), 2 * Math.PI);
      return cat([sin(proj), cos(proj)], 1);
    });
  }
}
