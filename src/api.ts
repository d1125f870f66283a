// SPDX-License-Identifier: MIT
// The public boundary of the functional API. Each function a user imports from 'lcss' (and each
// Tensor method) is the op itself behind a guard that costs nothing when the call succeeds; when
// it throws, the guard makes the error say which function the user called:
//  - an LcssError raised by an inner op ("full: ..." under zeros, "var: ..." under std) is renamed
//    to the function called ("zeros: ..."), keeping its class and stack;
//  - a failure that is not an LcssError (a TypeError from an argument no check anticipated) becomes
//    an ArgumentError naming the function, with the original as `cause` and `unchecked` set: the
//    fuzzer (test/fuzz) fails on those, so each one gets a real check with a real message.
// The outermost guard attributes: a guarded function or method called while another one runs
// (a method on `this`, a Tensor method used by a layer) passes errors through, so the name is
// the one the user called, never an inner step's. Functions that run user callbacks (samplers,
// train, likelihoods) do not count as outer: a public call made inside a user's callback keeps
// its own name, and they rename only LcssErrors (the user's own errors reach them as thrown).
// tidy, noGrad, profile and gradcheck are not guarded at all. Library code imports ops from
// their modules, not from here, so most internal calls never meet a guard.
import { ArgumentError, LcssError } from './errors.js';

const ATTRIBUTED = Symbol.for('lcss.attributed');

/** Marks an error as named by a public function, so outer guards leave it as it is. */
export function markAttributed<E>(e: E): E {
  if (e !== null && typeof e === 'object') (e as unknown as Record<symbol, unknown>)[ATTRIBUTED] = true;
  return e;
}

/**
 * Marks and, if needed, renames an error escaping the public function `name`. With
 * `callbacks`, errors that are not LcssErrors pass untouched: they may be the user's own, thrown
 * by a callback the function ran (a score function, a sampler's progress callback).
 */
export function attributeError(name: string, e: unknown, callbacks = false): unknown {
  if (e !== null && typeof e === 'object' && (e as Record<symbol, unknown>)[ATTRIBUTED]) return e;
  if (callbacks && !(e instanceof LcssError)) return e;
  if (e instanceof LcssError) {
    const m = /^([\w.$-]+): /.exec(e.message);
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

/** Guarded public calls in progress (callback-running ones excepted). */
let depth = 0;

/**
 * Calls f as the public function `name` (a string, or a function giving it, for methods named
 * after the instance's class): the outermost such call attributes what escapes.
 */
export function callGuarded(name: string | (() => string), f: (...a: unknown[]) => unknown, self: unknown, args: unknown[], callbacks = false): unknown {
  const nm = typeof name === 'string' ? () => name : name;
  if (!callbacks && depth > 0) return f.apply(self, args);
  let r: unknown;
  if (!callbacks) depth++;
  try {
    r = f.apply(self, args);
  } catch (e) {
    throw attributeError(nm(), e, callbacks);
  } finally {
    if (!callbacks) depth--;
  }
  if (r instanceof Promise) return r.catch((e: unknown) => { throw attributeError(nm(), e, callbacks); });
  return r;
}

/** `f` behind the guard, under the public name `name` (async results are guarded too). */
export function guard<F extends (...args: never[]) => unknown>(name: string, f: F, callbacks = false): F {
  const g = function (this: unknown, ...args: unknown[]) {
    return callGuarded(name, f as unknown as (...a: unknown[]) => unknown, this, args, callbacks);
  };
  Object.defineProperty(g, 'name', { value: name });
  Object.defineProperty(g, 'length', { value: f.length });
  return g as unknown as F;
}

/**
 * Every function of a module namespace behind the guard, under its export name (classes and
 * values as they are). Functions listed in `callbacks` run user code: for them only LcssErrors
 * are renamed. `prefix` names them in a namespace ('data.mnist' is named 'mnist').
 */
export function guardAll<T extends object>(m: T, callbacks: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    out[k] = typeof v === 'function' && !/^class[\s{]/.test(Function.prototype.toString.call(v)) ? guard(k, v as never, callbacks.includes(k)) : v;
  }
  return out as T;
}

const METHODS_GUARDED = Symbol('lcss.methodsGuarded');

/**
 * Every method a public class defines (and every method of its ancestors up to, not including,
 * `stop`) behind the guard, named `Class.method` after the instance's own class. Methods listed
 * in `callbacks` run user code (a reverse SDE calls the score function it was given). Getters,
 * constructors and `forward` (Module has its own guard) are left alone.
 */
export function guardMethods(cls: Function, callbacks: readonly string[] = [], stop: Function = Object): void {
  for (let p = cls.prototype; p && p !== Object.prototype && p !== stop.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, METHODS_GUARDED)) continue;
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor' || k === 'forward') continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (!d || typeof d.value !== 'function') continue;
      const f = d.value as (...a: unknown[]) => unknown;
      const owner = (p as { constructor?: { name?: string } }).constructor?.name ?? 'Object';
      const cb = callbacks.includes(k);
      Object.defineProperty(p, k, {
        ...d,
        value: function guardedMethod(this: unknown, ...args: unknown[]) {
          return callGuarded(() => `${(this as { constructor?: { name?: string } })?.constructor?.name ?? owner}.${k}`, f, this, args, cb);
        },
      });
    }
    Object.defineProperty(p, METHODS_GUARDED, { value: true });
  }
}
