// SPDX-License-Identifier: MIT
// Module: a tree of named parameters, buffers and submodules, with train/eval mode and state dicts.
// Parameters and buffers are kept (exempt from tidy) and live until the module is disposed.
import { ArgumentError, argError, checkBool, DTypeError, LcssError, ShapeError, show } from '../errors.js';
import { markAttributed } from '../api.js';
import { noGrad } from '../autograd/mode.js';
import { copy_ } from '../ops/index.js';
import { keep } from '../tensor/scope.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export type StateDict = Map<string, Tensor>;

// forward() of every Module subclass runs behind a guard: an LcssError escaping the outermost
// forward call is renamed to that module ("NCSNpp.forward: x must be [N, C, H, W] ... (in
// conv2d)"), so the message names what the user called, with the op that failed in brackets.
// Inner forward calls pass errors through; errors that are not LcssErrors (a user's own module's
// bug) are never touched. Installed once per class, on its prototype, at its first construction.
let forwardDepth = 0;
const GUARDED = Symbol('lcss.forwardGuarded');

function renameForModule(name: string, e: unknown): unknown {
  if (!(e instanceof LcssError)) return e;
  markAttributed(e);
  const m = /^([\w.$]+): /.exec(e.message);
  if (m && m[1] === name) return e;
  const old = e.message;
  e.message = m ? `${name}: ${old.slice(m[0].length)} (in ${m[1]})` : `${name}: ${old}`;
  if (typeof e.stack === 'string') e.stack = e.stack.replace(old, e.message);
  return e;
}

function guardForward(cls: Function): void {
  for (let p = cls.prototype; p && p !== Module.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (!Object.prototype.hasOwnProperty.call(p, 'forward') || Object.prototype.hasOwnProperty.call(p, GUARDED)) continue;
    const f = p.forward as (...a: unknown[]) => unknown;
    if (typeof f !== 'function') continue;
    const owner = p.constructor?.name ?? 'Module';
    p.forward = function guardedForward(this: Module, ...args: unknown[]) {
      forwardDepth++;
      try {
        return f.apply(this, args);
      } catch (e) {
        throw forwardDepth === 1 ? renameForModule(`${this.constructor?.name ?? owner}.forward`, e) : e;
      } finally {
        forwardDepth--;
      }
    };
    Object.defineProperty(p, GUARDED, { value: true });
  }
}

export abstract class Module {
  constructor() {
    if (new.target === Module) throw new ArgumentError('Module: the class is abstract; subclass it (class Net extends Module { forward(x) { ... } })');
    guardForward(new.target);
  }
  training = true;
  private readonly _params = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _modules = new Map<string, Module>();

  /** Registers a trainable parameter (requiresGrad is set; the module owns the tensor). */
  protected param(name: string, t: Tensor): Tensor {
    this.checkName('Module.param', name);
    if (!(t instanceof Tensor)) throw argError('Module.param', 'tensor', t, 'a Tensor');
    t.assertLive('Module.param', 'tensor');
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(`Module.param: parameter ${show(name)} has dtype ${t.dtype}; parameters are float32 or float64`);
    keep(t);
    if (!t.requiresGrad) t.requiresGrad = true;
    this._params.set(name, t);
    return t;
  }

  /** Registers a non-trainable tensor saved in the state dict (running statistics, constants). */
  protected buffer(name: string, t: Tensor): Tensor {
    this.checkName('Module.buffer', name);
    if (!(t instanceof Tensor)) throw argError('Module.buffer', 'tensor', t, 'a Tensor');
    t.assertLive('Module.buffer', 'tensor');
    keep(t);
    this._buffers.set(name, t);
    return t;
  }

  /** Registers a child module. */
  protected module<M extends Module>(name: string, m: M): M {
    this.checkName('Module.module', name);
    if (!(m instanceof Module)) throw argError('Module.module', 'module', m, 'a Module');
    if ((m as Module) === this || [...m.namedModules()].some(([, c]) => c === this)) throw new ArgumentError(`Module.module: registering ${show(name)} would make the module tree a cycle`);
    this._modules.set(name, m);
    return m;
  }

  private checkName(op: string, name: unknown): void {
    if (typeof name !== 'string' || !name || name.includes('.')) throw argError(op, 'name', name, 'a non-empty string without dots');
    if (this._params.has(name) || this._buffers.has(name) || this._modules.has(name))
      throw new ArgumentError(`${op}: name ${show(name)} is already registered`);
  }

  *namedModules(prefix = ''): Generator<[string, Module]> {
    if (typeof prefix !== 'string') throw argError('Module.namedModules', 'prefix', prefix, 'a string');
    yield [prefix, this];
    for (const [n, m] of this._modules) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }

  children(): Module[] {
    return [...this._modules.values()];
  }

  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [p, m] of this.namedModules()) for (const [n, t] of m._params) out.push([p ? `${p}.${n}` : n, t]);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [p, m] of this.namedModules()) for (const [n, t] of m._buffers) out.push([p ? `${p}.${n}` : n, t]);
    return out;
  }

  /** Total number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((a, t) => a + t.size, 0);
  }

  train(on = true): this {
    checkBool('Module.train', 'on', on);
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Parameters and buffers by dotted path (the tensors themselves, not copies). */
  stateDict(): StateDict {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values from `sd` into this module's tensors. strict (default) requires exactly the same
   * names; shapes must always match. Errors list every offending entry.
   */
  loadStateDict(sd: StateDict | Record<string, Tensor>, strict = true): void {
    const op = 'Module.loadStateDict';
    if (!(sd instanceof Map) && (sd === null || typeof sd !== 'object' || Array.isArray(sd))) throw argError(op, 'stateDict', sd, 'a Map or an object of tensors by name');
    checkBool(op, 'strict', strict);
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    for (const [k, v] of src) {
      if (!(v instanceof Tensor)) throw argError(op, `stateDict[${JSON.stringify(String(k))}]`, v, 'a Tensor');
      v.assertLive(op, `stateDict[${JSON.stringify(String(k))}]`);
    }
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !src.has(k));
    const unexpected = [...src.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    if (strict && missing.length) problems.push(`missing keys: ${missing.join(', ')}`);
    if (strict && unexpected.length) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    for (const [k, t] of own) {
      const s = src.get(k);
      if (!s) continue;
      if (!sameShape(s.shape, t.shape)) problems.push(`${k}: shape ${show([...s.shape])} in the state dict, ${show([...t.shape])} in the module`);
      else if (s.dtype !== t.dtype && (s.dtype === 'bool' || t.dtype === 'bool')) problems.push(`${k}: dtype ${s.dtype} cannot be loaded into ${t.dtype}`);
    }
    if (problems.length) {
      const isShape = problems.some((p) => p.includes('shape'));
      const msg = `${op}: ${problems.join('; ')}`;
      throw isShape ? new ShapeError(msg) : problems.some((p) => p.includes('dtype')) ? new DTypeError(msg) : new ArgumentError(msg);
    }
    noGrad(() => {
      for (const [k, t] of own) {
        const s = src.get(k);
        if (s) copy_(t, s);
      }
    });
  }

  /** Frees every parameter and buffer (and their gradients). */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const t of m._params.values()) t.dispose();
      for (const t of m._buffers.values()) t.dispose();
    }
  }
}
