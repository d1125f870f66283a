// SPDX-License-Identifier: MIT
// Predictor-corrector sampler (Song et al. 2021, score_sde `get_pc_sampler`): from a prior sample
// at T, for N times t_i = linspace(T, eps, N): corrector (nStepsEach Langevin steps at t_i) then
// predictor (one reverse-time step). With denoise, the result is the last predictor mean.
import { argError, checkFinite, checkInt } from '../errors.js';
import { clone } from '../ops/index.js';
import type { DeviceLike } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SDE } from '../sde/sde.js';
import { checkKeys, timeLike } from '../sde/util.js';
import {
  checkInit, checkSamplerOptions, release, runStep, SAMPLER_KEYS, scoreFnOf, throwIfAborted, yieldToEventLoop,
  type SamplerOptions, type ScoreModel,
} from './common.js';
import { resolveCorrector, type Corrector, type CorrectorContext, type CorrectorName } from './correctors.js';
import { resolvePredictor, type Predictor, type PredictorName } from './predictors.js';

export interface PCOptions extends SamplerOptions {
  sde: SDE;
  /** The score s(x, t): any function, or a module with forward(x, t). */
  score: ScoreModel;
  /** Shape of the batch to draw, [B, ...] (or give `x`). */
  shape?: number[];
  /** Initial state at time T (default: a prior sample of `shape`); not modified. */
  x?: Tensor;
  /** Default 'reverseDiffusion'; also 'eulerMaruyama', 'ancestral', 'none', or a function. */
  predictor?: PredictorName | Predictor;
  /** Default 'langevin'; also 'ald', 'none', or a function. */
  corrector?: CorrectorName | Corrector;
  /** Corrector signal-to-noise ratio (default 0.16). */
  snr?: number;
  /** Corrector steps per time step (default 1). */
  nStepsEach?: number;
  /** Run the predictor on the probability-flow ODE instead of the reverse SDE (default false). */
  probabilityFlow?: boolean;
  /** Return the noise-free mean of the last step (default true). */
  denoise?: boolean;
  /** Last time (default sde.samplingEps). */
  eps?: number;
  /** Prior dtype and device when `x` is not given (default float32 on the CPU). */
  dtype?: 'float32' | 'float64';
  device?: DeviceLike;
}

const KEYS = ['sde', 'score', 'shape', 'x', 'predictor', 'corrector', 'snr', 'nStepsEach', 'probabilityFlow', 'denoise', 'eps', 'dtype', 'device', ...SAMPLER_KEYS];

/** Draws samples with a predictor-corrector sampler; N = sde.N steps. Returns a tensor the caller owns. */
export async function pc(opts: PCOptions): Promise<Tensor> {
  const op = 'pc';
  checkKeys(op, opts, KEYS);
  checkSamplerOptions(op, opts);
  const { sde, generator, onProgress, signal } = opts;
  if (!sde || typeof sde.sde !== 'function') throw argError(op, 'sde', sde, 'an SDE');
  const score = scoreFnOf(op, opts.score);
  const probabilityFlow = opts.probabilityFlow ?? false;
  const predictor = resolvePredictor(op, opts.predictor ?? 'reverseDiffusion', sde, probabilityFlow);
  const corrector = resolveCorrector(op, opts.corrector ?? 'langevin');
  const snr = checkFinite(op, 'snr', opts.snr ?? 0.16, { min: 0 });
  const nSteps = checkInt(op, 'nStepsEach', opts.nStepsEach ?? 1, 1, 1e6);
  const eps = checkFinite(op, 'eps', opts.eps ?? sde.samplingEps, { min: 0, max: sde.T });
  const denoise = opts.denoise ?? true;
  const ctx: CorrectorContext = { sde, rsde: sde.reverse(score, probabilityFlow), score, generator, snr, nSteps };
  const N = sde.N;
  throwIfAborted(signal);

  let x = initialState(op, sde, opts);
  let xMean = x;
  try {
    for (let i = 0; i < N; i++) {
      throwIfAborted(signal);
      const t = N === 1 ? sde.T : sde.T + (i * (eps - sde.T)) / (N - 1);
      const next = runStep(() => {
        const vt = timeLike(x, t);
        const c = corrector(x, vt, ctx);
        return predictor(c.x, vt, ctx);
      });
      release([x, xMean], [next.x, next.xMean]);
      ({ x, xMean } = next);
      onProgress?.(i + 1, N);
      await yieldToEventLoop();
    }
  } catch (e) {
    release([x, xMean], []);
    throw e;
  }
  const out = denoise ? xMean : x;
  release([x, xMean], [out]);
  return out;
}

/** The caller's initial state (cloned: the sampler owns and frees its states) or a prior sample. */
export function initialState(op: string, sde: SDE, opts: { x?: Tensor; shape?: number[]; dtype?: 'float32' | 'float64'; device?: DeviceLike; generator?: PCOptions['generator'] }): Tensor {
  if (opts.x !== undefined) {
    const x0 = checkInit(op, 'x', opts.x);
    if (opts.shape && (opts.shape.length !== x0.ndim || opts.shape.some((d, i) => d !== x0.shape[i])))
      throw argError(op, 'shape', opts.shape, `the shape of x [${x0.shape.join(', ')}] (or leave it out)`);
    return runStep(() => clone(x0));
  }
  if (!opts.shape) throw argError(op, 'shape', opts.shape, "a shape [B, ...] (or an initial state 'x')");
  return runStep(() => sde.priorSample(opts.shape!, { generator: opts.generator, dtype: opts.dtype, device: opts.device }));
}
