// SPDX-License-Identifier: MIT
// Adam / AdamW on the fused native update (one pass over p, g, m, v per parameter), with linear
// learning-rate warm-up and global gradient-norm clipping as in score_sde's optimization_manager.
import { checkBool, checkFinite, checkInt, checkKnownKeys, checkOptions, ArgumentError } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { adamStep_, zerosLike } from '../ops/index.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { clipGradNorm } from './clip.js';
import { Optimizer, type OptimizerState } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** decoupled weight decay (AdamW) instead of L2 added to the gradient */
  decoupled?: boolean;
  /** linear warm-up: lr * min(step / warmup, 1) (0 = none) */
  warmup?: number;
  /** clip the global gradient norm to this value before each step (0 or undefined = no clipping) */
  gradClip?: number;
}

export class Adam extends Optimizer {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  readonly warmup: number;
  readonly gradClip: number;
  private m: Tensor[] = [];
  private v: Tensor[] = [];
  /** Global gradient norm measured at the last step (before clipping), when clipping is on. */
  lastGradNorm = NaN;

  constructor(params: Tensor[], opts: AdamOptions = {}) {
    const o = checkOptions('Adam', 'options', opts);
    checkKnownKeys('Adam', 'options', o, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'decoupled', 'warmup', 'gradClip']);
    super(params, 'Adam');
    this.lr = checkFinite('Adam', 'lr', o.lr ?? 1e-3, { min: 0 });
    this.beta1 = checkFinite('Adam', 'beta1', o.beta1 ?? 0.9, { min: 0, max: 1 });
    this.beta2 = checkFinite('Adam', 'beta2', o.beta2 ?? 0.999, { min: 0, max: 1 });
    if (this.beta1 >= 1 || this.beta2 >= 1) throw new ArgumentError(`Adam: betas must be < 1 (got ${this.beta1}, ${this.beta2})`);
    this.eps = checkFinite('Adam', 'eps', o.eps ?? 1e-8, { min: 0 });
    this.weightDecay = checkFinite('Adam', 'weightDecay', o.weightDecay ?? 0, { min: 0 });
    this.decoupled = o.decoupled === undefined ? false : checkBool('Adam', 'decoupled', o.decoupled);
    this.warmup = checkInt('Adam', 'warmup', o.warmup ?? 0, 0);
    this.gradClip = checkFinite('Adam', 'gradClip', o.gradClip ?? 0, { min: 0 });
    this.m = this.params.map((p) => keep(zerosLike(p)));
    this.v = this.params.map((p) => keep(zerosLike(p)));
  }

  /** The learning rate the next step will use (after warm-up). */
  currentLr(): number {
    const t = this.stepCount + 1;
    return this.warmup > 0 ? this.lr * Math.min(t / this.warmup, 1) : this.lr;
  }

  step(): void {
    const lr = this.currentLr();
    if (this.gradClip > 0) this.lastGradNorm = clipGradNorm(this.params, this.gradClip);
    this.stepCount++;
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (!p.grad) return;
        adamStep_(p, p.grad, this.m[i], this.v[i], {
          lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay,
          step: this.stepCount, decoupled: this.decoupled,
        });
      });
    });
  }

  override state(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    this.m.forEach((t, i) => tensors.set(`m.${i}`, t));
    this.v.forEach((t, i) => tensors.set(`v.${i}`, t));
    return { step: this.stepCount, tensors };
  }

  override loadState(s: OptimizerState): void {
    this.loadTensors(s, [['m', this.m], ['v', this.v]]);
    this.stepCount = s.step;
  }

  override dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
