// SPDX-License-Identifier: MIT
// Seeded random tensors from the counter-based Philox-4x32-10 stream. A draw is identified by a
// key (seed, offset); passing the same key regenerates the same values on any device, which is
// how fused kernels (stein_loss) avoid storing their noise.
import { argError, checkFinite, checkInt } from '../errors.js';
import { native, RandomKind } from '../native.js';
import { defaultDevice, device as toDevice, type DeviceLike } from '../tensor/device.js';
import { checkDType, type DType } from '../tensor/dtype.js';
import { checkShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from './creation.js';
import { nv } from './util.js';

/** Identifies one draw: element i uses Philox counter offset + floor(i/4), lane i mod 4. */
export interface RandomKey {
  seed: number;
  offset: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A Philox stream position. Each draw of n values takes ceil(n/4) counters. */
export class Generator {
  constructor(public seed = 0, public offset = 0) {
    checkInt('Generator', 'seed', seed, 0, MAX_SAFE);
    checkInt('Generator', 'offset', offset, 0, MAX_SAFE);
  }
  /** Reserves a key for a draw of `n` values and advances past it. */
  next(n: number): RandomKey {
    const key = { seed: this.seed, offset: this.offset };
    this.offset += Math.ceil(n / 4);
    return key;
  }
  getState(): RandomKey {
    return { seed: this.seed, offset: this.offset };
  }
  setState(s: RandomKey): void {
    this.seed = checkInt('Generator.setState', 'seed', s.seed, 0, MAX_SAFE);
    this.offset = checkInt('Generator.setState', 'offset', s.offset, 0, MAX_SAFE);
  }
}

export const defaultGenerator = new Generator(0, 0);

/** Reseeds the default generator (and restarts its stream). */
export function manualSeed(seed: number): void {
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

function keyFor(op: string, n: number, o?: RandomOptions): RandomKey {
  if (o?.key) {
    checkInt(op, 'key.seed', o.key.seed, 0, MAX_SAFE);
    checkInt(op, 'key.offset', o.key.offset, 0, MAX_SAFE);
    return o.key;
  }
  return (o?.generator ?? defaultGenerator).next(n);
}

function draw(op: string, kind: number, shape: number[], dtype: DType, o: RandomOptions | undefined, a: number, b: number): Tensor {
  const t = Tensor.empty(checkShape(op, 'shape', shape), dtype, toDevice(o?.device ?? defaultDevice()));
  const key = keyFor(op, t.size, o);
  if (t.size) native.randomFill(kind, ...nv(t), key.seed, key.offset, a, b);
  if (o?.requiresGrad) t.requiresGrad = true;
  return t;
}

function floatDType(op: string, o?: RandomOptions): DType {
  const d = o?.dtype === undefined ? 'float32' : checkDType(op, 'dtype', o.dtype);
  if (d !== 'float32' && d !== 'float64') throw argError(op, 'dtype', d, 'float32 or float64');
  return d;
}

/** Uniform on [low, high) (default [0, 1)). */
export function rand(shape: number[], o?: RandomOptions & { low?: number; high?: number }): Tensor {
  const lo = checkFinite('rand', 'low', o?.low ?? 0), hi = checkFinite('rand', 'high', o?.high ?? 1);
  if (!(hi > lo)) throw argError('rand', 'high', hi, `a number > low (${lo})`);
  return draw('rand', RandomKind.uniform, shape, floatDType('rand', o), o, lo, hi);
}

/** Normal with the given mean and std (default standard normal). */
export function randn(shape: number[], o?: RandomOptions & { mean?: number; std?: number }): Tensor {
  const m = checkFinite('randn', 'mean', o?.mean ?? 0), s = checkFinite('randn', 'std', o?.std ?? 1, { min: 0 });
  return draw('randn', RandomKind.normal, shape, floatDType('randn', o), o, m, s);
}

/** Integers uniform on [low, high), int32. */
export function randint(low: number, high: number, shape: number[], o?: RandomOptions): Tensor {
  checkInt('randint', 'low', low, -(2 ** 31), 2 ** 31 - 1);
  checkInt('randint', 'high', high, -(2 ** 31) + 1, 2 ** 31);
  if (high <= low) throw argError('randint', 'high', high, `an integer > low (${low})`);
  return draw('randint', RandomKind.randint, shape, 'int32', o, low, high);
}

/** 0/1 draws with P(1) = p (float tensor, or bool with dtype 'bool'). */
export function bernoulli(p: number, shape: number[], o?: RandomOptions): Tensor {
  checkFinite('bernoulli', 'p', p, { min: 0, max: 1 });
  const d = o?.dtype === undefined ? 'float32' : checkDType('bernoulli', 'dtype', o.dtype);
  if (d === 'int32') throw argError('bernoulli', 'dtype', d, 'float32, float64 or bool');
  return draw('bernoulli', RandomKind.bernoulli, shape, d, o, p, 0);
}

/** A random permutation of 0..n-1 (int32), from one draw of n uniforms. */
export function randperm(n: number, o?: RandomOptions): Tensor {
  checkInt('randperm', 'n', n, 0, 2 ** 31 - 1);
  const u = draw('randperm', RandomKind.uniform, [n], 'float64', o, 0, 1);
  const vals = u.dataSync();
  u.dispose();
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => vals[a] - vals[b] || a - b);
  return tensor(idx, { device: o?.device });
}

export function randLike(t: Tensor, o?: RandomOptions): Tensor {
  return rand([...t.shape], { dtype: t.dtype, device: t.device, ...o });
}

export function randnLike(t: Tensor, o?: RandomOptions): Tensor {
  return randn([...t.shape], { dtype: t.dtype, device: t.device, ...o });
}
