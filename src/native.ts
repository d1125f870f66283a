// SPDX-License-Identifier: MIT
// The addon's whole surface as one TS interface, and its loader. The binding does no math and no
// shape logic: TS validates, the addon converts arguments and calls a kernel.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceError, IndexError, LcssError, NativeError, OutOfMemoryError } from './errors.js';

/**
 * Handle of a block of native memory: a number the addon's buffer table resolves (and refuses once
 * the block is freed), never a pointer.
 */
export type NativeBuffer = number & { readonly __nativeBuffer: unique symbol };

type B = NativeBuffer;
type Arr = readonly number[];
type Opt = B | null;

export interface MemoryStats {
  allocatedBytes: number;
  reservedBytes: number;
  peakAllocatedBytes: number;
  numAllocs: number;
  cacheHits: number;
  osAllocs: number;
  /** buffers this JS environment holds (CPU only) */
  liveBuffers?: number;
}

export interface NativeAddon {
  alloc(dtype: number, numel: number, device: number, deviceIndex: number): B;
  free(b: B): void;
  write(b: B, offset: number, data: ArrayBufferView): void;
  read(b: B, offset: number, count: number): ArrayBuffer;
  /** read's copy on the libuv threadpool: throws for a bad handle or range, rejects if the copy fails; ops on b wait for it, a free of b is deferred to it */
  readAsync(b: B, offset: number, count: number): Promise<ArrayBuffer>;
  cpuMemoryStats(): MemoryStats;
  cpuEmptyCache(): void;
  cpuResetPeak(): void;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  /** chunks the kernel thread pool's workers have run since start (tests prove the pool ran) */
  poolWorkerChunks(): number;
  cpuIsa(): string;
  setErrorClasses(classes: Record<'LCSS_ARGUMENT' | 'LCSS_INDEX' | 'LCSS_OUT_OF_MEMORY' | 'LCSS_DEVICE', new (message: string) => LcssError>): void;

  unary(op: number, p1: number, p2: number, y: B, yo: number, ys: Arr, yst: Arr, x: B, xo: number, xs: Arr, xst: Arr): void;
  binary(op: number, p1: number, p2: number, y: B, yo: number, ys: Arr, yst: Arr, a: B, ao: number, as: Arr, ast: Arr,
    b: B, bo: number, bs: Arr, bst: Arr): void;
  where(y: B, yo: number, ys: Arr, yst: Arr, c: B, co: number, cs: Arr, cst: Arr, a: B, ao: number, as: Arr, ast: Arr,
    b: B, bo: number, bs: Arr, bst: Arr): void;
  copy(y: B, yo: number, ys: Arr, yst: Arr, x: B, xo: number, xs: Arr, xst: Arr): void;
  fill(y: B, yo: number, ys: Arr, yst: Arr, value: number): void;
  reduce(op: number, nkeep: number, y: B, yo: number, ys: Arr, yst: Arr, x: B, xo: number, xs: Arr, xst: Arr): void;
  gemm(a: B, ao: number, b: B, bo: number, c: B, co: number, dims: Arr, alpha: number, beta: number): void;
  randomFill(kind: number, y: B, yo: number, ys: Arr, yst: Arr, seed: number, offset: number, a: number, b: number): void;

  conv2dForward(shape: Arr, x: B, xo: number, w: B, wo: number, bias: Opt, bo: number, y: B, yo: number): void;
  conv2dBackwardInput(shape: Arr, gy: B, gyo: number, w: B, wo: number, gx: B, gxo: number): void;
  conv2dBackwardWeight(shape: Arr, x: B, xo: number, gy: B, gyo: number, gw: B, gwo: number): void;
  groupNormForward(N: number, C: number, HW: number, G: number, eps: number, silu: boolean, x: B, xo: number,
    gamma: Opt, go: number, beta: Opt, bo: number, y: B, yo: number, mean: B, mo: number, rstd: B, ro: number): void;
  groupNormBackward(N: number, C: number, HW: number, G: number, silu: boolean, gy: B, gyo: number, x: B, xo: number,
    mean: B, mo: number, rstd: B, ro: number, gamma: Opt, go: number, beta: Opt, bo: number, gx: B, gxo: number,
    ggamma: Opt, ggo: number, gbeta: Opt, gbo: number): void;
  layerNormForward(R: number, D: number, eps: number, x: B, xo: number, w: Opt, wo: number, b: Opt, bo: number,
    y: B, yo: number, mean: B, mo: number, rstd: B, ro: number): void;
  layerNormBackward(R: number, D: number, gy: B, gyo: number, x: B, xo: number, mean: B, mo: number, rstd: B, ro: number,
    w: Opt, wo: number, gx: B, gxo: number, gw: Opt, gwo: number, gb: Opt, gbo: number): void;
  softmaxForward(outer: number, D: number, inner: number, log: boolean, x: B, xo: number, y: B, yo: number): void;
  softmaxBackward(outer: number, D: number, inner: number, log: boolean, y: B, yo: number, gy: B, gyo: number, gx: B, gxo: number): void;
  /**
   * Fused softmax(q k^T * scale) v over [B, L, d] operands (CPU). strides: batch, row, column strides of q, k, v and go
   * (12 numbers); o, lse [B, Lq] (saved for the backward), gq, gk, gv are contiguous.
   */
  attentionForward(B: number, Lq: number, Lk: number, D: number, Dv: number, scale: number, strides: Arr, q: B, qo: number,
    k: B, ko: number, v: B, vo: number, o: B, oo: number, lse: B, lo: number): void;
  attentionBackward(B: number, Lq: number, Lk: number, D: number, Dv: number, scale: number, strides: Arr, q: B, qo: number,
    k: B, ko: number, v: B, vo: number, lse: B, lo: number, go: B, goo: number, gq: B, gqo: number, gk: B, gko: number,
    gv: B, gvo: number): void;
  /** Whether float32 3x3 stride-1 convolutions use Winograd F(4x4, 3x3); sets it when `on` is given. */
  convWinograd(on?: boolean): boolean;
  pool2d(kind: number, shape: Arr, flag: boolean, a: B, ao: number, b: B, bo: number, idx: Opt, io: number): void;
  upsampleNearest(backward: boolean, NC: number, H: number, W: number, fh: number, fw: number, a: B, ao: number, b: B, bo: number): void;
  indexOp(kind: number, outer: number, D: number, inner: number, M: number, a: B, ao: number, idx: B, io: number, b: B, bo: number): void;
  steinOp(kind: number, B: number, D: number, K: number, estimator: number, normPerturbed: boolean, gamma: number,
    seed: number, offset: number, sigma: B, so: number, p0: B, p0o: number, p1: B, p1o: number, p2: Opt, p2o: number): void;
  adamStep(n: number, p: B, po: number, g: B, go: number, m: B, mo: number, v: B, vo: number, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number, adamw: boolean): void;

