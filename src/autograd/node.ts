// SPDX-License-Identifier: MIT
// Recording the autograd graph: attachGrad gives an op's output the node that computes its
// gradient (the node classes themselves live with the tensor, in src/tensor/node.ts).
import { Node, type BackwardFn } from '../tensor/node.js';
import { trackNode } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './mode.js';

/** True when an op with these inputs must record a node. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t && t.node) return true;
  return false;
}

/**
 * Records `out` as produced by op `name` from `inputs`, saving `saves` for the gradient function.
 * A no-op when no input needs gradients or recording is off. Returns `out`.
 */
export function attachGrad(out: Tensor, name: string, inputs: (Tensor | null | undefined)[], saves: Tensor[], fn: BackwardFn): Tensor {
  if (!needsGrad(...inputs)) return out;
  const edges = inputs.map((t) => (t && t.node ? t.node : null));
  const node = new Node(name, edges, null, fn, out.shape, out.dtype);
  trackNode(node);
  out.node = node;
  // Saved after out.node is set, so a saved output keeps its place in the graph (second
  // derivatives flow through it).
  node.saved = saves.map((s) => Tensor.saved(s));
  return out;
}
