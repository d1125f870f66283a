// SPDX-License-Identifier: MIT
// Typed errors. Every message names the op, the argument, what was given and what was expected,
// so a user can fix the call without reading the engine.

export class LcssError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together (broadcasting, matmul inner dims, reshape sizes...). */
export class ShapeError extends LcssError {}
/** An unsupported or mismatched element type. */
export class DTypeError extends LcssError {}
/** Operands on different devices, or a device that is not available. */
export class DeviceError extends LcssError {}
/** Use of a tensor after dispose() (or after the tidy() that owned it ended). */
export class DisposedError extends LcssError {}
/** A bad option or scalar argument (non-finite, out of range, wrong type). */
export class ArgumentError extends LcssError {}
/** Autograd misuse: backward through a released graph, in-place modification of a saved tensor... */
export class AutogradError extends LcssError {}
/** An index outside the dimension it indexes (indexSelect, embedding, gather, scatterAdd...). */
export class IndexError extends LcssError {}
/** An allocation larger than the device can hold: says how much was asked and what is available. */
export class OutOfMemoryError extends LcssError {}
/** A failure reported by native code that no other class describes (carries the kernel's message and file:line). */
export class NativeError extends LcssError {}

/** Formats a value for an error message: arrays as [..], strings quoted, long values cut. */
export function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'object' && v && 'shape' in v && 'dtype' in v) {
    const t = v as { shape: number[]; dtype: string };
    return `Tensor(shape=[${t.shape.join(', ')}], dtype=${t.dtype})`;
  }
  const s = String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

export function argError(op: string, arg: string, got: unknown, expected: string): ArgumentError {
  return new ArgumentError(`${op}: argument '${arg}' got ${show(got)}, expected ${expected}`);
}

/** Checks a scalar option: a finite number (optionally within bounds). */
export function checkFinite(op: string, arg: string, v: unknown, opts: { min?: number; max?: number; integer?: boolean; minExclusive?: boolean } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw argError(op, arg, v, 'a finite number');
  if (opts.integer && !Number.isInteger(v)) throw argError(op, arg, v, 'an integer');
  if (opts.min !== undefined && (opts.minExclusive ? v <= opts.min : v < opts.min))
    throw argError(op, arg, v, `a number ${opts.minExclusive ? '>' : '>='} ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw argError(op, arg, v, `a number <= ${opts.max}`);
  return v;
}

export function checkInt(op: string, arg: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = min === -Infinity && max === Infinity ? '' : ` in [${min}, ${max}]`;
    throw argError(op, arg, v, `an integer${range}`);
  }
  return v;
}
