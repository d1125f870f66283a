// SPDX-License-Identifier: MIT
// A small MNIST classifier trained with this engine, whose penultimate features stand in for
// Inception features in FID / KID / Inception-score on digits. The 10,000 digits of the `mnist`
// package (stored grouped by class) are split per class: the first 80% of each class train it,
// the last 20% (2,000 digits) are held out (its test accuracy, and the reference set of the
// sample metrics). Weights: src/eval/assets/mnist-classifier.safetensors,
// produced by `npx lcss eval --train-classifier` (trainMnistClassifier below).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argError, ArgumentError, checkFinite, checkFunction, checkInt, checkKnownKeys, checkOneOf, checkOptions, ShapeError, show } from '../errors.js';
import { checkFloatTensor, argmax, add, eq, mul, Generator, logSoftmax, softmax, maxPool2d, relu, gather, contiguous, flatten, narrow, unsqueeze, mean, sum, cast } from '../ops/index.js';
import { checkWritable } from '../io/atomic.js';
import { noGrad } from '../autograd/mode.js';
import { mnist, MNIST_TRAIN_FRACTION } from '../data/mnist.js';
import type { ImageDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { backward } from '../autograd/engine.js';
import { Adam } from '../optim/adam.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { featureMatrix, type FeatureMatrix } from './fid.js';

/** The package's digits split per class into training and held-out sets (src/data/mnist.ts). */
export function mnistSplit(): { train: ImageDataset; heldOut: ImageDataset } {
  return { train: mnist({ split: 'train' }), heldOut: mnist({ split: 'heldOut' }) };
}

/** conv(1->16) relu pool, conv(16->32) relu pool, linear(1568->128) relu [features], linear(128->10) */
export class MnistClassifier extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(seed = 0) {
    super();
    checkInt('MnistClassifier', 'seed', seed, 0, Number.MAX_SAFE_INTEGER);
    const generator = new Generator(seed);
    this.conv1 = this.module('conv1', new Conv2d(1, 16, 3, { padding: 1, generator }));
    this.conv2 = this.module('conv2', new Conv2d(16, 32, 3, { padding: 1, generator }));
    this.fc1 = this.module('fc1', new Linear(32 * 7 * 7, 128, { generator }));
    this.fc2 = this.module('fc2', new Linear(128, 10, { generator }));
  }

  /** 128-d features of images in [0, 1], [N, 1, 28, 28]. */
  features(x: Tensor): Tensor {
    const t = checkFloatTensor('MnistClassifier.features', 'x', x);
    if (t.ndim !== 4 || t.shape[1] !== 1 || t.shape[2] !== 28 || t.shape[3] !== 28)
      throw new ShapeError(`MnistClassifier.features: x must be [N, 1, 28, 28] digits, got ${show([...t.shape])} (toClassifierInput converts 32x32 and [-1, 1] images)`);
    return tidy(() => {
      const h = maxPool2d(relu(this.conv1.forward(x)), 2);
      const h2 = maxPool2d(relu(this.conv2.forward(h)), 2);
      return relu(this.fc1.forward(flatten(h2, 1)));
    });
  }

  /** class logits */
  forward(x: Tensor): Tensor {
    return tidy(() => this.fc2.forward(this.features(x)));
  }
}

/** Where the committed weights live, from src/eval (tests) or dist/src/eval (compiled). */
export function classifierWeightsPath(): string {
  // from src/eval (vitest, tsx) or dist/src/eval (compiled): the asset lives in src/eval/assets
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, 'assets'), join(here, '..', '..', '..', 'src', 'eval', 'assets')])
    if (existsSync(join(dir, 'mnist-classifier.safetensors'))) return join(dir, 'mnist-classifier.safetensors');
  for (const dir of [join(here, '..', '..', '..', 'src', 'eval', 'assets'), join(here, 'assets')])
    if (existsSync(dir)) return join(dir, 'mnist-classifier.safetensors');
  return join(here, 'assets', 'mnist-classifier.safetensors');
}

