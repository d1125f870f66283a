// SPDX-License-Identifier: MIT
// The op case table (test/ops/cases.ts) on CUDA, against the CPU backend on the same fresh random
// inputs: values in float32 and float64 (contiguous and strided), first-order gradients and
// second-order gradients (float64), and the memory each op leaves behind on the device.
// Skipped, with the reason in the title, where no CUDA device is available (CI has no GPU; a
// development build on the CPU emulator runs it, see native/cuda/emu).
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { nonContiguous, toTensor, values } from '../helpers/inputs.js';
import { cases, type Case } from '../ops/cases.js';
import { CUDA, expectClose, HAVE_CUDA, SKIP_REASON, TOL64, type Tol } from './helpers.js';

// fresh inputs unless LCSS_TEST_SEED pins them (the seed is in every failure message)
const SEED = Number(process.env.LCSS_TEST_SEED ?? Math.floor(Math.random() * 1e6));

function inputs(c: Case, dtype: 'float32' | 'float64', seed: number): lc.Tensor[] {
  return c.inputs.map((spec, i) => toTensor(spec, values(spec, seed * 131 + i), dtype));
}

const isData = (c: Case, i: number) => !c.inputs[i].int && !c.inputs[i].bool;

function tolFor(c: Case, dtype: 'float32' | 'float64'): Tol {
  return dtype === 'float32' ? { rtol: Math.max(1e-4, c.rtol32 ?? 0), atol: 1e-5 } : TOL64;
}

function checkValues(c: Case, dtype: 'float32' | 'float64', strided: boolean): void {
  lc.tidy(() => {
    const cpu = inputs(c, dtype, SEED);
    const dev = cpu.map((t) => t.to(CUDA));
    const used = strided ? dev.map((t, i) => (isData(c, i) ? nonContiguous(t) : t)) : dev;
    const want = c.fn(...cpu);
    const got = c.fn(...used);
    expectClose(got, want, tolFor(c, dtype), `${c.name} (${dtype}${strided ? ', strided' : ''}, seed ${SEED})`);
  });
}

function onDevice(ts: lc.Tensor[]): lc.Tensor[] {
  return ts.map((t) => {
    const d = t.to(CUDA);
    t.dispose();
    return d;
  });
}

function gradInputs(c: Case, device: lc.Device): lc.Tensor[] {
  return inputs(c, 'float64', SEED + 1).map((t, i) => {
    const d = t.to(device);
    if (d !== t) t.dispose();
    if (isData(c, i) && !c.inputs[i].constant) d.requiresGrad = true;
    return d;
  });
}

// The same fixed upstream gradient on both devices.
function upstream(shape: readonly number[], device: lc.Device): lc.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float64Array.from({ length: n }, (_, i) => 0.3 + 0.7 * Math.sin(1.7 * i + 0.5));
  return lc.tensor(v, { shape: [...shape], dtype: 'float64', device });
}

function firstOrder(c: Case, device: lc.Device): lc.Tensor[] {
  const ins = gradInputs(c, device);
  try {
    return lc.tidy(() => {
      const y = c.fn(...ins);
      const want = ins.filter((t) => t.requiresGrad);
      const gs = lc.grad(y, want, { gradOutputs: upstream(y.shape, device), allowUnused: true });
      return gs.map((g, i) => g ?? lc.zerosLike(want[i]));
    });
  } finally {
    lc.dispose(ins);
  }
}

function secondOrder(c: Case, device: lc.Device): lc.Tensor[] {
  const ins = gradInputs(c, device);
  try {
    return lc.tidy(() => {
      const y = c.fn(...ins);
      const want = ins.filter((t) => t.requiresGrad);
      const gs = lc.grad(y, want, { gradOutputs: upstream(y.shape, device), createGraph: true, allowUnused: true });
      let s: lc.Tensor | null = null;
      gs.forEach((g, i) => {
        if (!g) return;
        const term = lc.sum(lc.mul(g, upstream(want[i].shape, device)));
        s = s ? lc.add(s, term) : term;
      });
      // linear ops: the first-order gradient does not depend on the inputs
      if (!s || !(s as lc.Tensor).requiresGrad) return want.map((w) => lc.zerosLike(w));
      const ggs = lc.grad(s, want, { allowUnused: true });
      return ggs.map((g, i) => g ?? lc.zerosLike(want[i]));
    });
  } finally {
    lc.dispose(ins);
  }
}

describe.skipIf(!HAVE_CUDA)(`op table on CUDA vs CPU: values${SKIP_REASON}`, () => {
  for (const c of cases) {
    it(c.name, () => {
      checkValues(c, 'float64', false);
      checkValues(c, 'float32', false);
      if (!c.contiguousOnly && c.inputs.some((s) => s.shape.length > 0)) checkValues(c, 'float32', true);
    });
  }
});

describe.skipIf(!HAVE_CUDA)(`op table on CUDA vs CPU: gradients${SKIP_REASON}`, () => {
  for (const c of cases.filter((c) => c.grad !== false)) {
    it(c.name, () => {
      const want = firstOrder(c, lc.CPU), got = firstOrder(c, CUDA);
      got.forEach((g, i) => expectClose(g, want[i], TOL64, `${c.name}: d/d input ${i} (seed ${SEED})`));
      lc.dispose([want, got]);
    });
  }
});

describe.skipIf(!HAVE_CUDA)(`op table on CUDA vs CPU: second-order gradients${SKIP_REASON}`, () => {
  for (const c of cases.filter((c) => c.grad !== false && (c.gradgrad ?? true))) {
    it(c.name, () => {
      const want = secondOrder(c, lc.CPU), got = secondOrder(c, CUDA);
      got.forEach((g, i) => expectClose(g, want[i], { rtol: 1e-9, atol: 1e-11 }, `${c.name}: d2/d input ${i} (seed ${SEED})`));
      lc.dispose([want, got]);
    });
  }
});

describe.skipIf(!HAVE_CUDA)(`op table on CUDA: memory${SKIP_REASON}`, () => {
  it('every op frees everything it made on the device inside tidy, its backward graph too', () => {
    const key = CUDA.toString();
    for (const c of cases) {
      const ins = c.grad === false ? onDevice(inputs(c, 'float32', SEED)) : gradInputs(c, CUDA);
      const n0 = lc.numTensors(), b0 = lc.memory().byDevice[key] ?? 0;
      lc.tidy(() => {
        const y = c.fn(...ins);
        expect(y.device.toString(), c.name).toBe(key);
        if (y.requiresGrad) lc.sum(y).backward();
      });
      for (const t of ins) {
        t.grad?.dispose();
        t.grad = null;
      }
      expect(lc.numTensors(), `${c.name}: tensors`).toBe(n0);
      expect(lc.memory().byDevice[key] ?? 0, `${c.name}: bytes on ${key}`).toBe(b0);
      lc.dispose(ins);
    }
    lc.cuda.synchronize();
  });
});
