// SPDX-License-Identifier: MIT
// Scaled dot-product attention. On the CPU it runs as one fused native op (scores exist one block
// of query rows at a time; the backward recomputes them from a saved per-row logsumexp) and reads
// q, k, v at their strides, so transposed views cost no copy. Elsewhere, and when a higher-order
// graph is recorded, it is the composite matmul-softmax-matmul definition (differentiable again).
import { checkFinite, ShapeError, show } from '../errors.js';
import { localGrad } from '../autograd/engine.js';
import { attachGrad } from '../autograd/node.js';
import { kernels, native } from '../native.js';
import { tidy } from '../tensor/scope.js';
import { numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { mul } from './binary.js';
import { matmul } from './linalg.js';
import { softmax } from './softmax.js';
import { checkFloatTensor, nc } from './util.js';
import { contiguous, transpose } from './view.js';

/** The composite definition: softmax(q k^T * scale) v (reference, other devices, higher order). */
export function attentionComposite(q: Tensor, k: Tensor, v: Tensor, scale: number): Tensor {
  return tidy(() => matmul(softmax(mul(matmul(q, transpose(k)), scale), -1), v));
}

/** [batch, row, column] strides of t viewed as [B, rows, cols], or null if its batch dims do not collapse to one stride. */
function strides3(t: Tensor): [number, number, number] | null {
  const nd = t.ndim;
  let bs = 0, inner = 1, ok = true;
  let found = false;
  for (let i = nd - 3; i >= 0; i--) {
    if (t.shape[i] === 1) continue;
    if (!found) { bs = t.strides[i]; inner = t.shape[i]; found = true; continue; }
    if (t.strides[i] !== bs * inner) { ok = false; break; }
    inner *= t.shape[i];
  }
  // a size-1 dim never moves, so its stride (any value, negative after a flip) is irrelevant: 0.
  // Passing it through made strides3 refuse a tensor that contiguous() returns unchanged.
  const st: [number, number, number] = [bs, t.shape[nd - 2] === 1 ? 0 : t.strides[nd - 2], t.shape[nd - 1] === 1 ? 0 : t.strides[nd - 1]];
  return ok && st.every((x) => x >= 0) ? st : null;
}

function fused(Q: Tensor, K: Tensor, V: Tensor, scale: number): Tensor {
  const nd = Q.ndim, batch = Q.shape.slice(0, -2), B = numel(batch);
  const [Lq, D] = Q.shape.slice(-2), [Lk] = K.shape.slice(-2), Dv = V.shape[nd - 1];
  const ops = [Q, K, V].map((t) => (strides3(t) ? t : contiguous(t)));
  const [qs, ks, vs] = ops.map((t) => strides3(t)!);
  const o = Tensor.empty([...batch, Lq, Dv], Q.dtype, Q.device);
  const lse = Tensor.empty([B, Lq], Q.dtype, Q.device);
  if (o.size) {
    kernels.attentionForward({ B, Lq, Lk, D, Dv, scale, qStrides: qs, kStrides: ks, vStrides: vs,
      q: nc(ops[0]), k: nc(ops[1]), v: nc(ops[2]), o: nc(o), lse: nc(lse) });
  }
  const out = attachGrad(o, 'attention', [Q, K, V], [ops[0], ops[1], ops[2], lse], (g, [q, k, v, l], ctx) => {
    if (ctx.createGraph) {
      const ins = [q, k, v].filter((t, i) => ctx.needsGrad[i]);
      const grads = localGrad(attentionComposite(q, k, v, scale), ins, g);
      let j = 0;
      return [q, k, v].map((_, i) => (ctx.needsGrad[i] ? grads[j++] : null));
    }
    const gc = strides3(g) ? g : contiguous(g);
    const gos = strides3(gc)!;
    const gq = Tensor.empty(Q.shape, Q.dtype, Q.device), gk = Tensor.empty(K.shape, K.dtype, K.device), gv = Tensor.empty(V.shape, V.dtype, V.device);
    if (gq.size || gk.size || gv.size) {
      const [qs2, ks2, vs2] = [q, k, v].map((t) => strides3(t)!);
      kernels.attentionBackward({ B, Lq, Lk, D, Dv, scale, qStrides: qs2, kStrides: ks2, vStrides: vs2, goStrides: gos,
        q: nc(q), k: nc(k), v: nc(v), lse: nc(l), go: nc(gc), gq: nc(gq), gk: nc(gk), gv: nc(gv) });
    }
    if (gc !== g) gc.dispose();
    return [gq, gk, gv].map((t, i) => (ctx.needsGrad[i] ? t : (t.dispose(), null)));
  });
  ops.forEach((t, i) => t !== [Q, K, V][i] && t.dispose());
  lse.dispose();
  return out;
}

/** softmax(q k^T * scale) v for q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv]; scale = 1/sqrt(d). */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, scale?: number): Tensor {
  const Q = checkFloatTensor('attention', 'q', q), K = checkFloatTensor('attention', 'k', k), V = checkFloatTensor('attention', 'v', v);
  if (Q.ndim < 2 || K.ndim < 2 || V.ndim < 2 || Q.shape[Q.ndim - 1] !== K.shape[K.ndim - 1] || K.shape[K.ndim - 2] !== V.shape[V.ndim - 2])
    throw new ShapeError(`attention: incompatible shapes q ${show([...Q.shape])}, k ${show([...K.shape])}, v ${show([...V.shape])}`);
  const s = scale === undefined ? 1 / Math.sqrt(Q.shape[Q.ndim - 1]) : checkFinite('attention', 'scale', scale);
  // The fused kernel where this build has one for the device (the CPU), one dtype, equal batch dims
  // (no broadcasting), at least one key.
  const sameBatch = Q.ndim === K.ndim && K.ndim === V.ndim && Q.shape.slice(0, -2).every((d, i) => d === K.shape[i] && d === V.shape[i]);
  if (native.supports('attentionForward', Q.device.type, Q.dtype) && K.device.equals(Q.device) && V.device.equals(Q.device) && Q.dtype === K.dtype && K.dtype === V.dtype &&
    sameBatch && K.shape[K.ndim - 2] > 0)
    return fused(Q, K, V, s);
  return attentionComposite(Q, K, V, s);
}
