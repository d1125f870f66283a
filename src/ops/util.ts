// SPDX-License-Identifier: MIT
// Helpers shared by the op files: argument checks and the native view arguments.
import { argError, DeviceError, DTypeError, show } from '../errors.js';
import type { BufArg, ViewArg } from '../native_kernels.gen.js';
import { isFloat, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** How a strided view is passed to a kernel. */
export function nv(t: Tensor): ViewArg {
  return { buffer: t.storage.buffer, offset: t.offset, shape: t.shape, strides: t.strides };
}

/** A contiguous operand. */
export function nc(t: Tensor): BufArg {
  return { buffer: t.storage.buffer, offset: t.offset };
}

/** A contiguous operand, or null for an absent optional one. */
export function ncOpt(t: Tensor | null | undefined): BufArg | null {
  return t ? { buffer: t.storage.buffer, offset: t.offset } : null;
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
export function nvBroadcast(t: Tensor, shape: readonly number[]): ViewArg {
  const nd = shape.length, off = nd - t.ndim;
  if (off === 0 && t.shape.every((d, i) => d === shape[i])) return nv(t);
  const strides = new Array<number>(nd).fill(0);
  for (let i = 0; i < t.ndim; i++) strides[off + i] = t.shape[i] === 1 && shape[off + i] !== 1 ? 0 : t.strides[i];
  return { buffer: t.storage.buffer, offset: t.offset, shape, strides };
}
