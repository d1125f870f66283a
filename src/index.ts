// SPDX-License-Identifier: MIT
// The public API of lcss: tensors, ops and autograd, and (as namespaces) the score-based
// diffusion stack built on them.
import './tensor/methods.js';

export { Tensor, type NestedArray } from './tensor/tensor.js';
export { type DType, DTYPES, isFloat, promote } from './tensor/dtype.js';
export { Device, device, cuda, CPU, defaultDevice, setDefaultDevice, withDefaultDevice, type DeviceLike } from './tensor/device.js';
export { tidy, keep, dispose, numTensors, memory, emptyCache, resetPeakMemory, type MemoryInfo } from './tensor/scope.js';
export { profile, startProfile, stopProfile, isProfiling, type ProfileReport, type KernelStat, type ProfileOptions } from './profile.js';
export * from './errors.js';

export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/mode.js';
export { backward, grad, type GradOptions } from './autograd/engine.js';
export { gradcheck, gradgradcheck, type GradcheckOptions } from './autograd/gradcheck.js';

export * from './ops/creation.js';
export * from './ops/random.js';
export * from './ops/unary.js';
export * from './ops/binary.js';
export * from './ops/cast.js';
export * from './ops/view.js';
export * from './ops/join.js';
export * from './ops/reduce.js';
export * from './ops/softmax.js';
export * from './ops/linalg.js';
export * from './ops/conv.js';
export * from './ops/pool.js';
export * from './ops/norm.js';
export * from './ops/indexing.js';
export * from './ops/dropout.js';
export * from './ops/attention.js';
export * from './ops/inplace.js';
export * from './ops/stein.js';

/** Score-matching objectives: lcss, dsm, ssm, ssmVr, fdssm, exact, and makeLoss(name, options). */
export * as losses from './losses/index.js';
/** Modules and layers: Module, Linear, Conv2d, GroupNorm, attention, embeddings, FIR resampling. */
export * as nn from './nn/index.js';
/** Score networks (MLPScore, NCSNpp, NCSNv2, SmallUNet), their configs (createModel) and scoreFn. */
export * as models from './models/index.js';

import { native } from './native.js';

/** Threads used by the CPU kernels (LCSS_NUM_THREADS, default: the number of cores). */
export function getNumThreads(): number {
  return native.getNumThreads();
}
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
/** The instruction set the CPU kernels run with: 'avx512', 'avx2' or 'base'. */
export function cpuIsa(): string {
  return native.cpuIsa();
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
/** Training: configs and presets, the loop, checkpoints. */
export * as train from './train/index.js';
