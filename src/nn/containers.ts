// SPDX-License-Identifier: MIT
// Containers. Children are registered under their index ('0', '1', ...) as in torch.nn, so state
// dicts line up with torch checkpoints of the same architecture.
import { argError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** A module with a one-tensor forward (what Sequential can chain). */
export interface UnaryModule extends Module {
  forward(x: Tensor): Tensor;
}

function isUnary(m: unknown): m is UnaryModule {
  return m instanceof Module && typeof (m as { forward?: unknown }).forward === 'function';
}

/** An indexable list of submodules; forward is up to the owner. */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(modules: readonly M[] = []) {
    super();
    if (!Array.isArray(modules)) throw argError(new.target.name, 'modules', modules, 'an array of modules');
    for (const m of modules) this.append(m);
  }

  append(m: M): this {
    if (!(m instanceof Module)) throw argError('ModuleList.append', 'm', m, 'a Module');
    this.module(String(this.items.length), m);
    this.items.push(m);
    return this;
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    if (typeof i !== 'number' || !Number.isInteger(i)) throw argError('ModuleList.at', 'i', i, 'an integer index');
    const m = this.items[i < 0 ? this.items.length + i : i];
    if (!m) throw argError('ModuleList.at', 'i', i, `an index in [${-this.items.length}, ${this.items.length - 1}]`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** Chains one-tensor modules: forward(x) = m_n(...m_1(x)). */
export class Sequential extends ModuleList<UnaryModule> implements UnaryModule {
  constructor(modules: readonly UnaryModule[] = []) {
    super();
    if (!Array.isArray(modules)) throw argError('Sequential', 'modules', modules, 'an array of modules');
    modules.forEach((m, i) => {
      if (!isUnary(m)) throw argError('Sequential', `modules[${i}]`, m, 'a Module with forward(x)');
      this.append(m);
    });
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this) h = m.forward(h);
    return h;
  }
}
