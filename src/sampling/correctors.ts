// SPDX-License-Identifier: MIT
// Correctors of the PC sampler (score_sde `sampling.py`): nSteps of Langevin MCMC at a fixed t,
// targeting p_t. Step sizes follow score_sde: alpha = 1 - beta_i (DDPM's alpha) for VP, 1 otherwise.
//   langevin: eps = 2 alpha (snr |z| / |s|)^2, both norms per sample then averaged over the batch
//   ald:      eps = 2 alpha (snr sigmaBar(t))^2   (annealed Langevin dynamics of NCSN)
// then x_mean = x + eps s(x, t), x = x_mean + sqrt(2 eps) z.
import { argError } from '../errors.js';
import { add, div, mul, sub, onesLike, mean, sqrt, square } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SDE } from '../sde/sde.js';
import { perSample, rowSum } from '../sde/util.js';
import { VPSDE } from '../sde/vp.js';
import { noiseLike } from './common.js';
import { checkStep, type PredictorContext, type StepResult } from './predictors.js';

export interface CorrectorContext extends PredictorContext {
  /** Target signal-to-noise ratio of a Langevin step. */
  snr: number;
  /** Langevin steps per time step. */
  nSteps: number;
}

export type Corrector = (x: Tensor, t: Tensor, ctx: CorrectorContext) => StepResult;

/** alpha_i = 1 - beta_i for VP (score_sde indexes DDPM's alphas), ones otherwise; [B]. */
function alphaOf(sde: SDE, t: Tensor): Tensor {
  return sde instanceof VPSDE ? sub(1, sde.discreteBetas(t)) : onesLike(t);
}

/** Mean over the batch of the per-sample L2 norms (a 0-d tensor). */
function meanNorm(v: Tensor): Tensor {
  return mean(sqrt(rowSum(square(v))));
}

function langevinLoop(x: Tensor, t: Tensor, ctx: CorrectorContext, stepSize: (grad: Tensor, noise: Tensor) => Tensor): StepResult {
  let cur = x, xMean = x;
  for (let i = 0; i < ctx.nSteps; i++) {
    const grad = ctx.score(cur, t);
    const noise = noiseLike(cur, ctx.generator);
    const eps = stepSize(grad, noise);
    xMean = add(cur, mul(perSample(eps, cur), grad));
    cur = add(xMean, mul(perSample(sqrt(mul(eps, 2)), cur), noise));
  }
  return { x: cur, xMean };
}

/** Langevin corrector with a step set by the target snr. */
export const langevin: Corrector = (x, t, ctx) => {
  checkStep('langevin', x, t, ctx, true);
  const alpha = alphaOf(ctx.sde, t);
  return langevinLoop(x, t, ctx, (grad, noise) =>
    mul(alpha, mul(square(div(mul(meanNorm(noise), ctx.snr), meanNorm(grad))), 2)));
};

/** Annealed Langevin dynamics corrector: the step follows the noise scale sigmaBar(t). */
export const annealedLangevin: Corrector = (x, t, ctx) => {
  checkStep('annealedLangevin', x, t, ctx, true);
  const alpha = alphaOf(ctx.sde, t);
  const eps = mul(mul(alpha, square(mul(ctx.sde.sigmaBar(t), ctx.snr))), 2);
  return langevinLoop(x, t, ctx, () => eps);
};

export const noneCorrector: Corrector = (x) => ({ x, xMean: x });

export type CorrectorName = 'langevin' | 'ald' | 'none';

const CORRECTORS: Record<string, Corrector> = { langevin, ald: annealedLangevin, annealedLangevin, none: noneCorrector };

export function resolveCorrector(op: string, c: CorrectorName | string | Corrector): Corrector {
  const fn = typeof c === 'function' ? c : CORRECTORS[c];
  if (!fn) throw argError(op, 'corrector', c, "'langevin', 'ald', 'none' or a corrector function");
  return fn;
}