/** Loads the committed classifier (or one at `path`). */
export function loadMnistClassifier(path = classifierWeightsPath()): MnistClassifier {
  if (typeof path !== 'string' || !path) throw argError('loadMnistClassifier', 'path', path, 'the path of a classifier .safetensors file');
  if (!existsSync(path)) throw new ArgumentError(`loadMnistClassifier: no weights at ${path}; run \`npx lcss eval --train-classifier\``);
  const { tensors } = readSafetensors(path);
  const m = new MnistClassifier();
  try {
    m.loadStateDict(tensors);
  } catch (e) {
    m.dispose();
    throw e;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  return m.eval();
}

/**
 * Images (any of [N,1,28,28] or [N,1,32,32] zero-padded, values in [-1,1] or [0,1]) to the
 * classifier's input: 28x28 in [0, 1].
 */
export function toClassifierInput(x: Tensor, range: '[-1,1]' | '[0,1]'): Tensor {
  checkFloatTensor('toClassifierInput', 'x', x);
  checkOneOf('toClassifierInput', 'range', range, ['[-1,1]', '[0,1]']);
  if (x.ndim !== 4 || x.shape[1] !== 1 || (x.shape[2] !== 28 && x.shape[2] !== 32) || x.shape[2] !== x.shape[3])
    throw new ShapeError(`mnist classifier: images must be [N, 1, 28, 28] or [N, 1, 32, 32], got ${show([...x.shape])}`);
  return tidy(() => {
    let y = x.shape[2] === 32 ? narrow(narrow(x, 2, 2, 28), 3, 2, 28) : x;
    if (range === '[-1,1]') y = mul(add(y, 1), 0.5);
    return y.dtype === 'float32' ? contiguous(y) : cast(y, 'float32');
  });
}

export interface ClassifierOutputs {
  features: FeatureMatrix;
  probs: FeatureMatrix;
}

/** Features and class probabilities of a batch of images, in chunks of 500. */
export function classify(model: MnistClassifier, images: Tensor, range: '[-1,1]' | '[0,1]'): ClassifierOutputs {
  if (!(model instanceof MnistClassifier)) throw argError('classify', 'model', model, 'an MnistClassifier (loadMnistClassifier())');
  checkFloatTensor('classify', 'images', images);
  checkOneOf('classify', 'range', range, ['[-1,1]', '[0,1]']);
  if (images.ndim !== 4) throw argError('classify', 'images', images, 'images [N, 1, 28, 28] or [N, 1, 32, 32]');
  const n = images.shape[0];
  const feats = new Float64Array(n * 128), probs = new Float64Array(n * 10);
  noGrad(() => {
    for (let s = 0; s < n; s += 500) {
      tidy(() => {
        const x = toClassifierInput(narrow(images, 0, s, Math.min(500, n - s)), range);
        const f = model.features(x);
        const p = softmax(model.fc2.forward(f), 1);
        feats.set(f.dataSync(), s * 128);
        probs.set(p.dataSync(), s * 10);
      });
    }
  });
  return { features: featureMatrix(feats, n, 128), probs: featureMatrix(probs, n, 10) };
}

/** The held-out digits (the last 20% of each class: 2,000 images) as bytes [N, 1, 28, 28]. */
export function heldOutDigits(): ImageDataset {
  return mnistSplit().heldOut;
}

export interface TrainClassifierOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  out?: string;
  log?: (line: string) => void;
}

