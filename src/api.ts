// SPDX-License-Identifier: MIT
// The public boundary of the functional API. Each function a user imports from 'lcss' (and each
// Tensor method) is the op itself behind a guard that costs nothing when the call succeeds; when
// it throws, the guard makes the error say which function the user called:
//  - an LcssError raised by an inner op ("full: ..." under zeros, "var: ..." under std) is renamed
//    to the function called ("zeros: ..."), keeping its class and stack;
//  - a failure that is not an LcssError (a TypeError from an argument no check anticipated) becomes
//    an ArgumentError naming the function, with the original as `cause` and `unchecked` set: the
//    fuzzer (test/fuzz) fails on those, so each one gets a real check with a real message.
// The innermost guard attributes an error; outer guards pass it on untouched, so a public call
// made inside a user's callback keeps its own name. Functions that run user callbacks (tidy,
// noGrad, profile, samplers...) are not guarded: the user's own errors must reach them as thrown.
// Library code imports ops from their modules, not from here, so internal calls are never guarded.
import { ArgumentError, LcssError } from './errors.js';

const ATTRIBUTED = Symbol.for('lcss.attributed');

/** Marks and, if needed, renames an error escaping the public function `name`. */
export function attributeError(name: string, e: unknown): unknown {
  if (e !== null && typeof e === 'object' && (e as Record<symbol, unknown>)[ATTRIBUTED]) return e;
  if (e instanceof LcssError) {
    const m = /^([\w.$]+): /.exec(e.message);
    if (!m || m[1] !== name) {
      const old = e.message;
      e.message = m ? `${name}: ${old.slice(m[0].length)}` : `${name}: ${old}`;
      if (typeof e.stack === 'string') e.stack = e.stack.replace(old, e.message);
    }
    (e as unknown as Record<symbol, unknown>)[ATTRIBUTED] = true;
    return e;
  }
  const msg = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  const w = new ArgumentError(`${name}: invalid arguments (${msg})`);
  (w as ArgumentError & { cause?: unknown; unchecked?: boolean }).cause = e;
  (w as ArgumentError & { unchecked?: boolean }).unchecked = true;
  (w as unknown as Record<symbol, unknown>)[ATTRIBUTED] = true;
  return w;
}

/** `f` behind the guard, under the public name `name`. */
export function guard<F extends (...args: never[]) => unknown>(name: string, f: F): F {
  const g = function (this: unknown, ...args: unknown[]) {
    try {
      return (f as unknown as (...a: unknown[]) => unknown).apply(this, args);
    } catch (e) {
      throw attributeError(name, e);
    }
  };
  Object.defineProperty(g, 'name', { value: name });
  Object.defineProperty(g, 'length', { value: f.length });
  return g as unknown as F;
}

/** Every function of a module namespace behind the guard, under its export name. */
export function guardAll<T extends object>(m: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    out[k] = typeof v === 'function' && !/^class[\s{]/.test(Function.prototype.toString.call(v)) ? guard(k, v as never) : v;
  }
  return out as T;
}
