// SPDX-License-Identifier: MIT
// Training off the caller's thread. lc.train runs on the thread that calls it, and each step holds
// that thread for as long as its kernels run (a 2048² matmul: ~200 ms), so a Node service that
// embeds it stops answering while it trains. spawn() runs the same trainer in a worker_threads
// Worker (the addon is context-aware: each Worker loads its own instance) and hands back events
// and a promise of the result; the host thread only receives small messages.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import * as errors from '../errors.js';
import { argError, checkBool, checkInt, checkKnownKeys, checkOptions, LcssError } from '../errors.js';
import { Device } from '../tensor/device.js';
import { validateConfig, type SamplingConfig, type TrainConfig } from './config.js';
import type { TrainResult } from './trainer.js';

/** A spawned job's worker failed in a way no other error class describes (it crashed, or exited). */
export class JobError extends LcssError {}

export type JobEvent =
  /** a training's steps (with that step's loss), or a sampler's steps (no loss) */
  | { type: 'progress'; step: number; total: number; loss?: number; itPerSec: number }
  | { type: 'metrics'; record: Record<string, unknown> }
  | { type: 'evaluation'; step: number; metrics: Record<string, number> };

export interface SpawnTrainOptions {
  /** 'cpu', 'cuda' or 'cuda:N' (a Device is accepted too) */
  device?: string | Device;
  /** aborting it cancels the training: the step in flight finishes and a checkpoint is saved */
  signal?: AbortSignal;
  resume?: boolean | string;
  restart?: boolean;
  noEval?: boolean;
}

/** What a spawned training resolves to (TrainResult without the components, which stay in the worker). */
export type SpawnedTrainResult = Omit<TrainResult, 'components' | 'dispose'> & {
  /** true when it stopped before config.steps because it was cancelled */
  cancelled: boolean;
};

/**
 * A job running in a worker thread: 'progress', 'metrics' and 'evaluation' events (each also
 * yielded, in order, by `for await (const e of job)`) and the promise `result`.
 */
export class SpawnedJob<R> extends EventEmitter implements AsyncIterable<JobEvent> {
  readonly result: Promise<R>;
  private readonly queue: JobEvent[] = [];
  private wake: (() => void) | null = null;
  private ended = false;

  constructor(private readonly worker: Worker, signal?: AbortSignal, fn = 'spawn') {
    super();
    const onAbort = () => worker.postMessage({ type: 'cancel' });
    this.result = new Promise<R>((resolve, reject) => {
      let settled = false;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.ended = true;
        this.wake?.();
        f();
      };
      worker.on('message', (m: { type: string; result?: R; name?: string; message?: string; path?: string }) => {
        if (m.type === 'result') return finish(() => resolve(m.result as R));
        if (m.type === 'error') return finish(() => reject(rebuildError(fn, m)));
        const e = m as unknown as JobEvent;
        this.queue.push(e);
        this.wake?.();
        this.emit(e.type, e);
      });
      worker.on('error', (e) => finish(() => reject(new JobError(`${fn}: the worker failed: ${e?.message ?? e}`))));
      worker.on('exit', (code) => finish(() => reject(new JobError(`${fn}: the worker exited (code ${code}) before the job ended`))));
    });
    // an unobserved result must not become an unhandled rejection while someone iterates events
    this.result.catch(() => {});
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  }

  /** Cancels the job (as aborting its signal does): a checkpoint is saved, `result` resolves. */
  cancel(): void {
    if (!this.ended) this.worker.postMessage({ type: 'cancel' });
  }

  /** Ends the worker at once (no checkpoint): `result` rejects with a JobError. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JobEvent> {
    for (;;) {
      while (this.queue.length) yield this.queue.shift()!;
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
}

/** The error the worker threw, as the same lcss class (its message already names the function). */
function rebuildError(fn: string, m: { name?: string; message?: string; path?: string }): Error {
  if (m.name === 'Cancelled') return new JobError(`${fn}: cancelled before it finished`);
  const C = (errors as unknown as Record<string, unknown>)[m.name ?? ''];
  if (typeof C === 'function' && (C === LcssError || (C as { prototype?: unknown }).prototype instanceof LcssError)) {
    if (C === errors.FileError) return new errors.FileError(m.message ?? '', m.path ?? '');
    return new (C as new (msg: string) => Error)(m.message ?? '');
  }
  return new JobError(`${fn}: the job failed: ${m.message}`);
}

/**
 * The worker's entry point. Built (dist/), it is spawn_worker.js beside this file; run from the
 * TypeScript sources (tests, tsx), Node cannot load a .ts Worker by itself, so tsx is registered
 * in the Worker first (a development dependency: only that path needs it).
 */
function startWorker(data: unknown): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const target = new URL('./spawn_worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(target)}); })`, { eval: true, workerData: data });
  }
  return new Worker(new URL('./spawn_worker.js', here), { workerData: data });
}

