// SPDX-License-Identifier: MIT
// A trained model back from a checkpoint, and the shape of one of its samples: what sampling and
// evaluation need, whether the CLI (lcss sample / eval) or a spawned job (spawn_worker.ts) asks.
import { ArgumentError } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { copy_ } from '../ops/index.js';
import { TOY_NAMES } from '../data/toy.js';
import { buildScoreModel, modelConfigOf } from './build.js';
import { loadCheckpoint } from './checkpoint.js';
import { validateConfig, type TrainConfig } from './config.js';

/** The model of a checkpoint with its (EMA) weights loaded. */
export function modelFromCheckpoint(path: string, ema = true) {
  // 'any': a run saved by an older lcss (a data-only checksum) can still be sampled and evaluated
  const ck = loadCheckpoint(path, { verify: 'any' });
  try {
    const cfg = validateConfig(ck.config as Record<string, unknown>);
    const built = buildScoreModel(cfg);
    built.model.loadStateDict(ck.model);
    if (ema) {
      noGrad(() => {
        for (const [n, p] of built.model.namedParameters()) {
          const s = ck.ema.get(n);
          if (!s) throw new ArgumentError(`sample: ${path} has no EMA weights for ${n}; use --no-ema`);
          copy_(p, s);
        }
      });
    }
    built.model.train(false);
    return { cfg, ...built, step: ck.step };
  } finally {
    ck.dispose();
  }
}


/** Shape of one sample: [2] for toy sets, else [C, S, S] from the model config (no data needed). */
export function itemShape(cfg: TrainConfig): number[] {
  if ((TOY_NAMES as readonly string[]).includes(cfg.data.name)) return [2];
  const o = modelConfigOf(cfg.model).options as { numChannels?: number; imageSize?: number; inCh?: number; img?: number };
  const C = o.numChannels ?? o.inCh ?? 1, S = o.imageSize ?? o.img ?? 28;
  return [C, S, S];
}

