// SPDX-License-Identifier: MIT
// The public API of lcss: tensors, ops and autograd, and (as namespaces) the score-based
// diffusion stack built on them.

export { Tensor, type NestedArray } from './tensor/tensor.js';
export { type DType, DTYPES, isFloat, promote } from './tensor/dtype.js';
export { Device, device, cuda, CPU, defaultDevice, setDefaultDevice, withDefaultDevice, type DeviceLike } from './tensor/device.js';
export { tidy, keep, dispose, numTensors, memory, emptyCache, resetPeakMemory, type MemoryInfo } from './tensor/scope.js';
export type { Conv2dEpilogue } from './ops/index.js';
export { profile, startProfile, stopProfile, isProfiling, type ProfileReport, type KernelStat, type ProfileOptions, type PoolReport } from './profile.js';
export { LcssError, ShapeError, DTypeError, DeviceError, DisposedError, ArgumentError, AutogradError, IndexError, OutOfMemoryError, NativeError, DistributedError } from './errors.js';

export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/mode.js';
export type { GradOptions } from './autograd/engine.js';
export { gradcheck, gradgradcheck, type GradcheckOptions } from './autograd/gradcheck.js';

// The ops, each behind the guard of src/api.ts (errors name the function called). Internal helpers
// of the op files (unaryKernel, embedInto, scalar comparison kernels...) are not part of the API.
import { creationOps, randomOps, unaryOps, binaryOps, castOps, viewOps, joinOps, reduceOps, softmaxOps, linalgOps, convOps, poolOps, normOps, indexingOps, dropoutOps, attentionOps, inplaceOps, steinOps } from './ops/index.js';
import * as gradOps from './autograd/engine.js';
import { guardAll } from './api.js';

export const { arange, empty, emptyLike, eye, fromArray, full, fullLike, linspace, ones, onesLike, scalar, tensor, zeros, zerosLike } = guardAll(creationOps);
export type { CreateOptions } from './ops/index.js';
export const { bernoulli, manualSeed, rand, randLike, randint, randn, randnLike, randperm } = guardAll(randomOps);
export { Generator, defaultGenerator, type RandomKey, type RandomOptions } from './ops/index.js';
export const { abs, sign, exp, log, log1p, expm1, sqrt, rsqrt, square, reciprocal, sin, cos, tan, atan, tanh, sigmoid, silu, logSigmoid, softplus,
  relu, elu, gelu, erf, floor, ceil, round, clamp, isnan, isfinite } = guardAll(unaryOps);
export const { add, atan2, div, eq, ge, gt, le, logicalAnd, logicalNot, logicalOr, logicalXor, lt, maximum, minimum, mul, ne, neg, pow, sub, where } = guardAll(binaryOps);
export type { TensorOrNumber } from './ops/index.js';
export const { cast, clone, detach, to } = guardAll(castOps);
export const { broadcastTo, contiguous, expand, flatten, flip, narrow, permute, reshape, select, slice, squeeze, transpose, unsqueeze, view } = guardAll(viewOps);
export const { cat, chunk, pad, split, stack } = guardAll(joinOps);
export const { argmax, argmin, logsumexp, max, mean, min, norm, std, sum, variance } = guardAll(reduceOps);
export type { Dims, VarOptions } from './ops/index.js';
export const { logSoftmax, softmax } = guardAll(softmaxOps);
export const { bmm, linear, matmul } = guardAll(linalgOps);
export const { conv2d, convTranspose2d } = guardAll(convOps);
export type { Conv2dOptions, ConvTranspose2dOptions } from './ops/index.js';
export const { avgPool2d, maxPool2d, upsampleNearest } = guardAll(poolOps);
export type { PoolOptions } from './ops/index.js';
export const { groupNorm, groupNormComposite, instanceNorm, layerNorm, layerNormComposite } = guardAll(normOps);
export type { GroupNormOptions } from './ops/index.js';
export const { embedding, gather, indexSelect, scatterAdd } = guardAll(indexingOps);
export const { dropout } = guardAll(dropoutOps);
export const { attentionComposite, scaledDotProductAttention } = guardAll(attentionOps);
export const { adamStep_, add_, copy_, fill_, lerp_, mul_, zero_ } = guardAll(inplaceOps);
export type { AdamStepOptions } from './ops/index.js';
export const { steinBlocks, steinLoss, steinLossComposite, steinNoise, steinNoiseCount, steinPerturb } = guardAll(steinOps);
export type { SteinEstimator, SteinOptions } from './ops/index.js';
export const { backward, grad } = guardAll(gradOps);

/** The score vocabulary shared by lc.losses, lc.sampling, lc.likelihood, lc.sde and lc.models. */
export type { ScoreFn, ScoreModel, ScoreNetwork } from './score_types.js';

/** Score-matching objectives: lcss, dsm, ssm, ssmVr, fdssm, exact, and makeLoss(name, options). */
export * as losses from './losses/index.js';
/** Modules and layers: Module, Linear, Conv2d, GroupNorm, attention, embeddings, FIR resampling. */
export * as nn from './nn/index.js';
/** Score networks (MLPScore, NCSNpp, NCSNv2, SmallUNet), their configs (createModel) and scoreFn. */
export * as models from './models/index.js';

import { native } from './native.js';
import { checkInt, checkOneOf } from './errors.js';
import { DTYPES, type DType } from './tensor/dtype.js';

/** Threads used by the CPU kernels (LCSS_NUM_THREADS, default: the number of cores). */
export function getNumThreads(): number {
  return native.getNumThreads();
}
/** Sets the kernel threads of the process (an integer in [1, 1024]; shared by every Worker). */
export function setNumThreads(n: number): void {
  checkInt('setNumThreads', 'n', n, 1, 1024);
  native.setNumThreads(n);
}
/** The instruction set the CPU kernels run with: 'avx512', 'avx2' or 'base'. */
export function cpuIsa(): string {
  return native.cpuIsa();
}
/** The native kernels (their contract names, e.g. 'conv2dForward', 'attentionForward'). */
export function kernelNames(): string[] {
  return native.contracts().map((c) => c.name);
}
/**
 * Whether this build has a native kernel for `kernel` on a device kind for a dtype (the backend
 * table's answer). Ops without one on a device run their composite form there.
 */
export function kernelSupported(kernel: string, device: 'cpu' | 'cuda', dtype: DType): boolean {
  const names = kernelNames();
  checkOneOf('kernelSupported', 'kernel', kernel, names);
  checkOneOf('kernelSupported', 'device', device, ['cpu', 'cuda']);
  checkOneOf('kernelSupported', 'dtype', dtype, DTYPES);
  return native.supports(kernel, device, dtype);
}

/** SDEs (VE, VP, subVP, double-well), Gaussian-mixture oracles with exact scores. */
export * as sde from './sde/index.js';
/** Samplers: PC (predictors, correctors), probability-flow ODE (RK45), annealed Langevin. */
export * as sampling from './sampling/index.js';
/** Bits/dim through the probability-flow ODE. */
export * as likelihood from './likelihood/index.js';
/** Adam(W), SGD, EMA, gradient clipping. */
export * as optim from './optim/index.js';
/** Toy 2-D sets, MNIST, IDX, CIFAR-10, PNG folders, the batching loader. */
export * as data from './data/index.js';
/** Plots, toy metrics, FID/KID/Inception score on MNIST classifier features. */
export * as evaluation from './eval/index.js';
/** Data-parallel training across processes on MPI: init, collectives, DistributedDataParallel. */
export * as distributed from './distributed/index.js';
/** Training: configs and presets, the loop, checkpoints. */
export * as train from './train/index.js';
