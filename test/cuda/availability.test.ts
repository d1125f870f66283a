// SPDX-License-Identifier: MIT
// What every build must do whatever the machine: `cuda.isAvailable()` never throws, the status
// explains a missing GPU, and asking for a CUDA device that is not there is a typed error naming
// the reason. Runs everywhere (CI has no GPU: there it checks the CUDA-built addon loads and
// reports the driver error instead of crashing).
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { native } from '../../src/native.js';

describe('cuda availability', () => {
  it('isAvailable, isBuilt, deviceCount and status never throw and agree', () => {
    const avail = lc.cuda.isAvailable();
    expect(typeof avail).toBe('boolean');
    expect(avail).toBe(lc.cuda.isBuilt() && lc.cuda.deviceCount() > 0);
    const status = lc.cuda.status();
    expect(typeof status).toBe('string');
    if (avail) {
      expect(status).toBe('');
      const info = lc.cuda.deviceInfo(0);
      expect(info.name.length).toBeGreaterThan(0);
      expect(info.major).toBeGreaterThanOrEqual(7);
      console.info(`[cuda] ${lc.cuda.deviceCount()} device(s); cuda:0 = ${info.name} (sm_${info.major}${info.minor}, ${info.multiProcessors} SMs${info.emulated ? ', CPU EMULATOR' : ''})`);
    } else {
      // a reason a user can act on, never an empty string
      expect(status.length).toBeGreaterThan(20);
      console.info(`[cuda] not available: ${status}`);
    }
  });

  it.skipIf(lc.cuda.isBuilt())('a CPU-only build says how to build with CUDA', () => {
    expect(lc.cuda.status()).toMatch(/built without CUDA/);
    expect(lc.cuda.deviceCount()).toBe(0);
  });

  it.skipIf(!lc.cuda.isBuilt() || lc.cuda.isAvailable())('a CUDA build on a machine without a GPU loads and explains why', () => {
    expect(native.cudaBuilt()).toBe(true);
    expect(native.cudaDeviceCount()).toBe(0);
    // cudaGetDeviceCount's status, with its number and text (35 = no or too old a driver)
    expect(lc.cuda.status()).toMatch(/cudaGetDeviceCount (returned \d+|returned 0)/);
  });

  it.skipIf(lc.cuda.isAvailable())('device("cuda") and tensors on it are DeviceErrors naming the reason', () => {
    const reason = lc.cuda.status();
    for (const spec of ['cuda', 'cuda:0', 'cuda:1']) {
      let err: unknown = null;
      try {
        lc.device(spec);
      } catch (e) {
        err = e;
      }
      expect(err, spec).toBeInstanceOf(lc.DeviceError);
      expect((err as Error).message).toContain(reason);
    }
    expect(() => lc.tensor([1, 2], { device: 'cuda' })).toThrow(lc.DeviceError);
    expect(() => lc.zeros([2], { device: 'cuda' })).toThrow(lc.DeviceError);
    expect(() => lc.randn([2], { device: 'cuda' })).toThrow(lc.DeviceError);
    const x = lc.ones([2]);
    expect(() => x.to('cuda')).toThrow(lc.DeviceError);
    x.dispose();
    // harmless without a GPU
    lc.cuda.synchronize();
    lc.cuda.emptyCache();
    expect(lc.memory().cuda).toEqual([]);
    expect(() => lc.cuda.memoryStats(0)).toThrow(lc.DeviceError);
  });

  it('device specs are validated', () => {
    expect(() => lc.device('gpu')).toThrow(lc.DeviceError);
    expect(() => lc.device('cuda:x')).toThrow(lc.DeviceError);
    expect(lc.device('cpu')).toBe(lc.CPU);
    if (lc.cuda.isAvailable()) {
      expect(lc.device('cuda').toString()).toBe('cuda:0');
      expect(() => lc.device(`cuda:${lc.cuda.deviceCount()}`)).toThrow(/only \d+ CUDA device/);
    }
  });
});
