// SPDX-License-Identifier: MIT
// lcss/eval: charts (Vega-Lite specs rendered to PNG: line charts, scatter plots), image grids and sample-quality metrics for
// toy data against known densities.
export { type Plot, type Series, type LineChartOptions, type ScatterSet, type ScatterOptions, type ImageGridOptions } from './plot.js';
export { type ChartSpec } from './chart_specs.js';
export { type NllOptions, type NllResult, type MmdOptions, type SlicedWassersteinOptions, type ToyMetrics, type ToyMetricsOptions, type PointsLike } from './toy_metrics.js';
export { type FeatureMatrix, type GaussianFit } from './fid.js';
export { MnistClassifier, type ClassifierOutputs, type TrainClassifierOptions } from './mnist_classifier.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard } from '../api.js';
import * as _plot from './plot.js';
import * as _chart_specs from './chart_specs.js';
import * as _toy_metrics from './toy_metrics.js';
import * as _fid from './fid.js';
import * as _mnist_classifier from './mnist_classifier.js';
export const lineChart = guard('lineChart', _plot.lineChart);
export const scatterPlot = guard('scatterPlot', _plot.scatterPlot);
export const imageGrid = guard('imageGrid', _plot.imageGrid);
export const renderChart = guard('renderChart', _plot.renderChart);
export const lineChartSpec = guard('lineChartSpec', _chart_specs.lineChartSpec);
export const scatterSpec = guard('scatterSpec', _chart_specs.scatterSpec);
export const insideFraction = guard('insideFraction', _toy_metrics.insideFraction);
export const nll = guard('nll', _toy_metrics.nll, true);
export const mmd2 = guard('mmd2', _toy_metrics.mmd2);
export const medianBandwidth = guard('medianBandwidth', _toy_metrics.medianBandwidth);
export const slicedWasserstein = guard('slicedWasserstein', _toy_metrics.slicedWasserstein);
export const toyMetrics = guard('toyMetrics', _toy_metrics.toyMetrics, true);
export const fid = guard('fid', _fid.fid);
export const kid = guard('kid', _fid.kid);
export const inceptionScore = guard('inceptionScore', _fid.inceptionScore);
export const fitGaussian = guard('fitGaussian', _fid.fitGaussian);
export const frechetDistance = guard('frechetDistance', _fid.frechetDistance);
export const featureMatrix = guard('featureMatrix', _fid.featureMatrix);
export const loadMnistClassifier = guard('loadMnistClassifier', _mnist_classifier.loadMnistClassifier);
export const trainMnistClassifier = guard('trainMnistClassifier', _mnist_classifier.trainMnistClassifier, true);
export const classify = guard('classify', _mnist_classifier.classify);
export const mnistSplit = guard('mnistSplit', _mnist_classifier.mnistSplit);
export const heldOutDigits = guard('heldOutDigits', _mnist_classifier.heldOutDigits);
export const evaluateAccuracy = guard('evaluateAccuracy', _mnist_classifier.evaluateAccuracy, true);
export const classifierWeightsPath = guard('classifierWeightsPath', _mnist_classifier.classifierWeightsPath);
