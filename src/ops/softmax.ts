// SPDX-License-Identifier: MIT
// softmax / logSoftmax along one dim: fused native forward and backward; the backward is written
// with ops (in terms of the saved output) when a higher-order graph is recorded.
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { normDim, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { mul, sub } from './binary.js';
import { sum } from './reduce.js';
import { exp } from './unary.js';
import { checkFloatTensor, nc } from './util.js';
import { contiguous } from './view.js';

function softmaxImpl(name: string, x: Tensor, dim: number, log: boolean): Tensor {
  const t = checkFloatTensor(name, 'x', x);
  const d = normDim(name, dim, t.ndim);
  const xc = contiguous(t);
  const outer = numel(t.shape.slice(0, d)), D = t.ndim ? t.shape[d] : 1, inner = numel(t.shape.slice(d + 1));
  const y = Tensor.empty(t.shape, t.dtype, t.device);
  if (y.size) kernels.softmaxForward({ outer, D, inner, log, x: nc(xc), y: nc(y) });
  if (xc !== t) xc.dispose();
  return attachGrad(y, name, [t], [y], (g, [y], ctx) => {
    if (ctx.createGraph) {
      return log ? [sub(g, mul(exp(y), sum(g, d, true)))] : [mul(y, sub(g, sum(mul(g, y), d, true)))];
    }
    const gc = contiguous(g);
    const gx = Tensor.empty(t.shape, t.dtype, t.device);
    if (gx.size) kernels.softmaxBackward({ outer, D, inner, log, y: nc(y), gy: nc(gc), gx: nc(gx) });
    return [gx];
  });
}

export const softmax = (x: Tensor, dim = -1): Tensor => softmaxImpl('softmax', x, dim, false);
export const logSoftmax = (x: Tensor, dim = -1): Tensor => softmaxImpl('logSoftmax', x, dim, true);
