// SPDX-License-Identifier: MIT
// The backward pass: iterative topological order (graphs of any depth), pruned to the nodes that
// lead to a wanted gradient, gradient shapes asserted, temporaries freed as it goes. With
// createGraph the gradient ops record a graph themselves, so the result can be differentiated.
import { ArgumentError, AutogradError, argError, checkBool, checkKnownKeys, checkOptions, DTypeError, ShapeError, show } from '../errors.js';
import { keep, tidy } from '../tensor/scope.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { setGradEnabled } from './mode.js';
import { LeafNode, type Node } from '../tensor/node.js';
import { addGrads, cloneTensor, onesLikeNoGrad } from './helpers.js';

export interface GradOptions {
  /** Gradients of the outputs (default: ones, allowed only for one-element outputs). */
  gradOutputs?: Tensor | (Tensor | null)[] | null;
  /** Record the backward pass as a graph, so the gradients can be differentiated again. */
  createGraph?: boolean;
  /** Keep the graph's saved tensors for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

function topoOrder(roots: Node[], isTarget: (n: Node) => boolean, boundary: boolean): { order: Node[]; needed: Set<Node> } {
  // Iterative post-order DFS; `needed` = nodes with a path to a target. With `boundary`, the walk
  // stops at targets (their gradient is wanted, not what lies behind them).
  const order: Node[] = [];
  const state = new Map<Node, number>();  // 1 = on stack, 2 = done
  const needed = new Set<Node>();
  const stack: [Node, number][] = [];
  for (const r of roots) {
    if (state.has(r)) continue;
    stack.push([r, 0]);
    state.set(r, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [n, i] = top;
      if (i < n.inputs.length && !(boundary && isTarget(n))) {
        top[1]++;
        const c = n.inputs[i];
        if (c && !state.has(c)) {
          state.set(c, 1);
          stack.push([c, 0]);
        }
        continue;
      }
      stack.pop();
      state.set(n, 2);
      if (isTarget(n) || n.inputs.some((c) => c && needed.has(c))) needed.add(n);
      order.push(n);
    }
  }
  return { order: order.reverse(), needed };
}

function normaliseGradOutputs(op: string, outputs: Tensor[], g: GradOptions['gradOutputs']): (Tensor | null)[] {
  const list = g == null ? outputs.map(() => null) : Array.isArray(g) ? g : [g];
  if (list.length !== outputs.length)
    throw new ArgumentError(`${op}: got ${list.length} gradOutputs for ${outputs.length} outputs`);
  return list.map((gi, i) => {
    const o = outputs[i];
    if (gi !== null && gi !== undefined && !(gi instanceof Tensor)) throw argError(op, `gradOutputs[${i}]`, gi, 'a Tensor or null');
    if (gi == null) {
      if (o.size !== 1)
        throw new ArgumentError(`${op}: output ${i} has shape [${o.shape.join(', ')}]; gradOutputs are required for outputs with more than one element`);
      return null;
    }
    gi.assertLive(op, 'gradOutputs');
    if (gi.dtype !== o.dtype) throw new DTypeError(`${op}: gradOutputs[${i}] has dtype ${gi.dtype}, expected ${o.dtype} like output ${i}`);
    if (!gi.device.equals(o.device)) throw new ArgumentError(`${op}: gradOutputs[${i}] is on ${gi.device}, output ${i} on ${o.device}`);
    if (!sameShape(gi.shape, o.shape))
      throw new ShapeError(`${op}: gradOutputs[${i}] has shape [${gi.shape.join(', ')}], expected [${o.shape.join(', ')}]`);
    return gi;
  });
}

/** Core of backward() and grad(). targets = null: accumulate into every reachable leaf. */
function run(op: string, outputs: Tensor[], gradOutputs: (Tensor | null)[], targets: Node[] | null, createGraph: boolean,
  retainGraph: boolean, boundary = false): Map<Node, Tensor> {
  for (const [i, o] of outputs.entries()) {
    o.assertLive(op, `outputs[${i}]`);
    if (!o.node) throw new AutogradError(`${op}: output ${i} does not require grad (no input of its graph has requiresGrad)`);
  }
  const targetSet = targets ? new Set(targets) : null;
  const isTarget = (n: Node) => (targetSet ? targetSet.has(n) : n.isLeaf);
  const { order, needed } = topoOrder(outputs.map((o) => o.node!), isTarget, boundary);
  const prev = setGradEnabled(createGraph);
  try {
    // Temporaries die with this tidy; the wanted gradients are returned into the caller's scope.
    const pairs = tidy(() => {
      const results = new Map<Node, Tensor>();
      const handed = new Set<unknown>();
      const grads = new Map<Node, Tensor>();
      outputs.forEach((o, i) => {
        const g = gradOutputs[i] ?? onesLikeNoGrad(o);
        const cur = grads.get(o.node!);
        grads.set(o.node!, cur ? addGrads(cur, g) : g);
      });
      for (const n of order) {
        const g = grads.get(n);
        if (!g || !needed.has(n)) continue;
        grads.delete(n);
        if (targetSet?.has(n)) results.set(n, g);
        if (n.isLeaf || (boundary && targetSet?.has(n))) {
          if (!targetSet && n.isLeaf) accumulateLeaf((n as LeafNode).leaf, g, createGraph, handed);
          continue;
        }
        if (!n.inputs.some((c) => c && needed.has(c))) continue;
        const gin = n.apply(g, createGraph, (c) => needed.has(c));
        if (gin.length !== n.inputs.length)
          throw new AutogradError(`${op}: gradient of '${n.name}' returned ${gin.length} values for ${n.inputs.length} inputs`);
        n.inputs.forEach((c, i) => {
          const gi = gin[i];
          if (!c || !gi || !needed.has(c)) return;
          if (!sameShape(gi.shape, c.shape))
            throw new AutogradError(`${op}: gradient of '${n.name}' for input ${i} has shape [${gi.shape.join(', ')}], expected [${c.shape.join(', ')}]`);
          const cur = grads.get(c);
          grads.set(c, cur ? addGrads(cur, gi) : gi);
        });
        if (!retainGraph) n.release();
      }
      return [...results.entries()].map(([node, t]) => ({ node, t }));
    });
    return new Map(pairs.map((p) => [p.node, p.t]));
  } finally {
    setGradEnabled(prev);
  }
}

function accumulateLeaf(leaf: Tensor, g: Tensor, createGraph: boolean, handed: Set<unknown>): void {
  if (leaf.disposed) return;
  // The leaf needs a tensor of its own (users scale .grad in place, e.g. clipping): gradients that
  // flow through add() are shared objects, so a storage already handed out is copied.
  const shared = handed.has(g.storage) || g.internal || !g.isContiguous || g._scope === null;
  const own = shared ? cloneTensor(g, createGraph) : g;
  handed.add(own.storage);
  if (leaf.grad) {
    const sum = addGrads(leaf.grad, own);
    leaf.grad.dispose();
    if (own !== g) own.dispose();
    leaf.grad = keep(sum);
  } else {
    leaf.grad = keep(own);
  }
  if (leaf._gradHooks) for (const h of [...leaf._gradHooks]) h(leaf);
}

/** The outputs argument of backward()/grad(): a tensor or a non-empty array of live tensors. */
function checkOutputs(op: string, outputs: unknown): Tensor[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  if (outs.length === 0) throw argError(op, 'outputs', outputs, 'a tensor or a non-empty array of tensors');
  outs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw argError(op, Array.isArray(outputs) ? `outputs[${i}]` : 'outputs', t, 'a Tensor');
    t.assertLive(op, 'outputs');
  });
  return outs as Tensor[];
}

