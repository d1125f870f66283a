// SPDX-License-Identifier: MIT
// Tensor creation: from JS data, constant fills, ranges, identity.
import { argError, checkFinite, checkKnownKeys, checkOptions, DTypeError, ShapeError, show } from '../errors.js';
import { native, kernels } from '../native.js';
import { defaultDevice, device as toDevice, type DeviceLike } from '../tensor/device.js';
import { checkDType, type AnyTypedArray, type DType } from '../tensor/dtype.js';
import { checkNumel, checkShape, numel } from '../tensor/shape.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { checkTensor, nv } from './util.js';

export interface CreateOptions {
  dtype?: DType;
  device?: DeviceLike;
  requiresGrad?: boolean;
}

const CREATE_KEYS = ['dtype', 'device', 'requiresGrad'];

function opts(op: string, o: CreateOptions | undefined, fallback: DType = 'float32', extra: readonly string[] = []) {
  const c = checkOptions(op, 'options', o);
  checkKnownKeys(op, 'options', c, [...CREATE_KEYS, ...extra]);
  const dtype = c.dtype === undefined ? fallback : checkDType(op, 'dtype', c.dtype);
  if (c.requiresGrad !== undefined && typeof c.requiresGrad !== 'boolean') throw argError(op, 'requiresGrad', c.requiresGrad, 'true or false');
  if (c.requiresGrad && dtype !== 'float32' && dtype !== 'float64')
    throw new DTypeError(`${op}: argument 'requiresGrad' is true for dtype ${dtype}; only float tensors can require gradients`);
  let device;
  try {
    device = toDevice(c.device ?? defaultDevice());
  } catch (e) {
    if (e instanceof Error) e.message = `${op}: ${e.message}`;
    throw e;
  }
  return { dtype, device, requiresGrad: !!c.requiresGrad };
}

function finish(t: Tensor, requiresGrad: boolean): Tensor {
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;

/**
 * Checks that a value can be stored in `dtype` without being changed: int32 takes integers in
 * int32 range (not NaN, not 1.5, not 2^40, which used to become INT_MIN, 1 and 0), the float
 * types take any number (float32 rounds), bool takes anything (nonzero is true).
 */
export function checkValueFor(op: string, arg: string, v: number, dtype: DType): void {
  if (dtype === 'int32' && !(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX))
    throw argError(op, arg, v, `an integer in [${INT32_MIN}, ${INT32_MAX}] for an int32 tensor`);
}

/** Writes values computed by `at(i)` into t (contiguous, fresh) in chunks, never one huge JS array. */
function writeComputed(t: Tensor, at: (i: number) => number): void {
  const n = t.size, chunk = Math.min(n, 1 << 20);
  const buf = new Float64Array(chunk);
  for (let start = 0; start < n; start += chunk) {
    const len = Math.min(chunk, n - start);
    for (let i = 0; i < len; i++) buf[i] = at(start + i);
    native.write(t.storage.buffer, start, toTyped(t.dtype, buf.subarray(0, len)));
  }
}

function dtypeOfTyped(a: ArrayBufferView): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  return null;
}

function toTyped(dtype: DType, values: ArrayLike<number>): AnyTypedArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

function inferShape(op: string, data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flatten(op: string, data: NestedArray, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (typeof data === 'boolean') out.push(data ? 1 : 0);
    else if (typeof data === 'number') out.push(data);
    else throw argError(op, 'data', data, 'numbers or booleans in a rectangular nested array');
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim])
    throw new ShapeError(`${op}: nested array is not rectangular (dim ${dim} expected length ${shape[dim]}, got ${Array.isArray(data) ? data.length : show(data)})`);
  for (const d of data) flatten(op, d, shape, dim + 1, out);
}

/**
 * A tensor from nested arrays, a flat array with `shape`, or a typed array (whose type gives the
 * dtype unless one is given). Booleans give a bool tensor.
 */
