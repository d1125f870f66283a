// SPDX-License-Identifier: MIT
import { ArgumentError, ShapeError, show } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { copy_ } from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';

/** What a checkpoint stores of an optimiser: its step and named state tensors. */
export interface OptimizerState {
  step: number;
  tensors: Map<string, Tensor>;
}

export abstract class Optimizer {
  protected readonly params: Tensor[];
  stepCount = 0;

  constructor(params: Tensor[], readonly name: string) {
    if (new.target === Optimizer) throw new ArgumentError('Optimizer: the class is abstract; use Adam, SGD or a subclass');
    if (typeof name !== 'string') throw new ArgumentError(`Optimizer: argument 'name' got ${show(name)}, expected the optimiser's name`);
    if (!Array.isArray(params) || params.length === 0) throw new ArgumentError(`${name}: argument 'params' got ${show(params)}, expected a non-empty array of tensors (model.parameters())`);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ArgumentError(`${name}: argument 'params[${i}]' got ${show(p)}, expected a Tensor`);
      p.assertLive(name, `params[${i}]`);
      if (!p.requiresGrad) throw new ArgumentError(`${name}: params[${i}] (${p.name ?? 'unnamed'}) does not require grad`);
    });
    this.params = [...params];
  }

  abstract step(): void;

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  abstract state(): OptimizerState;
  abstract loadState(s: OptimizerState): void;
  abstract dispose(): void;

  protected loadTensors(s: OptimizerState, groups: [string, Tensor[]][]): void {
    if (!s || typeof s !== 'object' || !(s.tensors instanceof Map) || !Number.isInteger(s.step) || s.step < 0)
      throw new ArgumentError(`${this.name}.loadState: argument 'state' got ${show(s)}, expected { step, tensors } as state() returns`);
    const problems: string[] = [];
    for (const [prefix, list] of groups)
      list.forEach((t, i) => {
        const src = s.tensors.get(`${prefix}.${i}`);
        if (!src) problems.push(`missing ${prefix}.${i}`);
        else if (!(src instanceof Tensor) || src.disposed) problems.push(`${prefix}.${i} is not a live tensor`);
        else if (src.shape.length !== t.shape.length || src.shape.some((d, k) => d !== t.shape[k]))
          problems.push(`${prefix}.${i}: shape ${show([...src.shape])} vs parameter ${show([...t.shape])}`);
      });
    if (problems.length) throw new ShapeError(`${this.name}.loadState: ${problems.join('; ')}`);
    noGrad(() => {
      for (const [prefix, list] of groups) list.forEach((t, i) => copy_(t, s.tensors.get(`${prefix}.${i}`)!));
    });
  }
}
