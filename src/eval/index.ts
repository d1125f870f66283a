// SPDX-License-Identifier: MIT
// lcss/eval: PNG plots (line charts, scatter plots, image grids) and sample-quality metrics for
// toy data against known densities.
export { lineChart, scatterPlot, imageGrid, linearTicks, logTicks, formatTick, type Plot, type Series, type LineChartOptions, type ScatterSet, type ScatterOptions, type ImageGridOptions } from './plot.js';
export { Canvas, PALETTE, type RGB } from './canvas.js';
export { insideFraction, nll, mmd2, medianBandwidth, slicedWasserstein, projectionDirections, wasserstein1dPow, toyMetrics, type NllOptions, type NllResult, type MmdOptions, type SlicedWassersteinOptions, type ToyMetrics, type ToyMetricsOptions, type PointsLike } from './toy_metrics.js';
export { fid, kid, inceptionScore, fitGaussian, frechetDistance, featureMatrix, type FeatureMatrix, type GaussianFit } from './fid.js';
export { MnistClassifier, loadMnistClassifier, trainMnistClassifier, classify, mnistSplit, heldOutDigits, evaluateAccuracy, toClassifierInput, classifierWeightsPath, type ClassifierOutputs, type TrainClassifierOptions } from './mnist_classifier.js';
