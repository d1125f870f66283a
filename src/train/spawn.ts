// SPDX-License-Identifier: MIT
// Training off the caller's thread. lc.train runs on the thread that calls it, and each step holds
// that thread for as long as its kernels run (a 2048² matmul: ~200 ms), so a Node service that
// embeds it stops answering while it trains. spawn() runs the same trainer in a worker_threads
// Worker (the addon is context-aware: each Worker loads its own instance) and hands back events
// and a promise of the result; the host thread only receives small messages.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import * as errors from '../errors.js';
import { argError, checkBool, checkKnownKeys, checkOptions, LcssError } from '../errors.js';
import { Device } from '../tensor/device.js';
import { validateConfig, type TrainConfig } from './config.js';

/** A spawned job's worker failed in a way no other error class describes (it crashed, or exited). */
export class JobError extends LcssError {}

export type JobEvent =
  | { type: 'progress'; step: number; total: number; loss: number; itPerSec: number }
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
export interface SpawnedTrainResult {
  step: number;
  loss: number;
  seconds: number;
  itPerSec: number;
  lastEval?: Record<string, number>;
  out: string;
  /** true when it stopped before config.steps because it was cancelled */
  cancelled: boolean;
}

/**
 * A job running in a worker thread: 'progress', 'metrics' and 'evaluation' events (each also
 * yielded, in order, by `for await (const e of job)`) and the promise `result`.
 */
export class SpawnedJob<R> extends EventEmitter implements AsyncIterable<JobEvent> {
  readonly result: Promise<R>;
  private readonly queue: JobEvent[] = [];
  private wake: (() => void) | null = null;
  private ended = false;

  constructor(private readonly worker: Worker, signal?: AbortSignal) {
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
        if (m.type === 'error') return finish(() => reject(rebuildError(m)));
        const e = m as unknown as JobEvent;
        this.queue.push(e);
        this.wake?.();
        this.emit(e.type, e);
      });
      worker.on('error', (e) => finish(() => reject(new JobError(`spawn: the worker failed: ${e?.message ?? e}`))));
      worker.on('exit', (code) => finish(() => reject(new JobError(`spawn: the worker exited (code ${code}) before the job ended`))));
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
function rebuildError(m: { name?: string; message?: string; path?: string }): Error {
  const C = (errors as unknown as Record<string, unknown>)[m.name ?? ''];
  if (typeof C === 'function' && (C === LcssError || (C as { prototype?: unknown }).prototype instanceof LcssError)) {
    if (C === errors.FileError) return new errors.FileError(m.message ?? '', m.path ?? '');
    return new (C as new (msg: string) => Error)(m.message ?? '');
  }
  return new JobError(`spawn: the job failed: ${m.message}`);
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

/**
 * Trains per `config` in a worker thread; returns at once with the job's events and result. The
 * calling thread stays free (a server keeps answering); cancel with `signal` or job.cancel().
 */
export function spawn(config: TrainConfig, o: SpawnTrainOptions = {}): SpawnedJob<SpawnedTrainResult> {
  const fn = 'spawn';
  validateConfig(config as unknown as Record<string, unknown>);
  const opts = checkOptions(fn, 'options', o) as SpawnTrainOptions;
  checkKnownKeys(fn, 'options', opts, ['device', 'signal', 'resume', 'restart', 'noEval']);
  if (opts.device !== undefined && typeof opts.device !== 'string' && !(opts.device instanceof Device)) throw argError(fn, 'device', opts.device, "'cpu', 'cuda', 'cuda:N' or a Device");
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw argError(fn, 'signal', opts.signal, 'an AbortSignal');
  if (opts.resume !== undefined && typeof opts.resume !== 'boolean' && (typeof opts.resume !== 'string' || !opts.resume)) throw argError(fn, 'resume', opts.resume, 'true, false or a checkpoint path');
  for (const k of ['restart', 'noEval'] as const) if (opts[k] !== undefined) checkBool(fn, k, opts[k]);
  const options = { device: opts.device === undefined ? undefined : String(opts.device), resume: opts.resume, restart: opts.restart, noEval: opts.noEval };
  // a plain copy: the config crosses to the worker by structured clone
  const worker = startWorker({ kind: 'train', config: JSON.parse(JSON.stringify(config)), options });
  return new SpawnedJob<SpawnedTrainResult>(worker, opts.signal);
}
