// SPDX-License-Identifier: MIT
// The score-matching objectives, one signature: name(options) returns loss(model, x). makeLoss
// picks one by name, so a trainer or the CLI can take the objective as a string.
import { ArgumentError, show } from '../errors.js';
import type { ScoreLoss } from './common.js';
import { dsm, KEYS as DSM_KEYS, type DsmOptions } from './dsm.js';
import { exact, KEYS as EXACT_KEYS, type ExactOptions } from './exact.js';
import { fdssm, KEYS as FDSSM_KEYS, type FdssmOptions } from './fdssm.js';
import { lcss, KEYS as LCSS_KEYS, type LcssOptions } from './lcss.js';
import { ssm, ssmVr, KEYS as SSM_KEYS, type SsmOptions } from './ssm.js';

export { lcss, type LcssOptions } from './lcss.js';
export { dsm, type DsmOptions } from './dsm.js';
export { ssm, ssmVr, type SsmOptions } from './ssm.js';
export { fdssm, type FdssmOptions } from './fdssm.js';
export { exact, type ExactOptions } from './exact.js';
export type { BaseLossOptions, ScoreLoss, Weighting } from './common.js';
export type { ScoreFn, ScoreModel } from '../score_types.js';

/** Options of each objective, by registry name. */
export interface LossOptionsByName {
  lcss: LcssOptions;
  dsm: DsmOptions;
  ssm: SsmOptions;
  'ssm-vr': SsmOptions;
  fdssm: FdssmOptions;
  exact: ExactOptions;
}

export type LossName = keyof LossOptionsByName;

const FACTORIES: { [N in LossName]: (o: LossOptionsByName[N]) => ScoreLoss } = {
  lcss, dsm, ssm, 'ssm-vr': ssmVr, fdssm, exact,
};

/** The registered objective names. */
export const LOSS_NAMES: readonly LossName[] = Object.keys(FACTORIES) as LossName[];

/** The option names each objective accepts (a config or CLI checks its keys before building). */
export const LOSS_OPTION_KEYS: { readonly [N in LossName]: readonly string[] } = {
  lcss: LCSS_KEYS, dsm: DSM_KEYS, ssm: SSM_KEYS, 'ssm-vr': SSM_KEYS, fdssm: FDSSM_KEYS, exact: EXACT_KEYS,
};

/** The objective called `name` with its options: makeLoss('lcss', { sde, sigmaRatio: 0.1 }). */
export function makeLoss<N extends LossName>(name: N, options: LossOptionsByName[N] = {} as LossOptionsByName[N]): ScoreLoss {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(FACTORIES, name))
    throw new ArgumentError(`makeLoss: argument 'name' got ${show(name)}, expected one of ${LOSS_NAMES.map((n) => show(n)).join(', ')}`);
  return (FACTORIES[name] as (o: LossOptionsByName[N]) => ScoreLoss)(options);
}
