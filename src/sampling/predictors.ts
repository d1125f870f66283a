// SPDX-License-Identifier: MIT
// Predictors of the PC sampler (score_sde `sampling.py`): one step of the reverse-time SDE from
// t to t - 1/N. Each returns the next state and its noise-free mean (used for the final denoise).
import { argError } from '../errors.js';
import { add, div, mul, sub } from '../ops/binary.js';
import { sqrt, square } from '../ops/unary.js';
import type { Generator } from '../ops/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ReverseSDE, ScoreFn, SDE } from '../sde/sde.js';
import { perSample } from '../sde/util.js';
import { VESDE } from '../sde/ve.js';
import { VPSDE } from '../sde/vp.js';
import { noiseLike } from './common.js';

export interface StepResult {
  x: Tensor;
  /** x without the last noise term. */
  xMean: Tensor;
}

export interface PredictorContext {
  sde: SDE;
  /** The reverse SDE (or probability-flow ODE) of sde for the score. */
  rsde: ReverseSDE;
  score: ScoreFn;
  generator?: Generator;
}

/** A predictor step at time t ([B]); the built-in ones are below, custom ones may be passed. */
export type Predictor = (x: Tensor, t: Tensor, ctx: PredictorContext) => StepResult;

/** Euler-Maruyama on the reverse SDE: dt = -1/N, x_mean = x + f_rev dt, x = x_mean + g sqrt(-dt) z. */
export const eulerMaruyama: Predictor = (x, t, ctx) => {
  const dt = -1 / ctx.rsde.N;
  const z = noiseLike(x, ctx.generator);
  const { drift, diffusion } = ctx.rsde.sde(x, t);
  const xMean = add(x, mul(drift, dt));
  return { x: add(xMean, mul(perSample(mul(diffusion, Math.sqrt(-dt)), x), z)), xMean };
};

/** Reverse diffusion: the forward SDE's discretisation run backwards, x_mean = x - f_rev, + G z. */
export const reverseDiffusion: Predictor = (x, t, ctx) => {
  const { f, G } = ctx.rsde.discretize(x, t);
  const z = noiseLike(x, ctx.generator);
  const xMean = sub(x, f);
  return { x: add(xMean, mul(perSample(G, x), z)), xMean };
};

/** Ancestral sampling of the discrete chains: SMLD for VE, DDPM for VP. */
export const ancestral: Predictor = (x, t, ctx) => {
  const sde = ctx.sde;
  if (sde instanceof VESDE) {
    const { sigma, adjacent } = sde.discreteSigmas(t);
    const s2 = square(sigma), a2 = square(adjacent);
    const score = ctx.score(x, t);
    const xMean = add(x, mul(score, perSample(sub(s2, a2), x)));
    const std = sqrt(div(mul(a2, sub(s2, a2)), s2));
    return { x: add(xMean, mul(perSample(std, x), noiseLike(x, ctx.generator))), xMean };
  }
  if (sde instanceof VPSDE) {
    const beta = sde.discreteBetas(t);
    const score = ctx.score(x, t);
    const xMean = div(add(x, mul(perSample(beta, x), score)), perSample(sqrt(sub(1, beta)), x));
    return { x: add(xMean, mul(perSample(sqrt(beta), x), noiseLike(x, ctx.generator))), xMean };
  }
  throw argError('ancestral', 'sde', sde.name, 'a VESDE or a VPSDE (ancestral sampling follows their discrete chains)');
};

/** No predictor: corrector-only sampling. */
export const nonePredictor: Predictor = (x) => ({ x, xMean: x });

export type PredictorName = 'eulerMaruyama' | 'reverseDiffusion' | 'ancestral' | 'none';

const PREDICTORS: Record<string, Predictor> = {
  eulerMaruyama, reverseDiffusion, ancestral, none: nonePredictor,
  // score_sde's names
  euler_maruyama: eulerMaruyama, reverse_diffusion: reverseDiffusion, ancestral_sampling: ancestral,
};

/** Looks up a predictor by name (camelCase or score_sde's snake_case), or passes a function through. */
export function resolvePredictor(op: string, p: PredictorName | string | Predictor, sde: SDE, probabilityFlow: boolean): Predictor {
  const fn = typeof p === 'function' ? p : PREDICTORS[p];
  if (!fn) throw argError(op, 'predictor', p, "'eulerMaruyama', 'reverseDiffusion', 'ancestral', 'none' or a predictor function");
  if (fn === ancestral) {
    if (!(sde instanceof VESDE || sde instanceof VPSDE)) throw argError(op, 'predictor', p, `a predictor other than 'ancestral' for a ${sde.constructor.name} (ancestral sampling supports VESDE and VPSDE only)`);
    if (probabilityFlow) throw argError(op, 'probabilityFlow', probabilityFlow, "false with the 'ancestral' predictor (it has no probability-flow form)");
  }
  return fn;
}
