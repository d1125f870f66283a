// SPDX-License-Identifier: MIT
// Divergence of a vector field x -> f(x) (per sample, samples independent), by vector-Jacobian
// products: Hutchinson's estimator e^T (df/dx) e = <grad_x <f(x), e>, e> with a probe e fixed by
// the caller (E[e e^T] = I: Rademacher or Gaussian), or exactly as the sum of D VJPs with the unit
// vectors, for small D. score_sde's `get_div_fn` is the Hutchinson form.
import { argError, checkFunction, ShapeError, show } from '../errors.js';
import { grad } from '../autograd/engine.js';
import { enableGrad } from '../autograd/mode.js';
import { add, mul, sub, detach, tensor, zeros, bernoulli, Generator as GeneratorClass, randn, type Generator, sum, contiguous, expand, reshape, select } from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import { checkBatch, perSampleSize, rowSum } from '../sde/util.js';

export type ProbeKind = 'rademacher' | 'gaussian';

/** A Hutchinson probe shaped like x: Rademacher (+-1) or standard normal entries. */
export function hutchinsonProbe(x: Tensor, kind: ProbeKind, generator?: Generator): Tensor {
  checkBatch('hutchinsonProbe', 'x', x);
  if (generator !== undefined && !(generator instanceof GeneratorClass)) throw argError('hutchinsonProbe', 'generator', generator, 'a Generator');
  const o = { generator, dtype: x.dtype, device: x.device };
  if (kind === 'gaussian') return randn([...x.shape], o);
  if (kind === 'rademacher') return sub(mul(bernoulli(0.5, [...x.shape], o), 2), 1);
  throw argError('hutchinsonProbe', 'kind', kind, "'rademacher' or 'gaussian'");
}

/**
 * f(x) (detached) and its divergence per sample, [B]: Hutchinson's estimate with `probe`, or the
 * exact trace of the Jacobian when probe is null (D backward passes). Call inside a tidy.
 */
export function valueAndDivergence(fn: (x: Tensor) => Tensor, x: Tensor, probe: Tensor | null): { value: Tensor; div: Tensor } {
  const op = 'valueAndDivergence';
  checkFunction(op, 'fn', fn);
  checkBatch(op, 'x', x);
  if (probe !== null) {
    checkBatch(op, 'probe', probe);
    if (probe.ndim !== x.ndim || probe.shape.some((d, i) => d !== x.shape[i]))
      throw new ShapeError(`${op}: probe has shape ${show([...probe.shape])}, expected the shape of x ${show([...x.shape])} (or null for the exact divergence)`);
  }
  return enableGrad(() => {
    const xg = detach(x);
    xg.requiresGrad = true;
    const y = fn(xg);
    if (!(y instanceof Tensor)) throw argError(op, 'fn', y, 'a function returning a Tensor shaped like x');
    if (y.ndim !== x.ndim || y.shape.some((d, i) => d !== x.shape[i]))
      throw new ShapeError(`valueAndDivergence: the vector field returned shape ${show([...y.shape])}, expected ${show([...x.shape])}`);
    const B = x.shape[0], D = perSampleSize(x.shape);
    let div: Tensor;
    if (!y.requiresGrad) {
      div = zeros([B], { dtype: x.dtype, device: x.device });   // f does not depend on x
    } else if (probe) {
      const [g] = grad(sum(mul(y, probe)), [xg], { allowUnused: true });
      div = g ? rowSum(mul(g, probe)) : zeros([B], { dtype: x.dtype, device: x.device });
    } else {
      div = zeros([B], { dtype: x.dtype, device: x.device });
      const unit = new Float64Array(D);
      for (let i = 0; i < D; i++) {
        unit.fill(0);
        unit[i] = 1;
        const e = contiguous(expand(reshape(tensor(unit, { dtype: x.dtype, device: x.device }), [1, ...x.shape.slice(1)]), [...x.shape]));
        const [g] = grad(y, [xg], { gradOutputs: e, retainGraph: true, allowUnused: true });
        if (g) div = add(div, select(reshape(g, [B, D]), 1, i));
      }
    }
    return { value: detach(y), div: detach(div) };
  });
}
