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
/** A file the library was asked to write (or a folder it was asked to use) that the system refused: carries the path and the system's code (ENOENT, EACCES...). */
export class FileError extends LcssError {
  constructor(message: string, readonly path: string, readonly code?: string) {
    super(message);
  }
}
/**
 * A failure of a data-parallel job: a collective that failed or timed out (its message names the
 * ranks that never reached it), a launch lcss cannot join (built without MPI), or ranks that
 * disagree about the run.
 */
export class DistributedError extends LcssError {}

/** A failure reported by native code that no other class describes (carries the kernel's message and file:line). */
export class NativeError extends LcssError {}

/**
 * Formats a value for an error message: arrays as [..], strings quoted, tensors by shape and
 * dtype, long values cut. Never throws, whatever it is given (it runs while reporting bad input).
 */
export function show(v: unknown, depth = 0): string {
  try {
    if (Array.isArray(v)) {
      if (depth > 2) return '[...]';
      const items = v.slice(0, 8).map((x) => show(x, depth + 1));
      return `[${items.join(', ')}${v.length > 8 ? `, ... (${v.length} items)` : ''}]`;
    }
    if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
    if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
    if (typeof v === 'bigint') return `${v}n (a BigInt)`;
    if (typeof v === 'symbol') return 'a Symbol';
    if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
    const o = v as { _isTensor?: boolean; shape?: unknown; dtype?: unknown; disposed?: boolean; constructor?: { name?: string } };
    if (o._isTensor === true && Array.isArray(o.shape))
      return `Tensor(shape=[${o.shape.join(', ')}], dtype=${String(o.dtype)}${o.disposed ? ', disposed' : ''})`;
    if (ArrayBuffer.isView(v)) return `a ${Object.getPrototypeOf(v)?.constructor?.name ?? 'typed array'} of ${(v as { length?: number }).length ?? '?'}`;
    const proto = Object.getPrototypeOf(v);
    if (proto === null) return 'an object with no prototype';
    if (proto === Object.prototype) {
      const keys = Object.keys(v as object);
      return keys.length ? `an object with keys ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', ...' : ''}` : 'an empty object';
    }
    const name = proto?.constructor?.name;
    return name ? `a ${name}` : 'an object';
  } catch {
    return 'an unprintable value';
  }
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

/**
 * An options argument: undefined (or null) gives {}; anything but a plain object is an error
 * (an array, a number or a tensor passed where options belong would otherwise be read as empty
 * options and silently ignored).
 */
export function checkOptions<T extends object>(op: string, arg: string, o: T | undefined | null): Partial<T> {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object' || Array.isArray(o) || ArrayBuffer.isView(o) || (o as { _isTensor?: boolean })._isTensor === true) throw argError(op, arg, o, 'an options object');
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) throw argError(op, arg, o, 'a plain options object');
  return o;
}

/** Refuses option names that `known` does not list (a typo must not be ignored). */
export function checkKnownKeys(op: string, arg: string, o: object, known: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!known.includes(k)) throw argError(op, `${arg}.${k}`, (o as Record<string, unknown>)[k], `one of the options ${known.join(', ')}`);
}

export function checkBool(op: string, arg: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw argError(op, arg, v, 'true or false');
  return v;
}

export function checkOneOf<T extends string>(op: string, arg: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw argError(op, arg, v, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  return v as T;
}

export function checkFunction<F extends (...a: never[]) => unknown>(op: string, arg: string, v: unknown): F {
  if (typeof v !== 'function') throw argError(op, arg, v, 'a function');
  return v as F;
}

/** An array of integers in [min, max] (of `length` items when given). */
export function checkIntArray(op: string, arg: string, v: unknown, o: { min?: number; max?: number; length?: number } = {}): number[] {
  const min = o.min ?? -Number.MAX_SAFE_INTEGER, max = o.max ?? Number.MAX_SAFE_INTEGER;
  if (!Array.isArray(v) || (o.length !== undefined && v.length !== o.length) || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max)) {
    const what = `${o.length !== undefined ? `${o.length} ` : 'an array of '}integers${min > -Number.MAX_SAFE_INTEGER || max < Number.MAX_SAFE_INTEGER ? ` in [${min}, ${max}]` : ''}`;
    throw argError(op, arg, v, what);
  }
  return v as number[];
}
