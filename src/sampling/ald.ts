// SPDX-License-Identifier: MIT
// Annealed Langevin dynamics for noise-conditional score models (NCSN, Song & Ermon 2019; NCSNv2
// 2020): for each noise level sigma_i (decreasing, usually geometric), nStepsEach steps of
//     x <- x + a_i s(x, sigma_i) + sqrt(2 a_i) z,   a_i = stepLr (sigma_i / sigma_L)^2,
// then (denoise, NCSNv2) x <- x + sigma_L^2 s(x, sigma_L).
import { argError, checkFinite, checkInt } from '../errors.js';
import { add, mul, clone, randn } from '../ops/index.js';
import type { DeviceLike } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkKeys, checkScore, timeLike } from '../sde/util.js';
import { checkInit, checkSamplerOptions, noiseLike, release, runStep, SAMPLER_KEYS, throwIfAborted, yieldToEventLoop, type SamplerOptions } from './common.js';

/** A noise-conditional score s(x, sigma): sigma is a [B] tensor, level its index in the sigmas. */
export type NoiseConditionalScore = (x: Tensor, sigma: Tensor, level: number) => Tensor;

export interface ALDOptions extends SamplerOptions {
  score: NoiseConditionalScore;
  /** Noise levels, decreasing (see geometricSigmas). */
  sigmas: readonly number[];
  /** Shape [B, ...] of the batch (or give `x`). */
  shape?: number[];
  /** Initial state (default sigma_1 N(0, I)); not modified. */
  x?: Tensor;
  /** Base step size (default 2e-5, NCSN's), scaled by (sigma_i / sigma_L)^2. */
  stepLr?: number;
  /** Langevin steps per level (default 100). */
  nStepsEach?: number;
  /** Final denoising step x + sigma_L^2 s(x, sigma_L) (default true, as NCSNv2). */
  denoise?: boolean;
  /** Initial-state dtype and device when `x` is not given (default float32 on the CPU). */
  dtype?: 'float32' | 'float64';
  device?: DeviceLike;
}

/** n noise levels from sigmaBegin down to sigmaEnd, evenly spaced in log (NCSN's schedule). */
export function geometricSigmas(sigmaBegin: number, sigmaEnd: number, n: number): number[] {
  const op = 'geometricSigmas';
  checkFinite(op, 'sigmaBegin', sigmaBegin, { min: 0, minExclusive: true });
  checkFinite(op, 'sigmaEnd', sigmaEnd, { min: 0, minExclusive: true });
  checkInt(op, 'n', n, 1, 1e7);
  if (n === 1) return [sigmaBegin];
  const a = Math.log(sigmaBegin), b = Math.log(sigmaEnd);
  return Array.from({ length: n }, (_, i) => Math.exp(a + ((b - a) * i) / (n - 1)));
}

const KEYS = ['score', 'sigmas', 'shape', 'x', 'stepLr', 'nStepsEach', 'denoise', 'dtype', 'device', ...SAMPLER_KEYS];

export async function ald(opts: ALDOptions): Promise<Tensor> {
  const op = 'ald';
  checkKeys(op, opts, KEYS);
  checkSamplerOptions(op, opts);
  if (typeof opts.score !== 'function') throw argError(op, 'score', opts.score, 'a function (x, sigma, level) => Tensor');
  const sigmas = opts.sigmas;
  if (!Array.isArray(sigmas) || sigmas.length === 0 || sigmas.some((s) => typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)))
    throw argError(op, 'sigmas', sigmas, 'a non-empty array of positive noise levels');
  for (let i = 1; i < sigmas.length; i++)
    if (!(sigmas[i] <= sigmas[i - 1])) throw argError(op, 'sigmas', sigmas, 'noise levels in decreasing order');
  const stepLr = checkFinite(op, 'stepLr', opts.stepLr ?? 2e-5, { min: 0, minExclusive: true });
  const nSteps = checkInt(op, 'nStepsEach', opts.nStepsEach ?? 100, 1, 1e7);
  const denoise = opts.denoise ?? true;
  const { generator, signal, onProgress } = opts;
  const L = sigmas.length, last = sigmas[L - 1];
  const score = (x: Tensor, level: number) => checkScore(op, opts.score(x, timeLike(x, sigmas[level]), level), x);
  throwIfAborted(signal);

  let x: Tensor;
  if (opts.x !== undefined) {
    const x0 = checkInit(op, 'x', opts.x);
    x = runStep(() => clone(x0));
  } else {
    if (!opts.shape) throw argError(op, 'shape', opts.shape, "a shape [B, ...] (or an initial state 'x')");
    const shape = opts.shape;
    x = runStep(() => randn(shape, { generator, dtype: opts.dtype, device: opts.device, std: sigmas[0] }));
  }
  const total = L * nSteps;
  try {
    for (let i = 0; i < L; i++) {
      const a = stepLr * (sigmas[i] / last) ** 2;
      for (let s = 0; s < nSteps; s++) {
        throwIfAborted(signal);
        const cur = x;
        const next = runStep(() => add(add(cur, mul(score(cur, i), a)), mul(noiseLike(cur, generator), Math.sqrt(2 * a))));
        release([cur], [next]);
        x = next;
        onProgress?.(i * nSteps + s + 1, total);
        await yieldToEventLoop();
      }
    }
    if (denoise) {
      const cur = x;
      const next = runStep(() => add(cur, mul(score(cur, L - 1), last * last)));
      release([cur], [next]);
      x = next;
    }
  } catch (e) {
    x.dispose();
    throw e;
  }
  return x;
}
