// SPDX-License-Identifier: MIT
// What every sampler shares: options (generator, progress, cancellation), the score argument, and
// the step runner: one noGrad + tidy per step, results kept out of any enclosing tidy (a sampler
// is async, so its first step may run inside the caller's synchronous scope), then a yield to
// the event loop so long runs do not block a server.
import { argError, DTypeError } from '../errors.js';
import { setGradEnabled } from '../autograd/mode.js';
import { Generator as GeneratorClass, randn, type Generator } from '../ops/index.js';
import { keep, tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import type { ScoreFn, ScoreModel } from '../score_types.js';
import { checkScore } from '../sde/util.js';

/** Progress callback: `done` out of `total` (steps; for the ODE, time covered out of the interval). */
export type ProgressFn = (done: number, total: number) => void;

export interface SamplerOptions {
  /** Source of every random draw (default: the global generator). */
  generator?: Generator;
  /** Called after each step. */
  onProgress?: ProgressFn;
  /** Cancels the run between steps; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export type { ScoreModel };

/** The score function of a ScoreModel, wrapped so that a wrong output shape is a clear error. */
export function scoreFnOf(op: string, s: unknown): ScoreFn {
  let fn: ScoreFn;
  if (typeof s === 'function') fn = s as ScoreFn;
  else if (s && typeof (s as { forward?: unknown }).forward === 'function') {
    const m = s as { forward(x: Tensor, t: Tensor): Tensor };
    fn = (x, t) => m.forward(x, t);
  } else throw argError(op, 'score', s, 'a score function (x, t) => Tensor or a module with forward(x, t)');
  return (x, t) => checkScore(op, fn(x, t), x);
}

export const SAMPLER_KEYS = ['generator', 'onProgress', 'signal'] as const;

export function checkSamplerOptions(op: string, o: SamplerOptions): void {
  if (o === undefined || o === null || typeof o !== 'object' || Array.isArray(o)) throw argError(op, 'options', o, 'an options object with at least sde and score');
  if (o.generator !== undefined && !(o.generator instanceof GeneratorClass)) throw argError(op, 'generator', o.generator, 'a Generator');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw argError(op, 'onProgress', o.onProgress, 'a function (done, total) => void');
  if (o.signal !== undefined && !(o.signal && typeof o.signal.aborted === 'boolean'))
    throw argError(op, 'signal', o.signal, 'an AbortSignal');
}

/** Throws the signal's reason when it has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('The sampler was aborted', 'AbortError');
}

/** Lets the event loop run (timers, I/O, other requests) between steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs one step without gradient recording inside a tidy; the tensors it returns are kept. */
export function runStep<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    const out = tidy(fn);
    forEachTensor(out, (t) => keep(t));
    return out;
  } finally {
    setGradEnabled(prev);
  }
}

/** Disposes the tensors of `old` that are not among `keepers`. */
export function release(old: readonly (Tensor | null | undefined)[], keepers: readonly (Tensor | null | undefined)[]): void {
  const k = new Set(keepers);
  for (const t of new Set(old)) if (t && !k.has(t)) t.dispose();
}

function forEachTensor(v: unknown, fn: (t: Tensor) => void): void {
  if (v instanceof Tensor) fn(v);
  else if (Array.isArray(v)) v.forEach((x) => forEachTensor(x, fn));
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach((x) => forEachTensor(x, fn));
}

/** Standard normal noise shaped like x (same dtype and device). */
export function noiseLike(x: Tensor, generator: Generator | undefined): Tensor {
  return randn([...x.shape], { generator, dtype: x.dtype, device: x.device });
}

/** Validates a user-provided initial state against the expected shape. */
export function checkInit(op: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw argError(op, arg, x, 'a Tensor [B, ...]');
  x.assertLive(op, arg);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`${op}: argument '${arg}' has dtype ${x.dtype}, expected float32 or float64`);
  if (x.ndim < 1) throw argError(op, arg, x, 'a tensor with a batch dim');
  return x;
}
