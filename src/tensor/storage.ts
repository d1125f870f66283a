// SPDX-License-Identifier: MIT
// A block of native memory shared by a tensor and all its views. It is freed when the last holder
// (a live tensor, or a tensor saved for backward) lets go; `version` counts in-place writes so
// autograd can detect a saved tensor that was modified.
import { native, type NativeBuffer } from '../native.js';
import { CPU, type Device } from './device.js';
import { DTYPE_CODE, type DType } from './dtype.js';

let liveBytes = 0;
/** Live bytes per device ('cpu', 'cuda:0', ...), so GPU memory held by tensors is visible on its own. */
// keyed by the Device object itself (one instance per device), so accounting costs no string work
const liveByDevice = new Map<Device, number>();

function account(device: Device, bytes: number): void {
  liveByDevice.set(device, (liveByDevice.get(device) ?? 0) + bytes);
}

export class Storage {
  readonly buffer: NativeBuffer;
  refs = 0;
  version = 0;
  readonly nbytes: number;

  constructor(readonly dtype: DType, readonly numel: number, readonly device: Device = CPU) {
    this.buffer = native.alloc(DTYPE_CODE[dtype], numel, device.code, device.index);
    this.nbytes = numel * (dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4);
    liveBytes += this.nbytes;
    account(device, this.nbytes);
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) {
      native.free(this.buffer);
      liveBytes -= this.nbytes;
      account(this.device, -this.nbytes);
    }
  }

  get freed(): boolean {
    return this.refs <= 0;
  }
}

/** Bytes held by storages that are still referenced (on `device` only, when given). */
export function storageBytes(device?: Device): number {
  return device ? liveByDevice.get(device) ?? 0 : liveBytes;
}

/** Bytes held by live storages, per device that ever held one ('cpu', 'cuda:0', ...). */
export function storageBytesByDevice(): Record<string, number> {
  return Object.fromEntries([...liveByDevice].map(([d, b]) => [d.toString(), b]));
}