function checkCommon(fn: string, opts: { device?: unknown; signal?: unknown }): string | undefined {
  if (opts.device !== undefined && typeof opts.device !== 'string' && !(opts.device instanceof Device)) throw argError(fn, 'device', opts.device, "'cpu', 'cuda', 'cuda:N' or a Device");
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw argError(fn, 'signal', opts.signal, 'an AbortSignal');
  return opts.device === undefined ? undefined : String(opts.device);
}

export interface SpawnSampleOptions {
  /** samples to draw (default 2000 for 2-D data, 64 for images) */
  n?: number;
  seed?: number;
  /** overrides of the run's sampling config (method, steps, predictor, corrector, snr, rtol, atol) */
  sampling?: SamplingConfig;
  /** the EMA weights (default true) */
  ema?: boolean;
  device?: string | Device;
  /** aborting it stops the sampler between steps: `result` rejects */
  signal?: AbortSignal;
}

/** Samples drawn by spawnSample: the values (float32, row-major) and their shape [n, ...item]. */
export interface SpawnedSamples {
  samples: Float32Array;
  shape: number[];
  nfe: number;
  /** training step of the checkpoint */
  step: number;
  checkpoint: string;
}

/** What spawnEvaluate resolves to: the sample metrics and the picture of the samples (PNG bytes). */
export interface SpawnedEvaluation {
  metrics: Record<string, number>;
  png: Uint8Array;
  step: number;
  checkpoint: string;
}

function spawnFromCheckpoint<R>(fn: string, kind: 'sample' | 'evaluate', checkpoint: string, o: SpawnSampleOptions): SpawnedJob<R> {
  if (typeof checkpoint !== 'string' || !checkpoint) throw argError(fn, 'checkpoint', checkpoint, 'the path of a checkpoint (.safetensors)');
  const opts = checkOptions(fn, 'options', o) as SpawnSampleOptions;
  checkKnownKeys(fn, 'options', opts, ['n', 'seed', 'sampling', 'ema', 'device', 'signal']);
  const device = checkCommon(fn, opts);
  if (opts.n !== undefined) checkInt(fn, 'n', opts.n, 1);
  if (opts.seed !== undefined) checkInt(fn, 'seed', opts.seed, 0);
  if (opts.ema !== undefined) checkBool(fn, 'ema', opts.ema);
  if (opts.sampling !== undefined) {
    checkOptions(fn, 'sampling', opts.sampling);
    checkKnownKeys(fn, 'sampling', opts.sampling, ['method', 'n', 'steps', 'predictor', 'corrector', 'snr', 'rtol', 'atol']);
  }
  // the checkpoint's own checks (it exists, it is complete) run in the worker, as in lcss sample
  const options = { device, n: opts.n, seed: opts.seed, sampling: opts.sampling && JSON.parse(JSON.stringify(opts.sampling)), ema: opts.ema };
  return new SpawnedJob<R>(startWorker({ kind, checkpoint, options }), opts.signal, fn);
}

/** Draws samples from a checkpoint in a worker thread ('progress' events count sampler steps). */
export function spawnSample(checkpoint: string, o: SpawnSampleOptions = {}): SpawnedJob<SpawnedSamples> {
  return spawnFromCheckpoint('spawnSample', 'sample', checkpoint, o);
}

/** Samples a checkpoint and scores the samples (toy sets, MNIST) in a worker thread, as lcss eval does. */
export function spawnEvaluate(checkpoint: string, o: SpawnSampleOptions = {}): SpawnedJob<SpawnedEvaluation> {
  return spawnFromCheckpoint('spawnEvaluate', 'evaluate', checkpoint, o);
}

/**
 * Trains per `config` in a worker thread; returns at once with the job's events and result. The
 * calling thread stays free (a server keeps answering); cancel with `signal` or job.cancel().
 */
export function spawn(config: TrainConfig, o: SpawnTrainOptions = {}): SpawnedJob<SpawnedTrainResult> {
  const fn = 'spawn';
  validateConfig(config as unknown as Record<string, unknown>);
  const opts = checkOptions(fn, 'options', o) as SpawnTrainOptions;
  checkKnownKeys(fn, 'options', opts, ['device', 'signal', 'resume', 'restart', 'noEval']);
  const device = checkCommon(fn, opts);
  if (opts.resume !== undefined && typeof opts.resume !== 'boolean' && (typeof opts.resume !== 'string' || !opts.resume)) throw argError(fn, 'resume', opts.resume, 'true, false or a checkpoint path');
  for (const k of ['restart', 'noEval'] as const) if (opts[k] !== undefined) checkBool(fn, k, opts[k]);
  const options = { device, resume: opts.resume, restart: opts.restart, noEval: opts.noEval };
  // a plain copy: the config crosses to the worker by structured clone
  const worker = startWorker({ kind: 'train', config: JSON.parse(JSON.stringify(config)), options });
  return new SpawnedJob<SpawnedTrainResult>(worker, opts.signal);
}
