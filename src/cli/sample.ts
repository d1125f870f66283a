// SPDX-License-Identifier: MIT
import { atomicWriteFile } from '../io/atomic.js';
import { ArgumentError } from '../errors.js';
import { imageGrid, scatterPlot } from '../eval/plot.js';
import { noGrad } from '../autograd/mode.js';
import { copy_ } from '../ops/index.js';
import { buildScoreModel, modelConfigOf } from '../train/build.js';
import { latestCheckpoint, loadCheckpoint } from '../train/checkpoint.js';
import { validateConfig, type TrainConfig } from '../train/config.js';
import { drawSamples } from '../train/evaluate.js';
import { writeSafetensors } from '../io/safetensors.js';
import { Progress } from '../train/progress.js';
import type { Tensor } from '../tensor/tensor.js';
import { parseArgs, type CommandSpec } from './args.js';
import { defaultDevice, withDefaultDevice } from '../tensor/device.js';
import { itemShape, modelFromCheckpoint } from '../train/from_checkpoint.js';

/** Overrides of the run's sampler, shared by `sample` and `eval`. */
export const samplerOptions: CommandSpec['options'] = {
  method: { type: 'string', arg: 'NAME', help: "sampler: pc, ode or ald (default: the run's)" },
  steps: { type: 'number', arg: 'N', integer: true, min: 1, help: 'discretisation steps (pc/ald)' },
  predictor: { type: 'string', arg: 'NAME', help: 'pc predictor: reverseDiffusion, eulerMaruyama, ancestral, none' },
  corrector: { type: 'string', arg: 'NAME', help: 'pc corrector: langevin, ald, none' },
  snr: { type: 'number', arg: 'X', min: 0, help: 'corrector signal-to-noise ratio' },
};

/** The run's sampling settings with the command line's overrides. */
export function samplingWithOverrides(base: TrainConfig['sampling'], opts: Record<string, unknown>): TrainConfig['sampling'] {
  const sampling = { ...base };
  for (const k of Object.keys(samplerOptions)) if (opts[k] !== undefined) (sampling as Record<string, unknown>)[k] = opts[k];
  return sampling;
}

export const sampleSpec: CommandSpec = {
  name: 'sample',
  summary: 'draw samples from a checkpoint: a PNG scatter plot (2-D data) or image grid',
  usage: 'lcss sample --ckpt FILE | --run DIR [--n N] [--out FILE.png] [options]',
  options: {
    ckpt: { type: 'string', arg: 'FILE', help: 'checkpoint (.safetensors) to sample from' },
    run: { type: 'string', arg: 'DIR', help: "a run directory: its latest checkpoint" },
    n: { type: 'number', arg: 'N', integer: true, min: 1, help: 'number of samples (default: 2000 for 2-D data, 64 for images)' },
    out: { type: 'string', arg: 'FILE', default: 'samples.png', writes: true, help: 'output PNG' },
    ...samplerOptions,
    seed: { type: 'number', arg: 'N', integer: true, min: 0, default: 0, help: 'sampling seed' },
    device: { type: 'string', arg: 'NAME', help: 'where to run: cpu (default), cuda or cuda:N' },
    'no-ema': { type: 'boolean', help: 'use the trained weights instead of their EMA' },
    tensors: { type: 'string', arg: 'FILE', writes: true, help: 'also save the samples as safetensors' },
    quiet: { type: 'boolean', help: 'no progress output' },
  },
  examples: ['lcss sample --run runs/checkerboard --n 5000 --out cb.png', 'lcss sample --ckpt runs/mnist/ckpt-0020000.safetensors --n 64 --method ode'],
};

export function checkpointArg(opts: Record<string, unknown>, cmd: string): string {
  if (opts.ckpt) return String(opts.ckpt);
  if (opts.run) {
    const p = latestCheckpoint(String(opts.run));
    if (!p) throw new ArgumentError(`lcss ${cmd}: no complete checkpoint in ${opts.run}`);
    return p;
  }
  throw new ArgumentError(`lcss ${cmd}: give --ckpt FILE or --run DIR`);
}

export async function runSample(argv: string[]): Promise<number> {
  const { opts, positional } = parseArgs(sampleSpec, argv);
  if (positional.length) throw new ArgumentError(`lcss sample: unexpected argument ${JSON.stringify(positional[0])}`);
  return withDefaultDevice(opts.device === undefined ? defaultDevice() : String(opts.device), () => sampleOn(opts));
}

async function sampleOn(opts: Record<string, unknown>): Promise<number> {
  const path = checkpointArg(opts, 'sample');
  const m = modelFromCheckpoint(path, !opts['no-ema']);
  const shape = itemShape(m.cfg);
  const toy = shape.length === 1;
  const n = Number(opts.n ?? (toy ? 2000 : 64));
  const sampling = samplingWithOverrides(m.cfg.sampling, opts);
  // its own bar, counting sampler steps (a sampler has no loss)
  let progress: Progress | null = null;
  const t0 = Date.now();
  let x: Tensor | null = null;
  try {
    const r = await drawSamples({
      sde: m.cfg.sde, score: m.score, shape: [n, ...shape], sampling, seed: Number(opts.seed),
      onProgress: (d, t) => {
        progress ??= new Progress(t, { quiet: !!opts.quiet, label: 'sampler step', showLoss: false });
        progress.update(d, NaN, d / Math.max((Date.now() - t0) / 1000, 1e-9));
      },
    });
    x = r.x;
    (progress as Progress | null)?.done(); // assigned in the callback: TypeScript cannot see it
    const range = m.cfg.data.range ?? '[-1,1]';
    const plot = toy ? await scatterPlot({ points: x }, { range: [-4.5, 4.5], title: `${n} samples, step ${m.step}` }) : imageGrid(x, { range });
    atomicWriteFile(String(opts.out), plot.png, 'lcss sample --out');
    if (opts.tensors) writeSafetensors(String(opts.tensors), { samples: x }, { metadata: { checkpoint: path, sampler: JSON.stringify(sampling) } });
    if (!opts.quiet) console.error(`wrote ${opts.out} (${n} samples from ${path}, ${sampling.method ?? 'pc'} sampler, ${r.nfe} score evaluations)`);
    return 0;
  } finally {
    x?.dispose();
    m.model.dispose();
  }
}
