// SPDX-License-Identifier: MIT
// Fully connected score networks for low-dimensional data: MLP (no time input; the W5 benchmark
// net) and MLPScore, time/noise-conditioned for diffusion training on toy 2-D sets.
import { argError, checkFinite, checkInt, ShapeError, show } from '../errors.js';
import { add, div, log, reshape } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { ActivationModule, getActivation, type Activation } from '../nn/activation.js';
import { ModuleList, Sequential, type UnaryModule } from '../nn/containers.js';
import { GaussianFourierProjection, timestepEmbedding } from '../nn/embedding.js';
import type { InitOptions } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';

export interface MLPOptions extends InitOptions {
  /** Input size. */
  dim: number;
  /** Width of the hidden layers (256). */
  hidden?: number;
  /** Number of hidden layers (2): depth + 1 Linear layers in all. */
  depth?: number;
  /** Output size (dim). */
  outDim?: number;
  /** Activation between layers ('silu'). */
  activation?: string;
  /** 'torch' (default) or 'ddpm' initialisation of the Linear layers. */
  init?: 'torch' | 'ddpm';
}

/**
 * Linear(dim, hidden) - act - [Linear(hidden, hidden) - act] x (depth - 1) - Linear(hidden, outDim),
 * as torch.nn.Sequential (state dict keys '0.weight', '2.weight', ...). With { dim: D, hidden: 256,
 * depth: 2 } it is exactly the W5 benchmark's Linear(D,256)-SiLU-Linear(256,256)-SiLU-Linear(256,D).
 */
export class MLP extends Sequential {
  readonly dim: number;
  readonly outDim: number;

  constructor(o: MLPOptions) {
    const dim = checkInt('MLP', 'dim', o?.dim, 1);
    const hidden = checkInt('MLP', 'hidden', o.hidden ?? 256, 1);
    const depth = checkInt('MLP', 'depth', o.depth ?? 2, 1);
    const outDim = checkInt('MLP', 'outDim', o.outDim ?? dim, 1);
    const lo = { dtype: o.dtype, generator: o.generator, init: o.init };
    const act = getActivation(o.activation ?? 'silu');
    const layers: UnaryModule[] = [];
    for (let i = 0; i < depth; i++) layers.push(new Linear(i === 0 ? dim : hidden, hidden, lo), new ActivationModule(act));
    layers.push(new Linear(hidden, outDim, lo));
    super(layers);
    this.dim = dim;
    this.outDim = outDim;
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.dim) throw new ShapeError(`MLP.forward: x must be [..., ${this.dim}], got ${show([...x.shape])}`);
    return tidy(() => super.forward(x));
  }
}

export type TimeEmbedding = 'sinusoidal' | 'fourier' | 'none';

export interface MLPScoreOptions extends InitOptions {
  /** Data dimension D: x is [B, D], the output is [B, D]. */
  dim: number;
  /** Hidden width (128). */
  hidden?: number;
  /** Number of hidden layers (3). */
  layers?: number;
  /** Activation ('silu'). */
  activation?: string;
  /**
   * How the time / noise label t enters: 'sinusoidal' (DDPM positional embedding of t as given,
   * e.g. 999 t for VP), 'fourier' (Gaussian Fourier features of log t: t must be sigma > 0, as
   * NCSN++), or 'none' (a time-independent score s(x)).
   */
  embedding?: TimeEmbedding;
  /** Size of the raw embedding (hidden); Fourier uses embeddingDim / 2 frequencies. */
  embeddingDim?: number;
  /** Std of the Fourier frequencies (16, as score_sde). */
  fourierScale?: number;
  /** Divide the output by t (noise-conditional NCSN parameterisation; t must be sigma). */
  scaleBySigma?: boolean;
  init?: 'torch' | 'ddpm';
}

/**
 * A time-conditioned MLP score network s(x, t). The label t is embedded, mapped by
 * Linear-act-Linear to `hidden` features (as the U-Nets do), and added, through a Linear of its
 * own, to every hidden layer before its activation: h_{i+1} = act(W_i h_i + b_i + P_i act(temb)).
 */