function checkGradOptions(op: string, opts: unknown): GradOptions {
  const o = checkOptions(op, 'options', opts as GradOptions);
  checkKnownKeys(op, 'options', o, ['gradOutputs', 'createGraph', 'retainGraph', 'allowUnused']);
  for (const k of ['createGraph', 'retainGraph', 'allowUnused'] as const) if (o[k] !== undefined) checkBool(op, k, o[k]);
  return o;
}

/** Accumulates d(outputs)/d(leaf) into every leaf's .grad. */
export function backward(outputs: Tensor | Tensor[], opts: GradOptions = {}): void {
  const outs = checkOutputs('backward', outputs);
  const o = checkGradOptions('backward', opts);
  const gos = normaliseGradOutputs('backward', outs, o.gradOutputs);
  const createGraph = !!o.createGraph;
  run('backward', outs, gos, null, createGraph, o.retainGraph ?? createGraph);
}

/**
 * Local gradients of a composite definition: like grad(), but the walk stops at `inputs`, so the
 * result holds only the paths from outputs to inputs even when an input depends on another.
 * Fused ops use this to differentiate their composite form inside a createGraph backward.
 */
export function localGrad(outputs: Tensor, inputs: Tensor[], gradOutput: Tensor): (Tensor | null)[] {
  const res = run('grad', [outputs], [gradOutput], inputs.map((t) => t.node!), true, true, true);
  return inputs.map((t) => (t.node ? res.get(t.node) ?? null : null));
}

/** Gradients of outputs with respect to inputs, returned (not accumulated). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = checkOutputs('grad', outputs);
  if (!Array.isArray(inputs) || inputs.length === 0) throw argError('grad', 'inputs', inputs, 'a non-empty array of tensors');
  const opts = checkGradOptions('grad', options);
  const gos = normaliseGradOutputs('grad', outs, opts.gradOutputs);
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw argError('grad', `inputs[${i}]`, t, 'a Tensor');
    t.assertLive('grad', `inputs[${i}]`);
    if (!t.node) throw new AutogradError(`grad: inputs[${i}] does not require grad`);
  });
  const createGraph = !!opts.createGraph;
  const res = run('grad', outs, gos, inputs.map((t) => t.node!), createGraph, opts.retainGraph ?? createGraph);
  const seen = new Set<Tensor>();
  return inputs.map((t, i) => {
    let g = res.get(t.node!) ?? null;
    if (!g) {
      if (!opts.allowUnused) throw new AutogradError(`grad: inputs[${i}] was not used to compute the outputs (pass { allowUnused: true } to get null)`);
      return null;
    }
    // The same input listed twice gets two tensors (each is the caller's to dispose).
    if (seen.has(g)) g = cloneTensor(g, createGraph);
    seen.add(g);
    return g;
  });
}
