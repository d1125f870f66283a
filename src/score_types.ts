// SPDX-License-Identifier: MIT
// The score vocabulary, in one place. SDEs, losses, samplers, likelihoods and models all speak of
// "a score", and each used to declare its own type for it; the differences (t nullable or not,
// forward(x, t) or a function) made values that work at run time fail to type-check between
// layers (a scoreFn(sde, net) result was refused by the losses). This file depends only on the
// Tensor type, so every layer can import it without a cycle.
import type { Tensor } from './tensor/tensor.js';

/**
 * A score function s(x, t) ~ grad_x log p_t(x): x [B, ...] and times t [B] in, a score shaped like
 * x out. What models.scoreFn(sde, net) returns, what SDE.reverse and the samplers call.
 * The plain (not time-conditioned) objectives, used without an `sde`, call it with t = null: a
 * function meant for them declares `t: Tensor | null` (it is still a ScoreFn).
 */
export type ScoreFn = (x: Tensor, t: Tensor) => Tensor;

/**
 * A network before it is turned into a score: forward(x, labels), where labels are what the
 * network is conditioned on (sigmaBar(t) or 999 t, see models.scoreFn). Every score net of
 * lc.models is one.
 */
export interface ScoreNetwork {
  forward(x: Tensor, labels: Tensor): Tensor;
  train?(on?: boolean): unknown;
}

/**
 * What losses, samplers and likelihoods accept as "the score": a ScoreFn, or an object whose
 * forward(x, t) is one (a Module that takes t directly).
 */
export type ScoreModel = ScoreFn | { forward(x: Tensor, t: Tensor): Tensor };
