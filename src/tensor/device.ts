// SPDX-License-Identifier: MIT
import { DeviceError } from '../errors.js';
import { native } from '../native.js';

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

/** Parses 'cpu', 'cuda', 'cuda:1'; a CUDA device must be built and present. */
export function device(spec: DeviceLike = 'cpu'): Device {
  if (spec instanceof Device) return spec;
  const m = /^(cpu|cuda)(?::(\d+))?$/.exec(String(spec));
  if (!m) throw new DeviceError(`device: got ${JSON.stringify(spec)}, expected 'cpu', 'cuda' or 'cuda:N'`);
  if (m[1] === 'cpu') return CPU;
  const index = m[2] ? Number(m[2]) : 0;
  if (!native.cudaBuilt()) throw new DeviceError(`device('${spec}'): ${native.cudaStatus()}`);
  const n = native.cudaDeviceCount();
  if (index >= n)
    throw new DeviceError(`device('${spec}'): ${n === 0 ? `no CUDA device is available (${native.cudaStatus()})` : `only ${n} CUDA device(s)`}`);
  return Device.get('cuda', index);
}

export const cuda = {
  /** True when the addon was built with CUDA and at least one GPU is usable. Never throws. */
  isAvailable(): boolean {
    return native.cudaBuilt() && native.cudaDeviceCount() > 0;
  },
  isBuilt(): boolean {
    return native.cudaBuilt();
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /** Why CUDA is not available (empty when it is). */
  status(): string {
    return native.cudaStatus();
  },
  synchronize(index = 0): void {
    if (native.cudaBuilt()) native.cudaSynchronize(index);
  },
};