export class MLPScore extends Module {
  readonly dim: number;
  readonly hidden: number;
  readonly embedding: TimeEmbedding;
  readonly embeddingDim: number;
  readonly scaleBySigma: boolean;
  readonly act: Activation;
  readonly layers: ModuleList<Linear>;
  readonly out: Linear;
  readonly fourier: GaussianFourierProjection | null = null;
  readonly temb: Sequential | null = null;
  readonly tembProj: ModuleList<Linear> | null = null;

  constructor(o: MLPScoreOptions) {
    super();
    this.dim = checkInt('MLPScore', 'dim', o?.dim, 1);
    this.hidden = checkInt('MLPScore', 'hidden', o.hidden ?? 128, 1);
    const L = checkInt('MLPScore', 'layers', o.layers ?? 3, 1);
    this.act = getActivation(o.activation ?? 'silu');
    this.embedding = o.embedding ?? 'sinusoidal';
    if (!['sinusoidal', 'fourier', 'none'].includes(this.embedding)) throw argError('MLPScore', 'embedding', o.embedding, "'sinusoidal', 'fourier' or 'none'");
    this.embeddingDim = checkInt('MLPScore', 'embeddingDim', o.embeddingDim ?? this.hidden, 4);
    if (this.embedding === 'fourier' && this.embeddingDim % 2) throw argError('MLPScore', 'embeddingDim', o.embeddingDim, 'an even size for Fourier features');
    this.scaleBySigma = !!o.scaleBySigma;
    const lo = { dtype: o.dtype, generator: o.generator, init: o.init };
    this.layers = this.module('layers', new ModuleList<Linear>());
    for (let i = 0; i < L; i++) this.layers.append(new Linear(i === 0 ? this.dim : this.hidden, this.hidden, lo));
    this.out = this.module('out', new Linear(this.hidden, this.dim, lo));
    if (this.embedding !== 'none') {
      if (this.embedding === 'fourier') {
        const scale = checkFinite('MLPScore', 'fourierScale', o.fourierScale ?? 16, { min: 0 });
        this.fourier = this.module('fourier', new GaussianFourierProjection({ embeddingSize: this.embeddingDim / 2, scale, dtype: o.dtype, generator: o.generator }));
      }
      this.temb = this.module('temb', new Sequential([new Linear(this.embeddingDim, this.hidden, lo), new ActivationModule(this.act), new Linear(this.hidden, this.hidden, lo)]));
      this.tembProj = this.module('temb_proj', new ModuleList<Linear>());
      for (let i = 0; i < L; i++) this.tembProj.append(new Linear(this.hidden, this.hidden, lo));
    }
  }

  /** The raw embedding [B, embeddingDim] of the labels t [B]. */
  embed(t: Tensor): Tensor {
    if (this.fourier) return tidy(() => this.fourier!.forward(log(t)));
    return timestepEmbedding(t, this.embeddingDim);
  }

  /** x [B, dim], t [B] (ignored when embedding is 'none' and scaleBySigma is off). */
  forward(x: Tensor, t?: Tensor): Tensor {
    if (x.ndim !== 2 || x.shape[1] !== this.dim) throw new ShapeError(`MLPScore.forward: x must be [B, ${this.dim}], got ${show([...x.shape])}`);
    const needT = this.embedding !== 'none' || this.scaleBySigma;
    if (needT && (!t || t.ndim !== 1 || t.shape[0] !== x.shape[0]))
      throw new ShapeError(`MLPScore.forward: t must be [B] = [${x.shape[0]}], got ${t ? show([...t.shape]) : 'nothing'}`);
    return tidy(() => {
      const tact = this.temb ? this.act(this.temb.forward(this.embed(t!))) : null;
      let h = x;
      for (let i = 0; i < this.layers.length; i++) {
        let z = this.layers.at(i).forward(h);
        if (tact) z = add(z, this.tembProj!.at(i).forward(tact));
        h = this.act(z);
      }
      const y = this.out.forward(h);
      return this.scaleBySigma ? div(y, reshape(t!, [-1, 1])) : y;
    });
  }
}
