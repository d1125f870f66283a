// SPDX-License-Identifier: MIT
// Exponential moving average of parameters, with score_sde's semantics: with useNumUpdates the
// decay warms up as min(decay, (1 + n) / (10 + n)); the shadow is updated as s -= (1 - d)(s - p).
import { checkBool, checkFinite, checkKnownKeys, checkOptions } from '../errors.js';
import { checkParams } from './clip.js';
import { noGrad } from '../autograd/mode.js';
import { clone, detach, copy_, lerp_ } from '../ops/index.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface EMAOptions {
  /** target decay (score_sde: 0.999 for VP/subVP, 0.9999 for VE NCSN++) */
  decay?: number;
  /** warm the decay up with the number of updates (score_sde's use_num_updates, default true) */
  useNumUpdates?: boolean;
}

/** Kept copies of tensors, detached from the graph (the detached views are freed by the tidy). */
function copies(ts: Tensor[]): Tensor[] {
  return tidy(() => noGrad(() => ts.map((p) => keep(clone(detach(p))))));
}

export class EMA {
  readonly decay: number;
  readonly useNumUpdates: boolean;
  numUpdates = 0;
  readonly shadow: Tensor[];
  private backup: Tensor[] | null = null;

  constructor(private readonly params: Tensor[], opts: EMAOptions = {}) {
    checkParams('EMA', params);
    const o = checkOptions('EMA', 'options', opts);
    checkKnownKeys('EMA', 'options', o, ['decay', 'useNumUpdates']);
    this.decay = checkFinite('EMA', 'decay', o.decay ?? 0.999, { min: 0, max: 1 });
    this.useNumUpdates = o.useNumUpdates === undefined ? true : checkBool('EMA', 'useNumUpdates', o.useNumUpdates);
    this.shadow = copies(params);
  }

  /** The decay the next update uses. */
  currentDecay(): number {
    if (!this.useNumUpdates) return this.decay;
    return Math.min(this.decay, (1 + this.numUpdates + 1) / (10 + this.numUpdates + 1));
  }

  update(): void {
    const d = this.currentDecay();
    this.numUpdates++;
    noGrad(() => this.shadow.forEach((s, i) => lerp_(s, this.params[i], 1 - d)));
  }

  /** Writes the averaged values into the parameters (after store() if you want them back). */
  copyTo(): void {
    noGrad(() => this.params.forEach((p, i) => copy_(p, this.shadow[i])));
  }

  /** Saves the current parameters so restore() can put them back after evaluating with EMA. */
  store(): void {
    this.backup?.forEach((t) => t.dispose());
    this.backup = copies(this.params);
  }

  restore(): void {
    if (!this.backup) return;
    noGrad(() => this.params.forEach((p, i) => copy_(p, this.backup![i])));
    this.backup.forEach((t) => t.dispose());
    this.backup = null;
  }

  /** Runs fn with the EMA weights in the parameters, restoring the trained ones afterwards. */
  withAveraged<T>(fn: () => T): T {
    this.store();
    this.copyTo();
    try {
      return fn();
    } finally {
      this.restore();
    }
  }

  dispose(): void {
    this.shadow.forEach((t) => t.dispose());
    this.backup?.forEach((t) => t.dispose());
  }
}
