// SPDX-License-Identifier: MIT
// Every row of the op case table again, with each input given as a random view of a larger
// storage instead of a fresh tensor: dims permuted in storage (so size-1 dims get strides no
// contiguous tensor has), some dims flipped (negative strides), some padded on either side
// (offsets, strides wider than the shape), and, for values, size-1 dims given any stride at all
// (0 as after a broadcast, negative, or larger than the storage), which is valid for a size-1 dim.
// The padding holds NaN (or an out-of-range index), so an op that reads outside its view, or
// takes a stride from the wrong dim, gives a wrong number here.
//  - values in float32 and float64 against the float64 reference;
//  - first- and second-order gradients with respect to the storage, against the same gradients
//    of contiguous inputs (themselves checked against finite differences in op_table.test.ts),
//    and exactly zero in the padding.
// This is the class of bug behind linear reading rows with the stride of a size-1 dim.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { maxRelErr, mulberry32, toNd, toTensor, values } from '../../checks/helpers/inputs.js';
import { cases, type Case } from '../../checks/ops/cases.js';

interface Layout {
  /** storage dim i holds logical dim perm[i] */
  perm: number[];
  flip: boolean[];
  before: number[];
  after: number[];
  /** a stride to force on each size-1 dim (values only: Tensor.view records no gradient), or null */
  unitStride: (number | null)[];
}

/**
 * The ways a view can differ from a fresh tensor, one at a time (a bug that needs one twist and
 * a plain rest is found every time, not by luck) and all at once.
 */
const KINDS = ['unit-moved', 'permuted', 'flipped', 'padded', 'unit-strides', 'mixed'] as const;
type Kind = (typeof KINDS)[number];

