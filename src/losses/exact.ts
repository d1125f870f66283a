// SPDX-License-Identifier: MIT
// Score matching with the exact Jacobian trace (Hyvarinen 2005), the baseline LCSS replaces:
//   l(x) = 1/2 |s(x)|^2 + sum_i d s_i / d x_i
// The trace takes D vector-Jacobian products (one backward pass per input coordinate, each
// recorded with createGraph), so the parameter gradient is D double-backward passes: cost and
// graph memory grow linearly in D. This is deliberate: it is the reference the others are timed against.
import { argError } from '../errors.js';
import { grad } from '../autograd/engine.js';
import { isGradEnabled } from '../autograd/mode.js';
import { add, detach, full, zeros, select, reshape } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import { numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { BASE_KEYS, callScore, checkBatch, checkKeys, dataNoise, finish, halfSqNorm, prepare, resolveBase, withInputGrad,
  type BaseLossOptions, type ScoreLoss, type ScoreModel } from './common.js';

export interface ExactOptions extends BaseLossOptions {
  /** Plain form: N(0, sigma^2) noise added to x before matching (default 0: the data itself). */
  sigma?: number;
  /**
   * Sum d s_i / d x_i over these flattened coordinates only (a partial trace; default: all D).
   * For timing the per-dimension cost and for debugging; the loss is not the full objective then.
   */
  traceDims?: readonly number[];
}

export const KEYS = [...BASE_KEYS, 'sigma', 'traceDims'];

/** Score matching with the exact Jacobian trace: exact(options)(model, x) -> loss. */
export function exact(options: ExactOptions = {}): ScoreLoss {
  const op = 'exact';
  checkKeys(op, options, KEYS);
  const base = resolveBase(op, options);
  const noise = dataNoise(op, options.sigma, !!base.sde);
  const traceDims = options.traceDims;
  if (traceDims !== undefined && (!Array.isArray(traceDims) || traceDims.some((d) => !Number.isInteger(d) || d < 0)))
    throw argError(op, 'traceDims', traceDims, 'an array of non-negative integer coordinates');

  return (model: ScoreModel, x: Tensor): Tensor => {
    const x0 = checkBatch(op, x);
    const D = numel(x0.shape.slice(1));
    const dims = traceDims ?? [...Array(D).keys()];
    const bad = dims.find((d) => d >= D);
    if (bad !== undefined) throw argError(op, 'traceDims', traceDims, `coordinates below D = ${D}`);
    const outer = isGradEnabled();
    return tidy(() => {
      const p = prepare(op, base, x0, noise);
      const B = x0.shape[0];
      const per = withInputGrad((xg) => {
        const s = callScore(op, model, xg, p.t);
        const sf = reshape(s, [B, D]);
        let trace: Tensor = zeros([B], { dtype: x0.dtype, device: x0.device });
        for (const i of dims) {
          // one VJP per coordinate: row i of the Jacobian for every sample at once; only its diagonal entry is kept
          trace = tidy(() => {
            const si = select(sf, 1, i);
            if (!si.requiresGrad) return trace;
            const [gi] = grad(si, [xg], { gradOutputs: full([B], 1, { dtype: x0.dtype, device: x0.device }), createGraph: outer, retainGraph: true, allowUnused: true });
            return gi ? add(trace, select(reshape(gi, [B, D]), 1, i)) : trace;
          });
        }
        return add(halfSqNorm(s), trace);
      })(p.x);
      return finish(base, outer ? per : detach(per), p.weight);
    });
  };
}
