// SPDX-License-Identifier: MIT
// Tensor creation: from JS data, constant fills, ranges, identity.
import { argError, checkFinite, DTypeError, ShapeError, show } from '../errors.js';
import { native } from '../native.js';
import { defaultDevice, device as toDevice, type DeviceLike } from '../tensor/device.js';
import { checkDType, type AnyTypedArray, type DType } from '../tensor/dtype.js';
import { checkShape, numel } from '../tensor/shape.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { nv } from './util.js';

export interface CreateOptions {
  dtype?: DType;
  device?: DeviceLike;
  requiresGrad?: boolean;
}

function opts(op: string, o: CreateOptions | undefined, fallback: DType = 'float32') {
  const dtype = o?.dtype === undefined ? fallback : checkDType(op, 'dtype', o.dtype);
  return { dtype, device: toDevice(o?.device ?? defaultDevice()), requiresGrad: !!o?.requiresGrad };
}

function finish(t: Tensor, requiresGrad: boolean): Tensor {
  if (requiresGrad) t.requiresGrad = true;
  return t;
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
  const { dtype, device, requiresGrad } = opts(op, o, fallback);
  const t = Tensor.empty(shape, dtype, device);
  const typed = ArrayBuffer.isView(values) && dtypeOfTyped(values as unknown as ArrayBufferView) === dtype ? (values as AnyTypedArray) : toTyped(dtype, values);
  if (typed.length) native.write(t.storage.buffer, 0, typed);
  return finish(t, requiresGrad);
}

/** Alias of tensor(), for readers coming from other libraries. */
export const fromArray = tensor;

export function scalar(v: number, dtype: DType = 'float32', device: DeviceLike = defaultDevice()): Tensor {
  return full([], v, { dtype, device });
}

export function empty(shape: number[], o?: CreateOptions): Tensor {
  const { dtype, device, requiresGrad } = opts('empty', o);
  return finish(Tensor.empty(checkShape('empty', 'shape', shape), dtype, device), requiresGrad);
}

export function full(shape: number[], value: number | boolean, o?: CreateOptions): Tensor {
  const { dtype, device, requiresGrad } = opts('full', o, typeof value === 'boolean' ? 'bool' : 'float32');
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (typeof v !== 'number' || Number.isNaN(v) && dtype !== 'float32' && dtype !== 'float64') throw argError('full', 'value', value, 'a number');
  const t = Tensor.empty(checkShape('full', 'shape', shape), dtype, device);
  if (t.size) native.fill(...nv(t), v);
  return finish(t, requiresGrad);
}

export function zeros(shape: number[], o?: CreateOptions): Tensor {
  return full(shape, 0, { dtype: 'float32', ...o });
}

export function ones(shape: number[], o?: CreateOptions): Tensor {
  return full(shape, 1, { dtype: 'float32', ...o });
}

function like(t: Tensor, o?: CreateOptions): CreateOptions {
  return { dtype: o?.dtype ?? t.dtype, device: o?.device ?? t.device, requiresGrad: o?.requiresGrad };
}

export function zerosLike(t: Tensor, o?: CreateOptions): Tensor {
  return full([...t.shape], 0, like(t, o));
}
export function onesLike(t: Tensor, o?: CreateOptions): Tensor {
  return full([...t.shape], 1, like(t, o));
}
export function fullLike(t: Tensor, value: number, o?: CreateOptions): Tensor {
  return full([...t.shape], value, like(t, o));
}
export function emptyLike(t: Tensor, o?: CreateOptions): Tensor {
  return empty([...t.shape], like(t, o));
}

/** [start, end) in steps; arange(n) = 0..n-1. Integer arguments give int32 unless a dtype is set. */
export function arange(start: number, end?: number, step = 1, o?: CreateOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  checkFinite('arange', 'start', start);
  checkFinite('arange', 'end', end);
  checkFinite('arange', 'step', step);
  if (step === 0) throw argError('arange', 'step', step, 'a non-zero number');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInt = [start, end, step].every(Number.isInteger);
  const { dtype, device, requiresGrad } = opts('arange', o, allInt ? 'int32' : 'float32');
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = start + i * step;
  return finish(tensor(vals, { dtype, device, shape: [n] }), requiresGrad);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, o?: CreateOptions): Tensor {
  checkFinite('linspace', 'start', start);
  checkFinite('linspace', 'end', end);
  if (!Number.isInteger(steps) || steps < 0) throw argError('linspace', 'steps', steps, 'a non-negative integer');
  const vals = new Float64Array(steps);
  for (let i = 0; i < steps; i++) vals[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  const { dtype, device, requiresGrad } = opts('linspace', o);
  return finish(tensor(vals, { dtype, device, shape: [steps] }), requiresGrad);
}

/** n x m identity (m defaults to n). */
export function eye(n: number, m = n, o?: CreateOptions): Tensor {
  if (!Number.isInteger(n) || n < 0) throw argError('eye', 'n', n, 'a non-negative integer');
  if (!Number.isInteger(m) || m < 0) throw argError('eye', 'm', m, 'a non-negative integer');
  const vals = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) vals[i * m + i] = 1;
  const { dtype, device, requiresGrad } = opts('eye', o);
  return finish(tensor(vals, { dtype, device, shape: [n, m] }), requiresGrad);
}
