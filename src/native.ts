// SPDX-License-Identifier: MIT
// The addon's whole surface as one TS interface, and its loader. The binding does no math and no
// shape logic: TS validates, the addon converts arguments and calls a kernel.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceError, IndexError, LcssError, NativeError, OutOfMemoryError } from './errors.js';
import { bindKernels, type Kernels } from './native_kernels.gen.js';

/**
 * Handle of a block of native memory: a number the addon's buffer table resolves (and refuses once
 * the block is freed), never a pointer.
 */
export type NativeBuffer = number & { readonly __nativeBuffer: unique symbol };

type B = NativeBuffer;

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

/** The kernel thread pool's counters since the process started (native/core/threadpool.h); the *Ms times advance only while poolTiming is on. */
export interface NativePoolStats {
  threads: number;
  /** calls that fanned out to the workers, and the wall time from publishing each to its last chunk */
  regions: number;
  regionMs: number;
  /** calls that reached the pool but ran on the calling thread alone: one chunk of work, nested, or the pool busy */
  inlineRuns: number;
  workerChunks: number;
  /** inside regions: the caller's time waiting for workers after its own chunks ran out */
  callerWaitMs: number;
  /** the workers' time inside chunks, summed over workers */
  workerBusyMs: number;
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
  /** the kernel thread pool's cumulative counters (see PoolStats in native/core/threadpool.h) */
  poolStats(): NativePoolStats;
  /** turns the pool's region and chunk timers on or off (the profiler's stretch); counts always run */
  poolTiming(on: boolean): void;
  cpuIsa(): string;
  setErrorClasses(classes: Record<'LCSS_ARGUMENT' | 'LCSS_INDEX' | 'LCSS_OUT_OF_MEMORY' | 'LCSS_DEVICE', new (message: string) => LcssError>): void;

  /** The op contracts (native/contract/ops.h): src/native_kernels.gen.ts is generated from this table. */
  contracts(): { name: string; dtypes: string[]; fields: { name: string; kind: string }[] }[];
  /** Whether this build has a kernel for op on a device kind for a dtype (ask this, not the device type). */
  supports(op: string, device: 'cpu' | 'cuda', dtype: string): boolean;
  /** The op codes of native/contract/op_codes.h, by their C++ names. */
  opCodes(): Record<'unary' | 'binary' | 'reduce' | 'random' | 'steinEstimator', Record<string, number>>;
  /** Whether float32 3x3 stride-1 convolutions use Winograd F(4x4, 3x3); sets it when `on` is given. */
  convWinograd(on?: boolean): boolean;

  /** What the addon was built with for distributed training (native/dist/comm.h). */
  distInfo(): { mpi: boolean; compiledBy: string; initialized: boolean; deviceTransport: string };
  /** Starts the communication thread and MPI; every later collective is bounded by timeoutSeconds. */
  distInit(timeoutSeconds: number): { rank: number; size: number; localRank: number; localSize: number; library: string };
  /** kind 0 all-reduce (sum, or mean with average), 1 broadcast from root, 2 barrier; settles when done everywhere */
  distSubmit(job: { kind: 0 | 1 | 2; dtype: number; average?: boolean; root: number; tensors?: [B, number, number][]; arrays?: ArrayBufferView[]; what: string }): Promise<void>;
  distSetTimeout(seconds: number): void;
  /** ends every rank of the job (MPI_Abort); never returns */
  distAbort(code: number): never;
  distFinalize(): void;

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

/** Op codes (native/contract/op_codes.h; test/native/contracts.test.ts checks them against the addon). */
export const Unary = {
  neg: 0, abs: 1, sign: 2, exp: 3, log: 4, log1p: 5, expm1: 6, sqrt: 7, rsqrt: 8, square: 9,
  reciprocal: 10, sin: 11, cos: 12, tanh: 13, sigmoid: 14, silu: 15, softplus: 16, relu: 17, elu: 18, gelu: 19,
  geluTanh: 20, erf: 21, floor: 22, ceil: 23, round: 24, addS: 25, mulS: 26, rsubS: 27, rdivS: 28, powS: 29,
  rpowS: 30, clamp: 31, maxS: 32, minS: 33, logSigmoid: 35, tan: 36, atan: 37,
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
/** The ops, called with named arguments (flattened to the addon's positional order). */
export const kernels: Kernels = bindKernels(native as unknown as Record<string, unknown>);
