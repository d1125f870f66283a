// SPDX-License-Identifier: MIT
// Module: a tree of named parameters, buffers and submodules, with train/eval mode and state dicts.
// Parameters and buffers are kept (exempt from tidy) and live until the module is disposed.
import { ArgumentError, DTypeError, ShapeError, show } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { copy_ } from '../ops/inplace.js';
import { keep } from '../tensor/scope.js';
import { sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
// Layers above the ops use the method forms (x.add(y)); attach them however this module is loaded.
import '../tensor/methods.js';

export type StateDict = Map<string, Tensor>;

export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _modules = new Map<string, Module>();

  /** Registers a trainable parameter (requiresGrad is set; the module owns the tensor). */
  protected param(name: string, t: Tensor): Tensor {
    this.checkName(name);
    keep(t);
    if (!t.requiresGrad) t.requiresGrad = true;
    this._params.set(name, t);
    return t;
  }

  /** Registers a non-trainable tensor saved in the state dict (running statistics, constants). */
  protected buffer(name: string, t: Tensor): Tensor {
    this.checkName(name);
    keep(t);
    this._buffers.set(name, t);
    return t;
  }

  /** Registers a child module. */
  protected module<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    this._modules.set(name, m);
    return m;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new ArgumentError(`Module: invalid name ${show(name)} (non-empty, no dots)`);
    if (this._params.has(name) || this._buffers.has(name) || this._modules.has(name))
      throw new ArgumentError(`Module: name ${show(name)} is already registered`);
  }

  *namedModules(prefix = ''): Generator<[string, Module]> {
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
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
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
      const msg = `loadStateDict: ${problems.join('; ')}`;
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
