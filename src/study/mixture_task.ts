// SPDX-License-Identifier: MIT
// The data of the score-error study: a Gaussian mixture in D dimensions whose diffused law p_t is
// known exactly under VE, VP and subVP (src/sde/analytic.ts), so the true score grad log p_t is
// available at every (x, t). Means are K points on the sphere of radius 2 and every component is
// isotropic with std 0.3: separated modes at every D, data of unit order as the VP prior expects.
import { argError, checkInt } from '../errors.js';
import { Generator, randn } from '../ops/index.js';
import { DiffusedMixture, GaussianMixture } from '../sde/analytic.js';
import type { SDE } from '../sde/sde.js';
import { tidy } from '../tensor/scope.js';

export interface MixtureTask {
  D: number;
  K: number;
  data: GaussianMixture;
  /** p_t under the study's SDE (exact score) */
  pt: DiffusedMixture;
  dispose(): void;
}

export const MODE_RADIUS = 2;
export const COMPONENT_STD = 0.3;

/** The mixture of a (D, K) cell; its means depend only on (D, K, taskSeed), not on the training seed. */
export function mixtureTask(D: number, K: number, sde: SDE, taskSeed = 0): MixtureTask {
  const fn = 'mixtureTask';
  checkInt(fn, 'D', D, 1, 1 << 20);
  checkInt(fn, 'K', K, 1, 1024);
  checkInt(fn, 'taskSeed', taskSeed, 0);
  if (!sde || sde.isAffine !== true) throw argError(fn, 'sde', sde?.name ?? sde, "an affine SDE ('ve', 'vp' or 'subvp'): the oracle needs its Gaussian kernel");
  // directions uniform on the sphere (normalised Gaussians); in D = 1 they are +-1
  const z = tidy(() => randn([K, D], { generator: new Generator(7919 * taskSeed + 17), dtype: 'float64' }).dataSync());
  const means = Array.from({ length: K }, (_, k) => {
    const row = Array.from(z.subarray(k * D, (k + 1) * D));
    const norm = Math.hypot(...row) || 1;
    return row.map((v) => (MODE_RADIUS * v) / norm);
  });
  const data = new GaussianMixture({ means, cov: COMPONENT_STD ** 2 });
  const pt = data.diffused(sde);
  return { D, K, data, pt, dispose: () => data.dispose() };
}