export function tensor(data: NestedArray | ArrayLike<number>, o: CreateOptions & { shape?: number[] } = {}): Tensor {
  const op = 'tensor';
  o = checkOptions(op, 'options', o);
  let values: ArrayLike<number>;
  let shape: number[];
  let fallback: DType = 'float32';
  if (ArrayBuffer.isView(data)) {
    const dt = dtypeOfTyped(data as ArrayBufferView);
    if (!dt) throw new DTypeError(`${op}: typed array ${data.constructor.name} is not supported (Float32Array, Float64Array, Int32Array or Uint8Array)`);
    fallback = dt;
    values = data as ArrayLike<number>;
    shape = o.shape ? checkShape(op, 'shape', o.shape) : [values.length];
  } else if (typeof data === 'number' || typeof data === 'boolean') {
    values = [typeof data === 'boolean' ? (data ? 1 : 0) : data];
    if (typeof data === 'boolean') fallback = 'bool';
    shape = [];
  } else {
    if (!Array.isArray(data)) throw argError(op, 'data', data, 'a number, a boolean, a (nested) array of them or a typed array');
    const first = (function firstLeaf(d: NestedArray): unknown {
      return Array.isArray(d) ? (d.length ? firstLeaf(d[0]) : undefined) : d;
    })(data as NestedArray);
    if (typeof first === 'boolean') fallback = 'bool';
    const ishape = inferShape(op, data as NestedArray);
    const flat: number[] = [];
    flatten(op, data as NestedArray, ishape, 0, flat);
    values = flat;
    shape = o.shape ? checkShape(op, 'shape', o.shape) : ishape;
  }
  if (numel(shape) !== values.length)
    throw new ShapeError(`${op}: ${values.length} values do not fill shape ${show(shape)} (${numel(shape)} elements)`);
  const { dtype, device, requiresGrad } = opts(op, o, fallback, ['shape']);
  if (dtype === 'int32' && !(values instanceof Int32Array)) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX))
        throw argError(op, `data[${i}]`, v, `an integer in [${INT32_MIN}, ${INT32_MAX}] for an int32 tensor`);
    }
  }
  const t = Tensor.empty(shape, dtype, device);
  const typed = ArrayBuffer.isView(values) && dtypeOfTyped(values as unknown as ArrayBufferView) === dtype ? (values as AnyTypedArray) : toTyped(dtype, values);
  if (typed.length) native.write(t.storage.buffer, 0, typed);
  return finish(t, requiresGrad);
}

/** Alias of tensor(), for readers coming from other libraries. */
export const fromArray = tensor;

export function scalar(v: number, dtype: DType = 'float32', device: DeviceLike = defaultDevice()): Tensor {
  return fullOf('scalar', [], v, { dtype, device });
}

export function empty(shape: number[], o?: CreateOptions): Tensor {
  const s = checkShape('empty', 'shape', shape);
  const { dtype, device, requiresGrad } = opts('empty', o);
  return finish(Tensor.empty(s, dtype, device), requiresGrad);
}

