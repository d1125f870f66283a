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

// Backstop for storages that are dropped without dispose(): the native block is freed when the
// Storage is garbage-collected (the callback runs on a later turn of the event loop). Explicit
// release unregisters, so a disposed tensor leaves nothing pending: everything it held is freed
// at once, even in a synchronous loop that never yields.
const finalizer = new FinalizationRegistry<NativeBuffer>((buffer) => native.free(buffer));

export class Storage {
  readonly buffer: NativeBuffer;
  refs = 0;
  version = 0;
  /** Set when the last holder let go: the native block is gone. */
  dead = false;
  readonly nbytes: number;

  constructor(readonly dtype: DType, readonly numel: number, readonly device: Device = CPU) {
    this.buffer = native.alloc(DTYPE_CODE[dtype], numel, device.code, device.index);
    this.nbytes = numel * (dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4);
    finalizer.register(this, this.buffer, this);
    liveBytes += this.nbytes;
    account(device, this.nbytes);
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) {
      this.dead = true;
      finalizer.unregister(this);
      native.free(this.buffer);
      liveBytes -= this.nbytes;
      account(this.device, -this.nbytes);
    }
  }

  get freed(): boolean {
    return this.dead;
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
