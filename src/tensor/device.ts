// SPDX-License-Identifier: MIT
import { ArgumentError, DeviceError, show } from '../errors.js';
import { native, type CudaDeviceInfo, type MemoryStats } from '../native.js';

export type DeviceType = 'cpu' | 'cuda';

/** Where a tensor's memory lives. Compare with `equals`, print as 'cpu' or 'cuda:N'. */
export class Device {
  private constructor(readonly type: DeviceType, readonly index: number) {}
  private static readonly cache = new Map<string, Device>();

  static get(type: DeviceType, index = 0): Device {
    const key = `${type}:${index}`;
    let d = Device.cache.get(key);
    if (!d) Device.cache.set(key, (d = new Device(type, index)));
    return d;
  }

  get code(): number {
    return this.type === 'cpu' ? 0 : 1;
  }

  equals(o: Device): boolean {
    return this === o;
  }

  toString(): string {
    return this.type === 'cpu' ? 'cpu' : `cuda:${this.index}`;
  }
}

export const CPU = Device.get('cpu');

export type DeviceLike = Device | string;

let defaultDev: Device = CPU;

/**
 * Where creation ops (tensor, zeros, randn...) put a tensor when no device is given: 'cpu' unless
 * changed. Building a model or running a loss under setDefaultDevice('cuda') puts every parameter
 * and every noise draw on the GPU without a device option in each layer (torch.set_default_device).
 */
export function defaultDevice(): Device {
  return defaultDev;
}

/** Sets the default device (validated now: a missing GPU is a DeviceError here, not later). */
export function setDefaultDevice(spec: DeviceLike): Device {
  defaultDev = deviceFor('setDefaultDevice', spec);
  return defaultDev;
}

/**
 * Runs fn with `spec` as the default device, restoring the previous one afterwards. When fn returns
 * a promise the previous device comes back when it settles, so a whole async job (a training run, a
 * sampler) runs on the device; the default is process-wide, so don't interleave two async jobs that
 * want different defaults.
 */
export function withDefaultDevice<T>(spec: DeviceLike, fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError(`withDefaultDevice: argument 'fn' got ${show(fn)}, expected a function`);
  const prev = defaultDev;
  defaultDev = deviceFor('withDefaultDevice', spec);
  let async = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      async = true;
      return r.finally(() => { defaultDev = prev; }) as T;
    }
    return r;
  } finally {
    if (!async) defaultDev = prev;
  }
}

/** Parses 'cpu', 'cuda', 'cuda:1'; a CUDA device must be built and present. */
export function device(spec: DeviceLike = 'cpu'): Device {
  return deviceFor('device', spec);
}

/** device(spec) on behalf of the public function `op` (named in its errors). */
export function deviceFor(op: string, spec: DeviceLike = 'cpu'): Device {
  if (spec instanceof Device) return spec;
  const m = typeof spec === 'string' ? /^(cpu|cuda)(?::(\d+))?$/.exec(spec) : null;
  if (!m) throw new DeviceError(`${op}: got ${typeof spec === 'string' ? JSON.stringify(spec) : show(spec)}, expected 'cpu', 'cuda' or 'cuda:N'`);
  if (m[1] === 'cpu') return CPU;
  const index = m[2] ? Number(m[2]) : 0;
  if (!native.cudaBuilt()) throw new DeviceError(`${op}: '${spec}' is not available: ${native.cudaStatus()}`);
  const n = native.cudaDeviceCount();
  if (index >= n)
    throw new DeviceError(`${op}: '${spec}' is not available: ${n === 0 ? `no CUDA device is available (${native.cudaStatus()})` : `only ${n} CUDA device(s)`}`);
  return Device.get('cuda', index);
}

/** The form of a device index (a non-negative integer), checked even when no GPU is present. */
function cudaIndexShape(op: string, index: unknown): void {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw new ArgumentError(`${op}: argument 'index' got ${show(index)}, expected a non-negative integer`);
}

function cudaIndex(op: string, index: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw new ArgumentError(`${op}: argument 'index' got ${show(index)}, expected a non-negative integer`);
  const n = cuda.deviceCount();
  if (index >= n) throw new DeviceError(`${op}: cuda:${index} is not available (${n === 0 ? cuda.status() : `only ${n} CUDA device(s)`})`);
  return index;
}

export const cuda = {
  /** True when the addon was built with CUDA and at least one GPU is usable. Never throws. */
  isAvailable(): boolean {
    try {
      return native.cudaBuilt() && native.cudaDeviceCount() > 0;
    } catch {
      return false;
    }
  },
  isBuilt(): boolean {
    return native.cudaBuilt();
  },
  deviceCount(): number {
    return native.cudaBuilt() ? native.cudaDeviceCount() : 0;
  },
  /** Why CUDA is not available (empty when it is). Never throws. */
  status(): string {
    try {
      return native.cudaStatus();
    } catch (e) {
      return `CUDA status unavailable: ${(e as Error).message}`;
    }
  },
  /** Name, compute capability, memory and versions of cuda:index. */
  deviceInfo(index = 0): CudaDeviceInfo {
    return native.cudaDeviceInfo(cudaIndex('cuda.deviceInfo', index));
  },
  /**
   * Waits for every kernel queued on cuda:index and raises any error a kernel recorded (an index
   * out of range). Reading data back (dataSync) does the same. A no-op without a GPU.
   */
  synchronize(index = 0): void {
    cudaIndexShape('cuda.synchronize', index);
    if (!cuda.isAvailable()) return;
    native.cudaSynchronize(cudaIndex('cuda.synchronize', index));
  },
  /** The caching allocator of cuda:index: live, cached and peak bytes. */
  memoryStats(index = 0): MemoryStats {
    return native.cudaMemoryStats(cudaIndex('cuda.memoryStats', index));
  },
  /** Returns cached blocks of cuda:index (every device when omitted) to the driver. */
  emptyCache(index?: number): void {
    if (index !== undefined) cudaIndexShape('cuda.emptyCache', index);
    if (!cuda.isAvailable()) return;
    native.cudaEmptyCache(index === undefined ? -1 : cudaIndex('cuda.emptyCache', index));
  },
  resetPeakMemoryStats(index = 0): void {
    native.cudaResetPeak(cudaIndex('cuda.resetPeakMemoryStats', index));
  },
  /**
   * Precision of float32 matmuls and convolutions on CUDA (torch.set_float32_matmul_precision):
   * 'highest' (the default: strict float32, results match the CPU backend to rounding) or 'tf32'
   * (inputs rounded to 10 mantissa bits on tensor cores, float32 accumulation; sm_80 and newer, else
   * 'highest' is used). Process-wide; also LCSS_CUDA_TF32=1 at start.
   */
  setMatmulPrecision(p: 'highest' | 'tf32'): void {
    if (p !== 'highest' && p !== 'tf32') throw new ArgumentError(`cuda.setMatmulPrecision: argument 'precision' got ${show(p)}, expected 'highest' or 'tf32'`);
    native.cudaSetTF32(p === 'tf32');
  },
  getMatmulPrecision(): 'highest' | 'tf32' {
    const on = native.cudaSetTF32(false);
    native.cudaSetTF32(on);
    return on ? 'tf32' : 'highest';
  },
};
