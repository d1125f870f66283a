// SPDX-License-Identifier: MIT
// Helpers shared by the op files: argument checks and the native view arguments.
import { argError, DeviceError, DTypeError, show } from '../errors.js';
import type { NativeBuffer } from '../native.js';
import { isFloat, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** (buffer, offset, shape, strides): how a strided view is passed to the addon. */
export function nv(t: Tensor): [NativeBuffer, number, readonly number[], readonly number[]] {
  return [t.storage.buffer, t.offset, t.shape, t.strides];
}

/** (buffer, offset) of a contiguous operand. */
export function nc(t: Tensor): [NativeBuffer, number] {
  return [t.storage.buffer, t.offset];
}

/** (buffer, offset) or (null, 0) for an optional contiguous operand. */
export function ncOpt(t: Tensor | null | undefined): [NativeBuffer | null, number] {
  return t ? [t.storage.buffer, t.offset] : [null, 0];
}

export function checkTensor(op: string, arg: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new DTypeError(`${op}: argument '${arg}' got ${show(t)}, expected a Tensor`);
  t.assertLive(op, arg);
  return t;
}

export function checkFloatTensor(op: string, arg: string, t: unknown): Tensor {
  const x = checkTensor(op, arg, t);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: argument '${arg}' has dtype ${x.dtype}, expected float32 or float64`);
  return x;
}

export function checkSameDevice(op: string, ...ts: (Tensor | null | undefined)[]): void {
  let first: Tensor | null = null;
  for (const t of ts) {
    if (!t) continue;
    if (!first) first = t;
    else if (!t.device.equals(first.device))
      throw new DeviceError(`${op}: operands are on different devices (${first.device} and ${t.device}); move them with .to()`);
  }
}

export function checkSameDType(op: string, names: string[], ts: (Tensor | null | undefined)[]): DType {
  let d: DType | null = null;
  ts.forEach((t, i) => {
    if (!t) return;
    if (d === null) d = t.dtype;
    else if (t.dtype !== d) throw new DTypeError(`${op}: argument '${names[i]}' has dtype ${t.dtype}, expected ${d} like '${names[0]}'`);
  });
  return d ?? 'float32';
}

/** Expands a number or pair into a pair of integers (kernel sizes, strides, paddings). */
export function pair(op: string, arg: string, v: number | readonly number[], min: number): [number, number] {
  if (typeof v !== 'number' && !Array.isArray(v)) throw argError(op, arg, v, `an integer >= ${min} or a pair of them`);
  const p = typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || p.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < min))
    throw argError(op, arg, v, `an integer >= ${min} or a pair of them`);
  return p as [number, number];
}

/** View arguments of t broadcast (stride 0) to `shape`, without creating a tensor. */
export function nvBroadcast(t: Tensor, shape: readonly number[]): [NativeBuffer, number, readonly number[], readonly number[]] {
  const nd = shape.length, off = nd - t.ndim;
  if (off === 0 && t.shape.every((d, i) => d === shape[i])) return nv(t);
  const strides = new Array<number>(nd).fill(0);
  for (let i = 0; i < t.ndim; i++) strides[off + i] = t.shape[i] === 1 && shape[off + i] !== 1 ? 0 : t.strides[i];
  return [t.storage.buffer, t.offset, shape, strides];
}
