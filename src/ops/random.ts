// SPDX-License-Identifier: MIT
// Seeded random tensors from the counter-based Philox-4x32-10 stream. A draw is identified by a
// key (seed, offset); passing the same key regenerates the same values on any device, which is
// how fused kernels (stein_loss) avoid storing their noise.
import { argError, checkBool, checkFinite, checkInt, checkKnownKeys, checkOptions } from '../errors.js';
import { RandomKind, kernels } from '../native.js';
import { defaultDevice, device as toDevice, type DeviceLike } from '../tensor/device.js';
import { checkDType, type DType } from '../tensor/dtype.js';
import { checkShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from './creation.js';
import { checkTensor, nv } from './util.js';

/** Identifies one draw: element i uses Philox counter offset + floor(i/4), lane i mod 4. */
export interface RandomKey {
  seed: number;
  offset: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * A Philox stream position. Each draw of n values takes ceil(n/4) counters. seed and offset are
 * integers in [0, 2^53); assigning anything else (NaN, -5, 1.5) is an error, never a stream that
 * silently draws from a garbage key.
 */
export class Generator {
  #seed = 0;
  #offset = 0;
  #shard: { rank: number; world: number } | null = null;
  constructor(seed = 0, offset = 0) {
    this.#seed = checkInt('Generator', 'seed', seed, 0, MAX_SAFE);
    this.#offset = checkInt('Generator', 'offset', offset, 0, MAX_SAFE);
  }
  get seed(): number {
    return this.#seed;
  }
  set seed(v: number) {
    this.#seed = checkInt('Generator.seed', 'seed', v, 0, MAX_SAFE);
  }
  get offset(): number {
    return this.#offset;
  }
  set offset(v: number) {
    this.#offset = checkInt('Generator.offset', 'offset', v, 0, MAX_SAFE);
  }
  /** Reserves a key for a draw of `n` values and advances past it. */
  next(n: number): RandomKey {
    checkInt('Generator.next', 'n', n, 0, MAX_SAFE);
    const key = { seed: this.#seed, offset: this.#offset };
    const end = this.#offset + Math.ceil(n / 4);
    if (end > MAX_SAFE) throw argError('Generator.next', 'n', n, `a draw that keeps the offset below 2^53 (it is at ${this.#offset})`);
    this.#offset = end;
    return key;
  }
  /**
   * This process's part of a data-parallel job: a draw of shape [b, ...] from this generator is
   * then rows [rank*b, (rank+1)*b) of the draw of [world*b, ...] one process would make, and the
   * stream advances past the whole draw. Every rank keeps the same generator state, and the noise
   * of a global batch does not depend on how many ranks share it. null (the default): draws are
   * the process's own.
   */
  get shard(): { rank: number; world: number } | null {
    return this.#shard ? { ...this.#shard } : null;
  }
  set shard(v: { rank: number; world: number } | null) {
    if (v === null) {
      this.#shard = null;
      return;
    }
    const o = checkOptions('Generator.shard', 'shard', v);
    checkKnownKeys('Generator.shard', 'shard', o, ['rank', 'world']);
    const world = checkInt('Generator.shard', 'world', o.world, 1, 1 << 24);
    const rank = checkInt('Generator.shard', 'rank', o.rank, 0, world - 1);
    this.#shard = world > 1 ? { rank, world } : null;
  }
  getState(): RandomKey {
    return { seed: this.#seed, offset: this.#offset };
  }
  setState(s: RandomKey): void {
    const st = checkOptions('Generator.setState', 'state', s);
    const seed = checkInt('Generator.setState', 'seed', st.seed, 0, MAX_SAFE);
    this.#offset = checkInt('Generator.setState', 'offset', st.offset, 0, MAX_SAFE);
    this.#seed = seed;
  }
  toJSON(): RandomKey {
    return this.getState();
  }
}

export const defaultGenerator = new Generator(0, 0);

/** Reseeds the default generator (and restarts its stream). */
export function manualSeed(seed: number): void {
  checkInt('manualSeed', 'seed', seed, 0, MAX_SAFE);
  defaultGenerator.setState({ seed, offset: 0 });
}

export interface RandomOptions {
  dtype?: DType;
  device?: DeviceLike;
  /** Draw from this generator (default: the global one). */
  generator?: Generator;
  /** Use exactly this draw (does not advance any generator). */
  key?: RandomKey;
  requiresGrad?: boolean;
}

const RANDOM_KEYS = ['dtype', 'device', 'generator', 'key', 'requiresGrad'];

/** The options of a random op: a plain object with only the keys it knows. */
function randomOptions<T extends RandomOptions>(op: string, o: T | undefined, extra: readonly string[] = []): Partial<T> {
  const c = checkOptions(op, 'options', o);
  checkKnownKeys(op, 'options', c, [...RANDOM_KEYS, ...extra]);
  if (c.generator !== undefined && !(c.generator instanceof Generator)) throw argError(op, 'generator', c.generator, 'a Generator');
  if (c.requiresGrad !== undefined) checkBool(op, 'requiresGrad', c.requiresGrad);
  return c;
}

function keyFor(op: string, n: number, o?: RandomOptions): RandomKey {
  if (o?.key !== undefined) {
    const k = checkOptions(op, 'key', o.key);
    checkInt(op, 'key.seed', k.seed, 0, MAX_SAFE);
    checkInt(op, 'key.offset', k.offset, 0, MAX_SAFE);
    return o.key;
  }
  return (o?.generator ?? defaultGenerator).next(n);
}

function draw(op: string, kind: number, shape: number[], dtype: DType, o: RandomOptions | undefined, a: number, b: number): Tensor {
  const s = checkShape(op, 'shape', shape);
  const shard = o?.key === undefined ? (o?.generator ?? defaultGenerator).shard : null;
  if (shard && s.length >= 1) return drawShard(op, kind, s, dtype, o!, a, b, shard);
  const t = Tensor.empty(s, dtype, toDevice(o?.device ?? defaultDevice()));
  try {
    const key = keyFor(op, t.size, o);
    if (t.size) kernels.randomFill({ kind, y: nv(t), seed: key.seed, offset: key.offset, a, b });
    if (o?.requiresGrad) t.requiresGrad = true;
  } catch (e) {
    t.dispose();
    throw e;
  }
  return t;
}

/** draw() for a sharded generator: this rank's rows of the whole job's draw (Generator.shard). */
function drawShard(op: string, kind: number, s: number[], dtype: DType, o: RandomOptions, a: number, b: number,
  shard: { rank: number; world: number }): Tensor {
  const dev = toDevice(o.device ?? defaultDevice());
  const t = Tensor.empty(s, dtype, dev);
  try {
    const key = (o.generator ?? defaultGenerator).next(t.size * shard.world);
    const first = shard.rank * t.size;  // this rank's first element in the whole draw
    if (first % 4 === 0) {
      // element i of a draw sits at counter offset + floor(i/4), lane i mod 4: an aligned shard is a draw of its own
      if (t.size) kernels.randomFill({ kind, y: nv(t), seed: key.seed, offset: key.offset + first / 4, a, b });
    } else {
      const all = Tensor.empty([s[0] * shard.world, ...s.slice(1)], dtype, dev);
      try {
        kernels.randomFill({ kind, y: nv(all), seed: key.seed, offset: key.offset, a, b });
        kernels.copy({ y: nv(t), x: { buffer: all.storage.buffer, offset: first, shape: s, strides: [...t.strides] } });
      } finally {
        all.dispose();
      }
    }
    if (o.requiresGrad) t.requiresGrad = true;
  } catch (e) {
    t.dispose();
    throw e;
  }
  return t;
}

function floatDType(op: string, o?: RandomOptions): DType {
  const d = o?.dtype === undefined ? 'float32' : checkDType(op, 'dtype', o.dtype);
  if (d !== 'float32' && d !== 'float64') throw argError(op, 'dtype', d, 'float32 or float64');
  return d;
}

/** Uniform on [low, high) (default [0, 1)). */
export function rand(shape: number[], opts?: RandomOptions & { low?: number; high?: number }): Tensor {
  const o = randomOptions('rand', opts, ['low', 'high']);
  const lo = checkFinite('rand', 'low', o.low ?? 0), hi = checkFinite('rand', 'high', o.high ?? 1);
  if (!(hi > lo)) throw argError('rand', 'high', hi, `a number > low (${lo})`);
  return draw('rand', RandomKind.uniform, shape, floatDType('rand', o), o, lo, hi);
}

/** Normal with the given mean and std (default standard normal). */
export function randn(shape: number[], opts?: RandomOptions & { mean?: number; std?: number }): Tensor {
  const o = randomOptions('randn', opts, ['mean', 'std']);
  const m = checkFinite('randn', 'mean', o.mean ?? 0), s = checkFinite('randn', 'std', o.std ?? 1, { min: 0 });
  return draw('randn', RandomKind.normal, shape, floatDType('randn', o), o, m, s);
}

/** Integers uniform on [low, high), int32. */
export function randint(low: number, high: number, shape: number[], opts?: RandomOptions): Tensor {
  const o = randomOptions('randint', opts);
  if (o.dtype !== undefined && o.dtype !== 'int32') throw argError('randint', 'dtype', o.dtype, "'int32' (the only dtype randint draws)");
  checkInt('randint', 'low', low, -(2 ** 31), 2 ** 31 - 1);
  checkInt('randint', 'high', high, -(2 ** 31) + 1, 2 ** 31);
  if (high <= low) throw argError('randint', 'high', high, `an integer > low (${low})`);
  return draw('randint', RandomKind.randint, shape, 'int32', o, low, high);
}

/** 0/1 draws with P(1) = p (float tensor, or bool with dtype 'bool'). */
export function bernoulli(p: number, shape: number[], opts?: RandomOptions): Tensor {
  const o = randomOptions('bernoulli', opts);
  checkFinite('bernoulli', 'p', p, { min: 0, max: 1 });
  const d = o?.dtype === undefined ? 'float32' : checkDType('bernoulli', 'dtype', o.dtype);
  if (d === 'int32') throw argError('bernoulli', 'dtype', d, 'float32, float64 or bool');
  return draw('bernoulli', RandomKind.bernoulli, shape, d, o, p, 0);
}

/** A random permutation of 0..n-1 (int32), from one draw of n uniforms. */
export function randperm(n: number, opts?: RandomOptions): Tensor {
  const o = randomOptions('randperm', opts);
  if (o.dtype !== undefined && o.dtype !== 'int32') throw argError('randperm', 'dtype', o.dtype, "'int32'");
  if (o.requiresGrad) throw argError('randperm', 'requiresGrad', o.requiresGrad, 'false (an int32 permutation has no gradient)');
  checkInt('randperm', 'n', n, 0, 2 ** 31 - 1);
  const u = draw('randperm', RandomKind.uniform, [n], 'float64', o, 0, 1);
  const vals = u.dataSync();
  u.dispose();
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => vals[a] - vals[b] || a - b);
  return tensor(idx, { device: o?.device });
}

export function randLike(t: Tensor, o?: RandomOptions): Tensor {
  const x = checkTensor('randLike', 'input', t);
  return rand([...x.shape], { dtype: x.dtype, device: x.device, ...randomOptions('randLike', o) });
}

export function randnLike(t: Tensor, o?: RandomOptions): Tensor {
  const x = checkTensor('randnLike', 'input', t);
  return randn([...x.shape], { dtype: x.dtype, device: x.device, ...randomOptions('randnLike', o) });
}
