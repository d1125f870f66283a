// SPDX-License-Identifier: MIT
// Autograd graph nodes. A node is the op that produced one tensor: its input edges (the nodes of
// the inputs that need gradients), the tensors it saved, and its gradient function written with
// ops, so gradients of gradients work. Leaves have a LeafNode that accumulates into `.grad`.
// The node is part of the tensor (tensor.node), so it lives in the tensor layer; recording nodes
// (attachGrad) and running them (backward) is autograd's.
import { AutogradError } from '../errors.js';
import type { DType } from './dtype.js';
import type { Scope } from './scope.js';
import type { Tensor } from './tensor.js';

export interface BackwardCtx {
  /** The backward pass records a graph (grad(..., { createGraph: true })): fused kernels whose
   *  gradients are not differentiable must fall back to their composite definitions. */
  createGraph: boolean;
  /** needsGrad[i]: whether input i needs a gradient (skip the work otherwise). */
  needsGrad: boolean[];
}

/** Returns one gradient per input (null/undefined where not needed). */
export type BackwardFn = (g: Tensor, saved: Tensor[], ctx: BackwardCtx) => (Tensor | null | undefined)[];

export class Node {
  scope: Scope | null = null;
  released = false;

  constructor(
    readonly name: string,
    readonly inputs: (Node | null)[],
    public saved: Tensor[] | null,
    private readonly fn: BackwardFn | null,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}

  get isLeaf(): boolean {
    return false;
  }

  /**
   * Runs the gradient function after checking the saved tensors were not modified in place.
   * `isNeeded` tells which inputs lead to a wanted gradient, so the op can skip the others (a
   * Jacobian-vector product w.r.t. x must not also compute and record every weight gradient).
   */
  apply(g: Tensor, createGraph: boolean, isNeeded?: (n: Node) => boolean): (Tensor | null | undefined)[] {
    if (this.released || !this.saved || !this.fn)
      throw new AutogradError(`backward: the graph through '${this.name}' was already freed (by an earlier backward, or by the tidy() that created it); pass { retainGraph: true } to backward through it twice`);
    for (const s of this.saved)
      if (s.storage.version !== s._savedVersion)
        throw new AutogradError(`backward: a tensor saved by '${this.name}' (shape [${s.shape.join(', ')}]) was modified in place after it was saved`);
    return this.fn(g, this.saved, { createGraph, needsGrad: this.inputs.map((i) => i !== null && (!isNeeded || isNeeded(i))) });
  }

  /** Frees the saved tensors; the node can no longer run backward. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.saved) for (const s of this.saved) s.dispose();
    this.saved = null;
  }
}

export class LeafNode extends Node {
  constructor(readonly leaf: Tensor) {
    super('leaf', [], [], null, leaf.shape, leaf.dtype);  // owned by its tensor, never by a tidy scope
  }
  override get isLeaf(): boolean {
    return true;
  }
  override release(): void {}
}
