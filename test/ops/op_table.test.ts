// SPDX-License-Identifier: MIT
// Runs every row of the op case table (cases.ts) in three modes:
//  - values in float32 and float64, contiguous and non-contiguous inputs, against the float64
//    reference (rtol 1e-4 / atol 1e-5 in float32 unless the row says otherwise; 1e-9 in float64);
//  - first-order gradients against central finite differences in float64 (gradcheck);
//  - second-order gradients (gradgradcheck) for every twice-differentiable row;
// and checks that no tensor outlives a tidy around forward + backward.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { allClose, maxRelErr, nonContiguous, toNd, toTensor, values } from '../../checks/helpers/inputs.js';
import { cases, type Case } from '../../checks/ops/cases.js';

function makeInputs(c: Case, dtype: 'float32' | 'float64', seed: number): lc.Tensor[] {
  return c.inputs.map((spec, i) => toTensor(spec, values(spec, seed * 31 + i), dtype));
}

function checkValues(c: Case, dtype: 'float32' | 'float64', nonContig: boolean): void {
  lc.tidy(() => {
    const ins = makeInputs(c, dtype, 7);
    const used = nonContig ? ins.map((t, i) => (c.inputs[i].int || c.inputs[i].bool ? t : nonContiguous(t))) : ins;
    if (nonContig) used.forEach((t, i) => !c.inputs[i].int && !c.inputs[i].bool && t.ndim > 0 && expect(t.isContiguous).toBe(false));
    const y = c.fn(...used);
    const ref = c.ref(...ins.map(toNd));
    expect([...y.shape], `${c.name}: shape`).toEqual(ref.shape);
    const got = y.dataSync();
    const rtol = dtype === 'float32' ? c.rtol32 ?? 1e-4 : c.rtol64 ?? 1e-9;
    const atol = dtype === 'float32' ? 1e-5 : 1e-10;
    // |got - ref| <= atol + rtol |ref|  <=>  |got - ref| / (atol / rtol + |ref|) <= rtol
    const err = maxRelErr(got as ArrayLike<number>, ref.data, atol / rtol);
    expect(err, `${c.name} (${dtype}${nonContig ? ', non-contiguous' : ''}): max scaled error ${err}`).toBeLessThanOrEqual(rtol);
  });
}

function diffInputs(c: Case): lc.Tensor[] {
  const ins = makeInputs(c, 'float64', 11);
  ins.forEach((t, i) => {
    if (!c.inputs[i].constant && !c.inputs[i].int && !c.inputs[i].bool) t.requiresGrad = true;
  });
  return ins;
}

describe('op table: the value check itself', () => {
  it('accepts rounding and rejects a 1e-3 relative error', () => {
    expect(allClose([1, 2, 0], [1 + 1e-10, 2, 1e-12], 1e-9, 1e-10)).toBe(true);
    expect(allClose([1.001, 2], [1, 2], 1e-4, 1e-5)).toBe(false);
    expect(allClose([0.5], [0], 1e-4, 1e-5)).toBe(false);
    expect(allClose([NaN, Infinity], [NaN, Infinity], 1e-9, 1e-10)).toBe(true);
    expect(allClose([NaN], [1], 1e-9, 1e-10)).toBe(false);
  });
});

describe('op table: values', () => {
  for (const c of cases) {
    it(c.name, () => {
      checkValues(c, 'float64', false);
      checkValues(c, 'float32', false);
      if (!c.contiguousOnly && c.inputs.some((s) => s.shape.length > 0)) checkValues(c, 'float32', true);
    });
  }
});

describe('op table: gradients (float64 finite differences)', () => {
  for (const c of cases.filter((c) => c.grad !== false)) {
    it(c.name, () => {
      const ins = diffInputs(c);
      try {
        expect(lc.gradcheck(c.fn, ins, { atol: c.gradAtol ?? 1e-5, rtol: 1e-4 })).toBe(true);
      } finally {
        lc.dispose(ins);
      }
    });
  }
});

describe('op table: second-order gradients', () => {
  for (const c of cases.filter((c) => c.grad !== false && (c.gradgrad ?? true))) {
    it(c.name, () => {
      const ins = diffInputs(c);
      try {
        expect(lc.gradgradcheck(c.fn, ins, { atol: 1e-4, rtol: 1e-3 })).toBe(true);
      } finally {
        lc.dispose(ins);
      }
    });
  }
});

describe('op table: memory', () => {
  it('every op frees everything it made inside tidy, including its backward graph', () => {
    for (const c of cases) {
      const ins = c.grad === false ? makeInputs(c, 'float32', 3) : diffInputs(c);
      const n0 = lc.numTensors(), b0 = lc.memory().numBytes;
      lc.tidy(() => {
        const y = c.fn(...ins);
        if (y.requiresGrad) lc.sum(y).backward();
      });
      for (const t of ins) {
        t.grad?.dispose();
        t.grad = null;
      }
      expect(lc.numTensors(), `${c.name}: tensors`).toBe(n0);
      expect(lc.memory().numBytes, `${c.name}: bytes`).toBe(b0);
      lc.dispose(ins);
    }
  });
});
