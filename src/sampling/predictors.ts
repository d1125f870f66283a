// SPDX-License-Identifier: MIT
// Predictors of the PC sampler (score_sde `sampling.py`): one step of the reverse-time SDE from
// t to t - 1/N. Each returns the next state and its noise-free mean (used for the final denoise).
import { argError, checkFinite, checkInt } from '../errors.js';
import { add, div, mul, sub, sqrt, square, type Generator } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { ReverseSDE, SDE } from '../sde/sde.js';
import type { ScoreFn } from '../score_types.js';
import { perSample, validateTime } from '../sde/util.js';
import { VESDE } from '../sde/ve.js';
import { VPSDE } from '../sde/vp.js';
import { checkInit, noiseLike } from './common.js';
import type { CorrectorContext } from './correctors.js';

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

/**
 * Checks the arguments of a predictor or corrector step called directly (the samplers build
 * them right): x [B, ...], t [B], and a context with the SDE, its reverse and the score.
 */
export function checkStep(op: string, x: unknown, t: unknown, ctx: unknown, corrector = false): void {
  checkInit(op, 'x', x);
  validateTime(op, t, x as Tensor);
  const c = ctx as CorrectorContext;
  if (!c || typeof c !== 'object') throw argError(op, 'ctx', ctx, 'a step context { sde, rsde, score, generator? }');
  if (!(c.sde instanceof SDE)) throw argError(op, 'ctx.sde', c.sde, 'an SDE');
  if (!(c.rsde instanceof ReverseSDE)) throw argError(op, 'ctx.rsde', c.rsde, 'the ReverseSDE of ctx.sde (sde.reverse(score))');
  if (typeof c.score !== 'function') throw argError(op, 'ctx.score', c.score, 'a score function (x, t) => Tensor');
  if (corrector) {
    checkFinite(op, 'ctx.snr', c.snr, { min: 0 });
    checkInt(op, 'ctx.nSteps', c.nSteps, 1);
  }
}

/** Euler-Maruyama on the reverse SDE: dt = -1/N, x_mean = x + f_rev dt, x = x_mean + g sqrt(-dt) z. */
export const eulerMaruyama: Predictor = (x, t, ctx) => {
  checkStep('eulerMaruyama', x, t, ctx);
  const dt = -1 / ctx.rsde.N;
  const z = noiseLike(x, ctx.generator);
  const { drift, diffusion } = ctx.rsde.sde(x, t);
  const xMean = add(x, mul(drift, dt));
  return { x: add(xMean, mul(perSample(mul(diffusion, Math.sqrt(-dt)), x), z)), xMean };
};

/** Reverse diffusion: the forward SDE's discretisation run backwards, x_mean = x - f_rev, + G z. */
export const reverseDiffusion: Predictor = (x, t, ctx) => {
  checkStep('reverseDiffusion', x, t, ctx);
  const { f, G } = ctx.rsde.discretize(x, t);
  const z = noiseLike(x, ctx.generator);
  const xMean = sub(x, f);
  return { x: add(xMean, mul(perSample(G, x), z)), xMean };
};

/** Ancestral sampling of the discrete chains: SMLD for VE, DDPM for VP. */
export const ancestral: Predictor = (x, t, ctx) => {
  checkStep('ancestral', x, t, ctx);
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