/** Trains the classifier on 80% of each class; returns held-out accuracy. Writes the weights. */
export function trainMnistClassifier(opts: TrainClassifierOptions = {}): { accuracy: number; path: string } {
  const fn = 'trainMnistClassifier';
  const o = checkOptions(fn, 'options', opts);
  checkKnownKeys(fn, 'options', o, ['seed', 'lr', 'batchSize', 'epochs', 'log', 'out']);
  if (o.log !== undefined) checkFunction(fn, 'log', o.log);
  if (o.seed !== undefined) checkInt(fn, 'seed', o.seed, 0, Number.MAX_SAFE_INTEGER);
  if (o.lr !== undefined) checkFinite(fn, 'lr', o.lr, { min: 0, minExclusive: true });
  if (o.batchSize !== undefined) checkInt(fn, 'batchSize', o.batchSize, 1);
  if (o.epochs !== undefined) checkInt(fn, 'epochs', o.epochs, 1);
  // no default path: a library call must not overwrite the weights shipped with the package
  // (`lcss eval --train-classifier` passes classifierWeightsPath() to do exactly that)
  if (typeof o.out !== 'string' || !o.out) throw argError(fn, 'out', o.out, 'the path to write the weights to (classifierWeightsPath() replaces the shipped ones)');
  checkWritable(fn, o.out);
  const log = o.log ?? (() => {});
  const { train, heldOut } = mnistSplit();
  const model = new MnistClassifier(o.seed ?? 0);
  const opt = new Adam(model.parameters(), { lr: o.lr ?? 1e-3 });
  try {
    return trainAndSave(model, opt, train, heldOut, o, log);
  } finally {
    opt.dispose();
    model.dispose();
  }
}

function trainAndSave(model: MnistClassifier, opt: Adam, train: ImageDataset, heldOut: ImageDataset, o: TrainClassifierOptions, log: (l: string) => void): { accuracy: number; path: string } {
  const loader = new DataLoader(train, { batchSize: o.batchSize ?? 64, seed: o.seed ?? 0, range: '[0,1]' });
  const epochs = o.epochs ?? 10;
  for (let e = 0; e < epochs; e++) {
    let total = 0;
    for (let b = 0; b < loader.batchesPerEpoch; b++) {
      const batch = loader.next();
      total += tidy(() => {
        opt.zeroGrad();
        const lp = logSoftmax(model.forward(batch.x), 1);
        const loss = mul(mean(gather(lp, 1, unsqueeze(batch.labels!, 1))), -1);
        backward(loss);
        opt.step();
        return loss.item();
      });
      batch.x.dispose();
      batch.labels?.dispose();
    }
    log(`epoch ${e + 1}/${epochs}: mean loss ${(total / loader.batchesPerEpoch).toFixed(4)}`);
  }
  opt.zeroGrad();
  const accuracy = evaluateAccuracy(model, heldOut);
  log(`held-out accuracy ${(100 * accuracy).toFixed(2)}% on ${heldOut.n} digits`);
  const path = o.out!;
  writeSafetensors(path, model.stateDict(), { metadata: { accuracy: String(accuracy), trained_on: `first ${MNIST_TRAIN_FRACTION * 100}% of each class of the mnist package (${train.n} digits)`, epochs: String(epochs) } });
  return { accuracy, path };
}

export function evaluateAccuracy(model: MnistClassifier, ds: ImageDataset): number {
  if (!(model instanceof MnistClassifier)) throw argError('evaluateAccuracy', 'model', model, 'an MnistClassifier (loadMnistClassifier())');
  if (!ds || typeof ds !== 'object' || !(ds.labels instanceof Int32Array)) throw argError('evaluateAccuracy', 'dataset', ds, 'a labelled image dataset (mnistSplit().heldOut)');
  const loader = new DataLoader(ds, { batchSize: 500, shuffle: false, dropLast: false, range: '[0,1]' });
  let correct = 0;
  noGrad(() => {
    for (let b = 0; b < loader.batchesPerEpoch; b++) {
      const batch = loader.next();
      correct += tidy(() => sum(cast(eq(argmax(model.forward(batch.x), 1), batch.labels!), 'int32')).item());
      batch.x.dispose();
      batch.labels?.dispose();
    }
  });
  return correct / ds.n;
}