function shuffle(a: number[], rnd: () => number): number[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function randomLayout(shape: readonly number[], rnd: () => number, kind: Kind, forceUnitStrides = true): Layout {
  const r = shape.length;
  let perm = [...Array(r).keys()];
  if (kind === 'permuted' || kind === 'mixed') perm = shuffle(perm, rnd);
  if (kind === 'unit-moved') {
    // the other dims keep their order; each size-1 dim goes to a random place in storage
    const units = perm.filter((d) => shape[d] === 1);
    perm = perm.filter((d) => shape[d] !== 1);
    for (const u of units) perm.splice(Math.floor(rnd() * (perm.length + 1)), 0, u);
  }
  const any = kind === 'mixed';
  return {
    perm,
    flip: shape.map((s) => (kind === 'flipped' || any) && s > 1 && (kind === 'flipped' || rnd() < 0.5)),
    before: shape.map(() => ((kind === 'padded' || any) && rnd() < 0.6 ? 1 + Math.floor(rnd() * 2) : 0)),
    after: shape.map(() => ((kind === 'padded' || any) && rnd() < 0.6 ? 1 + Math.floor(rnd() * 2) : 0)),
    unitStride: shape.map((s) => (forceUnitStrides && (kind === 'unit-strides' || any) && s === 1 ? [0, -5, 97, 1 << 20][Math.floor(rnd() * 4)] : null)),
  };
}

/** Storage index of each logical element (row-major order of `shape`). */
function storagePositions(shape: readonly number[], L: Layout): { storageShape: number[]; pos: number[] } {
  const r = shape.length;
  const full = shape.map((s, d) => s + L.before[d] + L.after[d]);
  const storageShape = L.perm.map((d) => full[d]);
  const sstride = new Array(r).fill(1);
  for (let i = r - 2; i >= 0; i--) sstride[i] = sstride[i + 1] * storageShape[i + 1];
  const strideOf = new Array(r);
  L.perm.forEach((d, i) => (strideOf[d] = sstride[i]));
  const n = shape.reduce((a, b) => a * b, 1);
  const pos: number[] = [];
  const idx = new Array(r).fill(0);
  for (let k = 0; k < n; k++) {
    let o = 0;
 for (let d = 0; d < r; d++) {
      o += (L.before[d] + (L.flip[d] ? shape[d] - 1 - idx[d] : idx[d])) * strideOf[d];
    }
    pos.push(o);
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { storageShape, pos };
}

/** The view of `storage` (laid out by `L`) whose logical shape is `shape`. */
function viewOf(storage: lc.Tensor, shape: readonly number[], L: Layout): lc.Tensor {
  const inv = new Array(L.perm.length);
  L.perm.forEach((d, i) => (inv[d] = i));
  let v = storage.ndim ? lc.permute(storage, inv) : storage;
  shape.forEach((s, d) => {
    if (L.before[d] || L.after[d]) v = lc.narrow(v, d, L.before[d], s);
  });
  const flips = shape.map((_, d) => d).filter((d) => L.flip[d]);
  if (flips.length) v = lc.flip(v, flips);
  if (L.unitStride.some((x) => x !== null)) v = lc.Tensor.view(v, [...shape], v.strides.map((st, d) => L.unitStride[d] ?? st), v.offset);
  return v;
}

const junkFor = (spec: Case['inputs'][number]) => (spec.bool ? 1 : spec.int ? -1_000_003 : NaN);

/** A storage tensor holding `vals` at the layout's positions and junk elsewhere. */
function storageFor(spec: Case['inputs'][number], vals: number[], L: Layout, dtype: 'float32' | 'float64'): { storage: lc.Tensor; pos: number[] } {
  const { storageShape, pos } = storagePositions(spec.shape, L);
  const data = new Array(storageShape.reduce((a, b) => a * b, 1)).fill(junkFor(spec));
  pos.forEach((p, k) => (data[p] = vals[k]));
  return { storage: toTensor({ ...spec, shape: storageShape }, data, dtype), pos };
}

const differentiable = (spec: Case['inputs'][number]) => !spec.constant && !spec.int && !spec.bool;
function checkValues(c: Case, dtype: 'float32' | 'float64', seed: number, kind: Kind): void {
  lc.tidy(() => {
    const rnd = mulberry32(seed);
    const vals = c.inputs.map((spec, i) => values(spec, 7 * 31 + i));
    const ref = c.ref(...c.inputs.map((spec, i) => toNd(toTensor(spec, vals[i], dtype))));
    const views = c.inputs.map((spec, i) => {
      const L = randomLayout(spec.shape, rnd, kind);
      return viewOf(storageFor(spec, vals[i], L, dtype).storage, spec.shape, L);
    });
    const y = c.fn(...views);
    expect([...y.shape], `${c.name}: shape`).toEqual(ref.shape);
    const rtol = dtype === 'float32' ? c.rtol32 ?? 1e-4 : c.rtol64 ?? 1e-9;
    const atol = dtype === 'float32' ? 1e-5 : 1e-10;
    const err = maxRelErr(y.dataSync() as ArrayLike<number>, ref.data, atol / rtol);
    expect(err, `${c.name} (${dtype}, ${kind} views, seed ${seed}): max scaled error ${err}`).toBeLessThanOrEqual(rtol);
  });
}

/**
 * First- (and second-) order gradients through random views equal those of contiguous inputs,
 * scattered to the view's positions, and are 0 in the padding.
 */
function checkGradients(c: Case, seed: number, kind: Kind, second: boolean): void {
  lc.tidy(() => {
    const rnd = mulberry32(seed);
    const vals = c.inputs.map((spec, i) => values(spec, 11 * 31 + i));
    const dense = c.inputs.map((spec, i) => toTensor(spec, vals[i], 'float64'));
    const layouts = c.inputs.map((spec) => randomLayout(spec.shape, rnd, kind, false));
    const stores = c.inputs.map((spec, i) => storageFor(spec, vals[i], layouts[i], 'float64'));
    const diff = c.inputs.map((spec) => differentiable(spec));
    dense.forEach((t, i) => diff[i] && (t.requiresGrad = true));
    stores.forEach((s, i) => diff[i] && (s.storage.requiresGrad = true));
    const views = stores.map((s, i) => viewOf(s.storage, c.inputs[i].shape, layouts[i]));
    const yd = c.fn(...dense), yv = c.fn(...views);
    const w = lc.tensor(values({ shape: [...yd.shape] }, seed + 5), { shape: [...yd.shape], dtype: 'float64' });
    const targetsD = dense.filter((_, i) => diff[i]), targetsV = stores.filter((_, i) => diff[i]).map((s) => s.storage);
    const gd = lc.grad(lc.sum(lc.mul(yd, w)), targetsD, { createGraph: second, allowUnused: true });
    const gv = lc.grad(lc.sum(lc.mul(yv, w)), targetsV, { createGraph: second, allowUnused: true });
    const posD = stores.filter((_, i) => diff[i]).map((s) => s.pos);
    const compare = (a: (lc.Tensor | null)[], b: (lc.Tensor | null)[], what: string) => {
      a.forEach((g, k) => {
        const dv = g ? Array.from(g.dataSync() as ArrayLike<number>) : new Array(targetsD[k].numel).fill(0);
        const sv = b[k] ? Array.from(b[k]!.dataSync() as ArrayLike<number>) : new Array(targetsV[k].numel).fill(0);
        const expected = new Array(sv.length).fill(0);
        posD[k].forEach((p, j) => (expected[p] = dv[j]));
        const err = maxRelErr(sv, expected, 1e-8);
        expect(err, `${c.name}: ${what} of input ${k}, ${kind} views, seed ${seed}: max scaled error ${err}`).toBeLessThanOrEqual(1e-7);
      });
    };
    compare(gd, gv, 'gradient');
    if (!second) return;
    // a random direction u on each input: d/dx <grad, u> through both layouts
    const us = targetsD.map((t, k) => values({ shape: [...t.shape] }, seed + 17 + k));
    const dotD = gd.reduce<lc.Tensor>((acc, g, k) => (g ? lc.add(acc, lc.sum(lc.mul(g, lc.tensor(us[k], { shape: [...targetsD[k].shape], dtype: 'float64' })))) : acc), lc.scalar(0, 'float64'));
    const dotV = gv.reduce<lc.Tensor>((acc, g, k) => {
      if (!g) return acc;
      const u = new Array(targetsV[k].numel).fill(0);
      posD[k].forEach((p, j) => (u[p] = us[k][j]));
      return lc.add(acc, lc.sum(lc.mul(g, lc.tensor(u, { shape: [...targetsV[k].shape], dtype: 'float64' }))));
    }, lc.scalar(0, 'float64'));
    if (!dotD.requiresGrad) return;  // linear in every input: the second derivative is 0 on both sides
    compare(lc.grad(dotD, targetsD, { allowUnused: true }), lc.grad(dotV, targetsV, { allowUnused: true }), 'second-order gradient');
  });
}

describe('random views: values (float32 and float64)', () => {
  for (const c of cases.filter((c) => c.inputs.some((s) => s.shape.length > 0))) {
    it(c.name, () => {
      KINDS.forEach((kind, s) => {
        checkValues(c, 'float64', 1000 + s, kind);
        checkValues(c, 'float32', 2000 + s, kind);
      });
    });
  }
});

describe('random views: first and second-order gradients', () => {
  for (const c of cases.filter((c) => c.grad !== false && c.inputs.some((s) => s.shape.length > 0))) {
    it(c.name, () => {
      // Tensor.view records no gradient: forced unit strides are a values-only layout
      KINDS.filter((k) => k !== 'unit-strides').forEach((kind, s) => checkGradients(c, 3000 + s, kind, (c.gradgrad ?? true) && (kind === 'mixed' || kind === 'unit-moved')));
    });
  }
});

describe('random views: the layouts themselves', () => {
  it('produce negative strides, offsets, size-1 dims with odd strides and stride 0', () => {
    const seen = { negative: false, offset: false, oddUnit: false, zero: false };
    const rnd = mulberry32(5);
    for (let k = 0; k < 40; k++) {
      const shape = [3, 1, 4];
      const L = randomLayout(shape, rnd, KINDS[k % KINDS.length]);
      lc.tidy(() => {
        const v = viewOf(storageFor({ shape }, values({ shape }, k), L, 'float32').storage, shape, L);
        expect([...v.shape]).toEqual(shape);
        if (v.strides.some((s) => s < 0)) seen.negative = true;
        if (v.offset > 0) seen.offset = true;
        if (v.strides[1] === 0) seen.zero = true;
        else if (v.strides[1] !== v.strides[2] * 4 && v.strides[1] !== v.strides[2] * -4) seen.oddUnit = true;
      });
    }
    expect(seen).toEqual({ negative: true, offset: true, oddUnit: true, zero: true });
  });
});
