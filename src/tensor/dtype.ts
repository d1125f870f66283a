// SPDX-License-Identifier: MIT
import { DTypeError, show } from '../errors.js';

export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Numeric code shared with native/core/dtype.h. */
export const DTYPE_CODE: Record<DType, number> = { float32: 0, float64: 1, int32: 2, bool: 3 };

export type TypedArrayOf<D extends DType> = D extends 'float32' ? Float32Array
  : D extends 'float64' ? Float64Array : D extends 'int32' ? Int32Array : Uint8Array;
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export function typedArrayFor(dtype: DType, buf: ArrayBuffer | number): AnyTypedArray {
  switch (dtype) {
    case 'float32': return typeof buf === 'number' ? new Float32Array(buf) : new Float32Array(buf);
    case 'float64': return typeof buf === 'number' ? new Float64Array(buf) : new Float64Array(buf);
    case 'int32': return typeof buf === 'number' ? new Int32Array(buf) : new Int32Array(buf);
    case 'bool': return typeof buf === 'number' ? new Uint8Array(buf) : new Uint8Array(buf);
  }
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Result type of a binary op on two tensors (bool < int32 < float32 < float64). */
export function promote(a: DType, b: DType): DType {
  checkDType('promote', 'a', a);
  checkDType('promote', 'b', b);
  return RANK[a] >= RANK[b] ? a : b;
}

export function checkDType(op: string, arg: string, d: unknown): DType {
  if (typeof d !== 'string' || !(DTYPES as readonly string[]).includes(d))
    throw new DTypeError(`${op}: argument '${arg}' got dtype ${show(d)}, expected one of ${DTYPES.join(', ')}`);
  return d as DType;
}
