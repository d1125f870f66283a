// SPDX-License-Identifier: MIT
// The op case table (checks/ops/cases.ts) on CUDA, against the CPU backend on the same fresh random
// inputs: values in float32 and float64 (contiguous and strided), first-order and second-order
// gradients (float64), and the device memory each op leaves behind. Run by op_table.test.ts and by
// bench/gpu_check.ts.
import * as lc from '../../src/index.js';
import { nonContiguous, toTensor, values } from '../helpers/inputs.js';
import { cases, type Case } from '../ops/cases.js';
import { check, CUDA, expectClose, TOL64, type Suite, type Tol } from './helpers.js';

function inputs(c: Case, dtype: 'float32' | 'float64', seed: number): lc.Tensor[] {
  return c.inputs.map((spec, i) => toTensor(spec, values(spec, seed * 131 + i), dtype));
}

const isData = (c: Case, i: number) => !c.inputs[i].int && !c.inputs[i].bool;

function tolFor(c: Case, dtype: 'float32' | 'float64'): Tol {
  return dtype === 'float32' ? { rtol: Math.max(1e-4, c.rtol32 ?? 0), atol: 1e-5 } : TOL64;
}

function onDevice(ts: lc.Tensor[]): lc.Tensor[] {
  return ts.map((t) => {
    const d = t.to(CUDA);
    t.dispose();
    return d;
  });
}

function checkValues(c: Case, dtype: 'float32' | 'float64', strided: boolean, seed: number): void {
  lc.tidy(() => {
    const cpu = inputs(c, dtype, seed);
    const dev = cpu.map((t) => t.to(CUDA));
    const used = strided ? dev.map((t, i) => (isData(c, i) ? nonContiguous(t) : t)) : dev;
    const want = c.fn(...cpu);
    const got = c.fn(...used);
    expectClose(got, want, tolFor(c, dtype), `${c.name} (${dtype}${strided ? ', strided' : ''}, seed ${seed})`);
  });
}

function gradInputs(c: Case, device: lc.Device, seed: number): lc.Tensor[] {
  return inputs(c, 'float64', seed + 1).map((t, i) => {
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

function firstOrder(c: Case, device: lc.Device, seed: number): lc.Tensor[] {
  const ins = gradInputs(c, device, seed);
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

function secondOrder(c: Case, device: lc.Device, seed: number): lc.Tensor[] {
  const ins = gradInputs(c, device, seed);
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

/** The four suites of the table; `seed` picks the inputs (fresh unless pinned). */
export function tableSuites(seed: number): Suite[] {
  return [
    {
      name: 'op table on CUDA vs CPU: values',
      checks: cases.map((c) => ({
        name: c.name,
        run: () => {
          checkValues(c, 'float64', false, seed);
          checkValues(c, 'float32', false, seed);
          if (!c.contiguousOnly && c.inputs.some((s) => s.shape.length > 0)) checkValues(c, 'float32', true, seed);
        },
      })),
    },
    {
      name: 'op table on CUDA vs CPU: gradients',
      checks: cases.filter((c) => c.grad !== false).map((c) => ({
        name: c.name,
        run: () => {
          const want = firstOrder(c, lc.CPU, seed), got = firstOrder(c, CUDA, seed);
          try {
            got.forEach((g, i) => expectClose(g, want[i], TOL64, `${c.name}: d/d input ${i} (seed ${seed})`));
          } finally {
            lc.dispose([want, got]);
          }
        },
      })),
    },
    {
      name: 'op table on CUDA vs CPU: second-order gradients',
      checks: cases.filter((c) => c.grad !== false && (c.gradgrad ?? true)).map((c) => ({
        name: c.name,
        run: () => {
          const want = secondOrder(c, lc.CPU, seed), got = secondOrder(c, CUDA, seed);
          try {
            got.forEach((g, i) => expectClose(g, want[i], { rtol: 1e-9, atol: 1e-11 }, `${c.name}: d2/d input ${i} (seed ${seed})`));
          } finally {
            lc.dispose([want, got]);
          }
        },
      })),
    },
    {
      name: 'op table on CUDA: memory',
      checks: [{
        name: 'every op frees everything it made on the device inside tidy, its backward graph too',
        run: () => {
          const key = CUDA.toString();
          for (const c of cases) {
            const ins = c.grad === false ? onDevice(inputs(c, 'float32', seed)) : gradInputs(c, CUDA, seed);
            const n0 = lc.numTensors(), b0 = lc.memory().byDevice[key] ?? 0;
            lc.tidy(() => {
              const y = c.fn(...ins);
              check(y.device.toString() === key, `${c.name}: result on ${y.device}, expected ${key}`);
              if (y.requiresGrad) lc.sum(y).backward();
            });
            for (const t of ins) {
              t.grad?.dispose();
              t.grad = null;
            }
            check(lc.numTensors() === n0, `${c.name}: ${lc.numTensors() - n0} tensors leaked`);
            const b1 = lc.memory().byDevice[key] ?? 0;
            check(b1 === b0, `${c.name}: ${b1 - b0} bytes leaked on ${key}`);
            lc.dispose(ins);
          }
          lc.cuda.synchronize();
        },
      }],
    },
  ];
}
