// SPDX-License-Identifier: MIT
// From a TrainConfig to live components: SDE, model and its score function, objective, data
// source, optimiser and EMA. Every random stream gets its own Generator seeded from config.seed,
// so a run is reproducible and its state can be checkpointed and resumed exactly.
import { argError, ArgumentError, checkInt, show } from '../errors.js';
import { mnist } from '../data/mnist.js';
import { readCifar10 } from '../data/cifar.js';
import { readMnistIdx } from '../data/idx.js';
import { readPngFolder } from '../data/png_folder.js';
import { DataLoader } from '../data/loader.js';
import type { ImageDataset } from '../data/dataset.js';
import { TOY_NAMES, toyDistribution, ToyStream, type ToyDistribution, type ToyName } from '../data/toy.js';
import { makeLoss, LOSS_NAMES, type LossName } from '../losses/index.js';
import type { ScoreLoss } from '../losses/common.js';
import { createModel, getModelConfig, type ModelConfig } from '../models/configs.js';
import { scoreFn } from '../models/score.js';
import type { ScoreFn, ScoreNetwork } from '../score_types.js';
import type { Module } from '../nn/module.js';
import { Generator } from '../ops/index.js';
import { Adam } from '../optim/adam.js';
import { EMA } from '../optim/ema.js';
import { DoubleWellSDE } from '../sde/doublewell.js';
import type { SDE } from '../sde/sde.js';
import { VESDE } from '../sde/ve.js';
import { SubVPSDE, VPSDE } from '../sde/vp.js';
import type { Tensor } from '../tensor/tensor.js';
import { validateConfig, type TrainConfig } from './config.js';

export const SDE_NAMES = ['ve', 'vp', 'subvp', 'doublewell'] as const;

/** An SDE from { name, ...options }; `N` may be overridden (samplers use sde.N steps). */
export function buildSDE(c: { name: string; [k: string]: unknown }, N?: number): SDE {
  if (!c || typeof c !== 'object' || typeof c.name !== 'string') throw argError('buildSDE', 'config', c, `an SDE config { name: ${SDE_NAMES.map((n) => show(n)).join(' | ')}, ... }`);
  if (N !== undefined) checkInt('buildSDE', 'N', N, 1);
  const { name, ...opts } = c;
  const o = N === undefined ? opts : { ...opts, N };
  switch (name) {
    case 've': return new VESDE(o);
    case 'vp': return new VPSDE(o);
    case 'subvp': return new SubVPSDE(o);
    case 'doublewell': return new DoubleWellSDE(o);
  }
  throw new ArgumentError(`config: sde.name got ${show(name)}, expected one of ${SDE_NAMES.join(', ')}`);
}

export function modelConfigOf(c: TrainConfig['model']): ModelConfig {
  return typeof c === 'string' ? getModelConfig(c) : (c as unknown as ModelConfig);
}

/** Where batches come from: a toy stream (2-D points) or a loader over images. */
export interface DataSource {
  kind: 'toy' | 'images';
  /** [B, ...item] */
  next(): Tensor;
  /** per-item shape */
  itemShape: number[];
  toy?: ToyDistribution;
  images?: ImageDataset;
  range: '[-1,1]' | '[0,1]';
  state(): unknown;
  restore(s: unknown): void;
}

export function loadImages(d: TrainConfig['data']): ImageDataset {
  switch (d.name) {
    case 'mnist': return mnist({ pad32: !!d.pad32, split: d.split });
    case 'cifar10':
      if (!d.path) throw new ArgumentError('config: data.path is required for cifar10 (a data_batch_*.bin file or their folder)');
      return readCifar10(d.path);
    case 'png':
      if (!d.path) throw new ArgumentError('config: data.path is required for png (a folder of PNG images)');
      return readPngFolder(d.path);
    case 'idx':
      if (!d.path) throw new ArgumentError('config: data.path is required for idx (an images file in MNIST IDX format)');
      return readMnistIdx(d.path, d.labels);
  }
  throw new ArgumentError(`config: data.name got ${show(d.name)}, expected a toy set (${TOY_NAMES.join(', ')}) or mnist, cifar10, png, idx`);
}

