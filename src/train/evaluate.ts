// SPDX-License-Identifier: MIT
// Sampling from a trained score model and scoring the samples: toy sets against their true
// density (fraction inside the cells, NLL, MMD, sliced Wasserstein), MNIST against held-out digits
// through the project's classifier (FID, KID, Inception score). Shared by the trainer's periodic
// evaluation and the `sample` / `eval` commands.
import { argError, ArgumentError, checkFunction, checkInt, checkIntArray, checkKnownKeys, checkOneOf, checkOptions, ShapeError, show } from '../errors.js';
import { checkFloatTensor, mul, full, tensor, Generator } from '../ops/index.js';
import { classify, heldOutDigits, loadMnistClassifier } from '../eval/mnist_classifier.js';
import { fid, inceptionScore, kid } from '../eval/fid.js';
import { imageGrid, scatterPlot, type Plot } from '../eval/plot.js';
import { toyMetrics, type ToyMetrics } from '../eval/toy_metrics.js';
import type { ToyDistribution } from '../data/toy.js';
import { ald } from '../sampling/ald.js';
import { ode } from '../sampling/ode.js';
import { pc } from '../sampling/pc.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ScoreFn } from '../score_types.js';
import { buildSDE } from './build.js';
import type { SamplingConfig, TrainConfig } from './config.js';

export interface SampleRequest {
  sde: TrainConfig['sde'];
  score: ScoreFn;
  shape: number[];
  sampling: SamplingConfig;
  seed: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Draws samples with the configured sampler; returns the samples and the number of score evaluations. */
export async function drawSamples(r: SampleRequest): Promise<{ x: Tensor; nfe: number }> {
  const fn = 'drawSamples';
  const q = checkOptions(fn, 'request', r);
  checkKnownKeys(fn, 'request', q, ['sde', 'score', 'shape', 'sampling', 'seed', 'onProgress', 'signal']);
  if (!q.sde || typeof q.sde !== 'object' || typeof q.sde.name !== 'string') throw argError(fn, 'sde', q.sde, "an SDE config { name: 've' | 'vp' | 'subvp' | 'doublewell', ... }");
  checkFunction(fn, 'score', q.score);
  checkIntArray(fn, 'shape', q.shape, { min: 1 });
  if (!q.sampling || typeof q.sampling !== 'object') throw argError(fn, 'sampling', q.sampling, 'a sampling config { method?, steps?, ... }');
  checkInt(fn, 'seed', q.seed, 0);
  const s = r.sampling;
  const method = s.method ?? 'pc';
  const generator = new Generator(r.seed);
  const common = { generator, onProgress: r.onProgress, signal: r.signal };
  if (method === 'pc') {
    const sde = buildSDE(r.sde, s.steps);
    const x = await pc({
      sde, score: r.score, shape: r.shape, predictor: (s.predictor ?? 'reverseDiffusion') as never,
      corrector: (s.corrector ?? 'langevin') as never, snr: s.snr ?? 0.16, ...common,
    });
    const perStep = (s.corrector ?? 'langevin') === 'none' ? 1 : 2;
    return { x, nfe: sde.N * perStep };
  }
  if (method === 'ode') {
    const sde = buildSDE(r.sde);
    const res = await ode({ sde, score: r.score, shape: r.shape, rtol: s.rtol ?? 1e-5, atol: s.atol ?? 1e-5, ...common });
    return { x: res.x, nfe: res.nfe };
  }
  if (method === 'ald') {
    // Annealed Langevin dynamics (NCSN) over the SDE's noise scale: level i is time t_i on a
    // uniform grid from T to eps, with sigma_i = sigmaBar(t_i); the score is called at t_i.
    const sde = buildSDE(r.sde);
    const n = s.steps ?? 100;
    const ts = Array.from({ length: n }, (_, i) => sde.T - (i * (sde.T - sde.samplingEps)) / Math.max(n - 1, 1));
    const sigmas = tidy(() => Array.from(sde.sigmaBar(tensor(ts, { dtype: 'float64' })).dataSync()));
    const nStepsEach = 5;
    const x = await ald({
      score: (x, _sigma, level) => tidy(() => r.score(x, full([x.shape[0]], ts[level], { dtype: x.dtype }))),
      sigmas, shape: r.shape, nStepsEach, ...common,
    });
    return { x, nfe: n * nStepsEach };
  }
  throw new ArgumentError(`sampling.method got ${JSON.stringify(method)}, expected 'pc', 'ode' or 'ald'`);
}

export interface EvalResult {
  metrics: Record<string, number>;
  plot: Plot;
}

/** Metrics and a picture of samples of a toy run. */
export async function evaluateToy(samples: Tensor, dist: ToyDistribution, seed = 12345): Promise<EvalResult> {
  checkInt('evaluateToy', 'seed', seed, 0);
  const m: ToyMetrics = toyMetrics(samples, dist, { seed });
  const metrics: Record<string, number> = { mmd2: m.mmd2, sw: m.sw };
  if (m.inside !== undefined) metrics.inside = m.inside;
  if (m.nll !== undefined) metrics.nll = m.nll;
  if (m.nllFloored !== undefined) metrics.nllFloored = m.nllFloored;
  if (m.referenceNll !== undefined) metrics.referenceNll = m.referenceNll;
  const plot = await scatterPlot({ points: samples }, { range: [-4.5, 4.5], title: `${samples.shape[0]} samples` });
  return { metrics, plot };
}

/** Classifier metrics of MNIST-like samples (in `range`) against the held-out digits, and a grid. */
export function evaluateDigits(samples: Tensor, range: '[-1,1]' | '[0,1]'): EvalResult {
  const fn = 'evaluateDigits';
  const x = checkFloatTensor(fn, 'samples', samples);
  if (x.ndim !== 4 || x.shape[1] !== 1 || x.shape[2] !== 28 || x.shape[3] !== 28 || x.shape[0] < 2)
    throw new ShapeError(`${fn}: argument 'samples' got shape ${show([...x.shape])}, expected [N, 1, 28, 28] digits with N >= 2`);
  checkOneOf(fn, 'range', range, ['[-1,1]', '[0,1]']);
  const model = loadMnistClassifier();
  try {
    const ref = heldOutDigits();
    const refImages = tidy(() => mul(tensor(ref.data, { shape: [ref.n, 1, 28, 28], dtype: 'float32' }), 1 / 255));
    const real = classify(model, refImages, '[0,1]');
    refImages.dispose();
    const gen = classify(model, samples, range);
    const k = kid(gen.features, real.features, { subsets: 10, subsetSize: Math.min(1000, samples.shape[0]) });
    const metrics = { fid: fid(gen.features, real.features), kid: k.mean, kidStd: k.std, is: inceptionScore(gen.probs), n: samples.shape[0] };
    const grid = imageGrid(samples.shape[0] > 64 ? samples.narrow(0, 0, 64) : samples, { range });
    return { metrics, plot: grid };
  } finally {
    model.dispose();
  }
}
