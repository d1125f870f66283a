// SPDX-License-Identifier: MIT
// A block of native memory shared by a tensor and all its views. It is freed when the last holder
// (a live tensor, or a tensor saved for backward) lets go; `version` counts in-place writes so
// autograd can detect a saved tensor that was modified.
import { native, type NativeBuffer } from '../native.js';
import { CPU, type Device } from './device.js';
import { DTYPE_CODE, type DType } from './dtype.js';

let liveBytes = 0;

export class Storage {
  readonly buffer: NativeBuffer;
  refs = 0;
  version = 0;
  readonly nbytes: number;

  constructor(readonly dtype: DType, readonly numel: number, readonly device: Device = CPU) {
    this.buffer = native.alloc(DTYPE_CODE[dtype], numel, device.code, device.index);
    this.nbytes = numel * (dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4);
    liveBytes += this.nbytes;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) {
      native.free(this.buffer);
      liveBytes -= this.nbytes;
    }
  }

  get freed(): boolean {
    return this.refs <= 0;
  }
}

/** Bytes held by storages that are still referenced. */
export function storageBytes(): number {
  return liveBytes;
}