export function buildData(c: TrainConfig): DataSource {
  const d = c.data;
  if ((TOY_NAMES as readonly string[]).includes(d.name)) {
    const stream = new ToyStream(d.name as ToyName, { batchSize: c.batchSize, seed: c.seed * 7919 + 1 });
    return {
      kind: 'toy', next: () => stream.next(), itemShape: [2], toy: stream.dist, range: '[-1,1]',
      state: () => stream.generator.getState(),
      restore: (s) => stream.generator.setState(s as { seed: number; offset: number }),
    };
  }
  const images = loadImages(d);
  const range = d.range ?? '[-1,1]';
  const loader = new DataLoader(images, { batchSize: c.batchSize, seed: c.seed * 7919 + 1, hflip: !!d.hflip, dequantize: !!d.dequantize, range });
  return {
    kind: 'images', itemShape: [...images.shape], images, range,
    next: () => {
      const b = loader.next();
      b.labels?.dispose();
      return b.x;
    },
    state: () => loader.position(),
    restore: (s) => loader.seek(s as ReturnType<DataLoader['position']>),
  };
}

export interface Components {
  sde: SDE;
  model: Module & ScoreNetwork;
  score: ScoreFn;
  loss: ScoreLoss;
  data: DataSource;
  opt: Adam;
  ema: EMA;
  /** generators whose state a checkpoint must carry */
  generators: { loss: Generator; dropout: Generator };
}

/** The SDE, model and score function of a config (what sampling from a checkpoint needs). */
export function buildScoreModel(c: TrainConfig, dropout?: Generator): { sde: SDE; model: Module & ScoreNetwork; score: ScoreFn } {
  validateConfig(c as unknown as Record<string, unknown>);
  if (dropout !== undefined && !(dropout instanceof Generator)) throw argError('buildScoreModel', 'dropout', dropout, 'a Generator');
  const sde = buildSDE(c.sde);
  const mc = modelConfigOf(c.model);
  if (mc.model === 'mlp') throw new ArgumentError(`config: model ${show(c.model)} has no time input; use a score model (e.g. toy-mlp)`);
  const model = createModel(mc, { generator: new Generator(c.seed * 7919 + 4), dropoutGenerator: dropout ?? new Generator(c.seed * 7919 + 3) }) as Module & ScoreNetwork;
  return { sde, model, score: scoreFn(sde, model) };
}

/** Builds every component of a run (fresh initialisation from config.seed). */
export function buildComponents(c: TrainConfig): Components {
  validateConfig(c as unknown as Record<string, unknown>);
  const generators = { loss: new Generator(c.seed * 7919 + 2), dropout: new Generator(c.seed * 7919 + 3) };
  const { sde, model, score } = buildScoreModel(c, generators.dropout);
  const mc = modelConfigOf(c.model);
  if (mc.sde && mc.sde !== sde.name && !(mc.sde === 'vp' && sde.name === 'subvp') && sde.name !== 'doublewell')
    process.emitWarning(`model ${show(mc.name ?? 'config')} was made for the ${mc.sde} SDE, training with ${sde.name}`);
  const { name, ...lossOpts } = c.loss;
  if (!(LOSS_NAMES as readonly string[]).includes(name))
    throw new ArgumentError(`config: loss.name got ${show(name)}, expected one of ${LOSS_NAMES.join(', ')}`);
  const loss = makeLoss(name as LossName, { ...lossOpts, sde, generator: generators.loss } as never);
  const data = buildData(c);
  const opt = new Adam(model.parameters(), c.optim);
  const ema = new EMA(model.parameters(), { decay: c.ema.decay });
  return { sde, model, score, loss, data, opt, ema, generators };
}

export { toyDistribution };