function fullOf(op: string, shape: number[], value: number | boolean, o?: CreateOptions, fallback?: DType): Tensor {
  const s = checkShape(op, 'shape', shape);
  if (typeof value !== 'number' && typeof value !== 'boolean') throw argError(op, 'value', value, 'a number or a boolean');
  const { dtype, device, requiresGrad } = opts(op, o, fallback ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  checkValueFor(op, 'value', v, dtype);
  const t = Tensor.empty(s, dtype, device);
  if (t.size) kernels.fill({ y: nv(t), value: v });
  return finish(t, requiresGrad);
}

export function full(shape: number[], value: number | boolean, o?: CreateOptions): Tensor {
  return fullOf('full', shape, value, o);
}

export function zeros(shape: number[], o?: CreateOptions): Tensor {
  return fullOf('zeros', shape, 0, o, 'float32');
}

export function ones(shape: number[], o?: CreateOptions): Tensor {
  return fullOf('ones', shape, 1, o, 'float32');
}

function like(op: string, t: Tensor, o?: CreateOptions): CreateOptions {
  const x = checkTensor(op, 'input', t);
  const c = checkOptions(op, 'options', o);
  checkKnownKeys(op, 'options', c, CREATE_KEYS);
  return { dtype: c.dtype ?? x.dtype, device: c.device ?? x.device, requiresGrad: c.requiresGrad };
}

export function zerosLike(t: Tensor, o?: CreateOptions): Tensor {
  return fullOf('zerosLike', [...checkTensor('zerosLike', 'input', t).shape], 0, like('zerosLike', t, o));
}
export function onesLike(t: Tensor, o?: CreateOptions): Tensor {
  return fullOf('onesLike', [...checkTensor('onesLike', 'input', t).shape], 1, like('onesLike', t, o));
}
export function fullLike(t: Tensor, value: number, o?: CreateOptions): Tensor {
  return fullOf('fullLike', [...checkTensor('fullLike', 'input', t).shape], value, like('fullLike', t, o));
}
export function emptyLike(t: Tensor, o?: CreateOptions): Tensor {
  const c = like('emptyLike', t, o);
  const { dtype, device, requiresGrad } = opts('emptyLike', c);
  return finish(Tensor.empty([...t.shape], dtype, device), requiresGrad);
}

/** [start, end) in steps; arange(n) = 0..n-1. Integer arguments give int32 unless a dtype is set. */
export function arange(start: number, end?: number, step = 1, o?: CreateOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  checkFinite('arange', 'start', start);
  checkFinite('arange', 'end', end);
  checkFinite('arange', 'step', step);
  if (step === 0) throw argError('arange', 'step', step, 'a non-zero number');
  const n = Math.max(0, Math.ceil((end - start) / step));
  checkNumel('arange', 'end', [n]);
  const allInt = [start, end, step].every(Number.isInteger);
  const { dtype, device, requiresGrad } = opts('arange', o, allInt ? 'int32' : 'float32');
  if (dtype === 'int32' && n > 0) {
    checkValueFor('arange', 'start', start, 'int32');
    checkValueFor('arange', 'end', start + (n - 1) * step, 'int32');
    if (!Number.isInteger(step)) throw argError('arange', 'step', step, 'an integer for an int32 range');
  }
  // allocated first: a range too large for memory is an OutOfMemoryError, not a JS RangeError
  const t = Tensor.empty([n], dtype, device);
  writeComputed(t, (i) => start + i * step);
  return finish(t, requiresGrad);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, o?: CreateOptions): Tensor {
  checkFinite('linspace', 'start', start);
  checkFinite('linspace', 'end', end);
  if (!Number.isSafeInteger(steps) || steps < 0) throw argError('linspace', 'steps', steps, 'a non-negative integer');
  const { dtype, device, requiresGrad } = opts('linspace', o);
  const at = (i: number) => (steps === 1 ? start : start + ((end - start) * i) / (steps - 1));
  if (dtype === 'int32' && steps > 0) for (const i of [0, steps - 1]) checkValueFor('linspace', 'end', at(i), 'int32');
  const t = Tensor.empty([steps], dtype, device);
  writeComputed(t, dtype === 'int32' ? (i) => Math.trunc(at(i)) : at);
  return finish(t, requiresGrad);
}

/** n x m identity (m defaults to n). */
export function eye(n: number, m = n, o?: CreateOptions): Tensor {
  if (!Number.isSafeInteger(n) || n < 0) throw argError('eye', 'n', n, 'a non-negative integer');
  if (!Number.isSafeInteger(m) || m < 0) throw argError('eye', 'm', m, 'a non-negative integer');
  const shape = checkShape('eye', 'n', [n, m]);
  const { dtype, device, requiresGrad } = opts('eye', o);
  // zeros, then the diagonal as a strided view (stride m + 1): no n x m array in JS
  const t = Tensor.empty(shape, dtype, device);
  if (t.size) {
    kernels.fill({ y: nv(t), value: 0 });
    kernels.fill({ y: { buffer: t.storage.buffer, offset: 0, shape: [Math.min(n, m)], strides: [m + 1] }, value: 1 });
  }
  return finish(t, requiresGrad);
}
