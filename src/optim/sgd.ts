// SPDX-License-Identifier: MIT
import { checkFinite, checkKnownKeys, checkOptions } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { add_, copy_, mul_, zerosLike } from '../ops/index.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type OptimizerState } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

/** Stochastic gradient descent with (torch-style) momentum: b = mu b + g; p -= lr b. */
export class SGD extends Optimizer {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private buf: Tensor[] = [];

  constructor(params: Tensor[], opts: SGDOptions = {}) {
    super(params, 'SGD');
    const o = checkOptions('SGD', 'options', opts);
    checkKnownKeys('SGD', 'options', o, ['lr', 'momentum', 'weightDecay']);
    this.lr = checkFinite('SGD', 'lr', o.lr ?? 1e-2, { min: 0 });
    this.momentum = checkFinite('SGD', 'momentum', o.momentum ?? 0, { min: 0, max: 1 });
    this.weightDecay = checkFinite('SGD', 'weightDecay', o.weightDecay ?? 0, { min: 0 });
    if (this.momentum > 0) this.buf = this.params.map((p) => keep(zerosLike(p)));
  }

  step(): void {
    this.stepCount++;
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (!p.grad) return;
        if (this.weightDecay > 0) add_(p.grad, p, this.weightDecay);
        if (this.momentum > 0) {
          const b = this.buf[i];
          if (this.stepCount === 1) copy_(b, p.grad);
          else add_(mul_(b, this.momentum), p.grad);
          add_(p, b, -this.lr);
        } else {
          add_(p, p.grad, -this.lr);
        }
      });
    });
  }

  override state(): OptimizerState {
    return { step: this.stepCount, tensors: new Map(this.buf.map((t, i) => [`momentum.${i}`, t])) };
  }

  override loadState(s: OptimizerState): void {
    if (this.buf.length) this.loadTensors(s, [['momentum', this.buf]]);
    this.stepCount = s.step;
  }

  override dispose(): void {
    for (const t of this.buf) t.dispose();
  }
}