  cudaBuilt(): boolean;
  cudaDeviceCount(): number;
  cudaStatus(): string;
  cudaSynchronize(device: number): void;
  cudaDeviceInfo(device: number): CudaDeviceInfo;
  cudaMemoryStats(device: number): MemoryStats;
  /** device < 0: every device */
  cudaEmptyCache(device: number): void;
  cudaResetPeak(device: number): void;
  /** float32 products on TF32 tensor cores (sm_80+); returns the previous setting */
  cudaSetTF32(on: boolean): boolean;
}

export interface CudaDeviceInfo {
  name: string;
  /** compute capability major.minor */
  major: number;
  minor: number;
  multiProcessors: number;
  totalMemory: number;
  sharedMemoryPerBlock: number;
  runtimeVersion: number;
  driverVersion: number;
  /** the CPU emulator of a development build, not a GPU */
  emulated: boolean;
}

/** Op codes (native/cpu/ops.h). */
export const Unary = {
  neg: 0, abs: 1, sign: 2, exp: 3, log: 4, log1p: 5, expm1: 6, sqrt: 7, rsqrt: 8, square: 9,
  reciprocal: 10, sin: 11, cos: 12, tanh: 13, sigmoid: 14, silu: 15, softplus: 16, relu: 17, elu: 18, gelu: 19,
  geluTanh: 20, erf: 21, floor: 22, ceil: 23, round: 24, addS: 25, mulS: 26, rsubS: 27, rdivS: 28, powS: 29,
  rpowS: 30, clamp: 31, maxS: 32, minS: 33, affine: 34, logSigmoid: 35, tan: 36, atan: 37,
  eqS: 40, neS: 41, ltS: 42, leS: 43, gtS: 44, geS: 45, not: 46, isnan: 47, isfinite: 48,
} as const;

export const Binary = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, atan2: 7,
  eq: 10, ne: 11, lt: 12, le: 13, gt: 14, ge: 15, and: 16, or: 17, xor: 18,
  siluBwd: 20, sigmoidBwd: 21, tanhBwd: 22, reluBwd: 23, geluBwd: 24, softplusBwd: 25, eluBwd: 26, geluTanhBwd: 27,
  logSigmoidBwd: 28, lerp: 30, axpy: 31,
} as const;

export const Reduce = { sum: 0, prod: 1, max: 2, min: 3, argmax: 4, argmin: 5 } as const;
export const RandomKind = { uniform: 0, normal: 1, bernoulli: 2, randint: 3 } as const;
export const SteinEstimator = { plain: 0, control: 1, antithetic: 2 } as const;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('lcss: cannot find the package root (looked for package.json beside native/)');
}

function load(): NativeAddon {
  const root = packageRoot();
  const candidates = [
    process.env.LCSS_ADDON,
    join(root, 'build', 'Release', 'lcss.node'),
    join(root, 'build', 'Debug', 'lcss.node'),
  ].filter((p): p is string => !!p);
  const require = createRequire(import.meta.url);
  for (const p of candidates) if (existsSync(p)) return require(p) as NativeAddon;
  throw new Error(`lcss: the native addon is not built (looked in ${candidates.join(', ')}); run \`npm install\` or \`npm run build\``);
}

export const native: NativeAddon = load();
// Native failures are thrown as the typed errors of src/errors.ts (the addon constructs them).
native.setErrorClasses({ LCSS_ARGUMENT: NativeError, LCSS_INDEX: IndexError, LCSS_OUT_OF_MEMORY: OutOfMemoryError, LCSS_DEVICE: DeviceError });
