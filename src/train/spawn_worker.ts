// SPDX-License-Identifier: MIT
// The worker-thread side of spawn.ts: runs one job (a training, or sampling / evaluating a
// checkpoint) with the options it was given and forwards its progress, metrics and evaluations to
// the host thread as messages. A "cancel" message aborts the job: a training through the
// trainer's own abort path (finish the step, save a checkpoint), a sampler between its steps.
import { parentPort, workerData } from 'node:worker_threads';
import { LcssError } from '../errors.js';
import { train } from './trainer.js';
import type { SamplingConfig, TrainConfig } from './config.js';
import { drawSamples, evaluateDigits, evaluateToy } from './evaluate.js';
import { toyDistribution, type ToyName } from '../data/toy.js';
import { withDefaultDevice } from '../tensor/device.js';
// the checkpoint loading the sample/eval commands use: a spawned job does exactly what they do
import { itemShape, modelFromCheckpoint } from './from_checkpoint.js';

type Job =
  | { kind: 'train'; config: TrainConfig; options: { device?: string; resume?: boolean | string; restart?: boolean; noEval?: boolean } }
  | { kind: 'sample' | 'evaluate'; checkpoint: string; options: { device?: string; n?: number; seed?: number; sampling?: SamplingConfig; ema?: boolean } };

const port = parentPort!;
const job = workerData as Job;
const ac = new AbortController();
port.on('message', (m: { type?: string }) => {
  if (m?.type === 'cancel') ac.abort();
});

// progress is sent at most every 50 ms (and always for the last step): the host's event loop
// gets a handful of small messages a second, whatever the step rate
let lastProgress = 0;
const progress = (p: { step: number; total: number; loss?: number; itPerSec: number }) => {
  const now = Date.now();
  if (now - lastProgress < 50 && p.step < p.total) return;
  lastProgress = now;
  port.postMessage({ type: 'progress', ...p });
};

/** Samples from a checkpoint (and, for 'evaluate', their metrics and picture), as the CLI does. */
async function sampleJob(j: Extract<Job, { kind: 'sample' | 'evaluate' }>) {
  const m = modelFromCheckpoint(j.checkpoint, j.options.ema ?? true);
  try {
    const shape = itemShape(m.cfg);
    const toy = shape.length === 1;
    const n = j.options.n ?? (toy ? 2000 : 64);
    const sampling = { ...m.cfg.sampling, ...(j.options.sampling ?? {}) };
    const t0 = Date.now();
    const { x, nfe } = await drawSamples({
      sde: m.cfg.sde, score: m.score, shape: [n, ...shape], sampling, seed: j.options.seed ?? 0, signal: ac.signal,
      onProgress: (d, t) => progress({ step: d, total: t, itPerSec: d / Math.max((Date.now() - t0) / 1000, 1e-9) }),
    });
    try {
      if (j.kind === 'sample') {
        const samples = Float32Array.from(x.dataSync());
        return { result: { samples, shape: [...x.shape], nfe, step: m.step, checkpoint: j.checkpoint }, transfer: [samples.buffer] };
      }
      const r = toy ? await evaluateToy(x, toyDistribution(m.cfg.data.name as ToyName)) : m.cfg.data.name === 'mnist' ? evaluateDigits(x, m.cfg.data.range ?? '[-1,1]') : null;
      if (!r) throw new LcssError(`spawnEvaluate: sample metrics exist for the toy sets and MNIST, not ${m.cfg.data.name} (use spawnSample for the samples)`);
      const png = new Uint8Array(r.plot.png);
      return { result: { metrics: { ...r.metrics, nfe, sampleSeconds: (Date.now() - t0) / 1000 }, png, step: m.step, checkpoint: j.checkpoint }, transfer: [png.buffer] };
    } finally {
      x.dispose();
    }
  } finally {
    m.model.dispose();
  }
}

async function trainJob(j: Extract<Job, { kind: 'train' }>) {
  const r = await train(j.config, {
    ...j.options,
    quiet: true,
    signal: ac.signal,
    onProgress: progress,
    onMetrics: (record) => port.postMessage(record.eval ? { type: 'evaluation', step: record.step, metrics: record.eval } : { type: 'metrics', record }),
  });
  const { step, loss, seconds, itPerSec, lastEval, out } = r;
  r.dispose();
  return { result: { step, loss, seconds, itPerSec, lastEval, out, cancelled: ac.signal.aborted && step < j.config.steps }, transfer: [] };
}

try {
  const { result, transfer } = job.kind === 'train' ? await trainJob(job) : await withDefaultDevice(job.options.device ?? 'cpu', () => sampleJob(job));
  port.postMessage({ type: 'result', result }, transfer);
} catch (e) {
  const err = e as Error;
  // a sampler stopped by cancel throws the signal's AbortError: say "cancelled", not "failed"
  const name = ac.signal.aborted && !(e instanceof LcssError) ? 'Cancelled' : e instanceof LcssError ? err.name : 'Error';
  port.postMessage({ type: 'error', name, message: err?.message ?? String(e), path: (e as { path?: string }).path });
} finally {
  port.close();
}
