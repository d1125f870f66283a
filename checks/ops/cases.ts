// SPDX-License-Identifier: MIT
// The op case table: one row per op configuration. Each row is run for values against the
// float64 reference (checks/helpers/ref.ts) in float32 and float64, on contiguous and non-contiguous
// inputs, and for first- and second-order gradients against finite differences (float64).
import * as lc from '../../src/index.js';
import type { InputSpec } from '../helpers/inputs.js';
import * as R from '../helpers/ref.js';

type T = lc.Tensor;
export interface Case {
  name: string;
  inputs: InputSpec[];
  fn: (...xs: T[]) => T;
  ref: (...xs: R.Nd[]) => R.Nd;
  /** first-order gradient check (default true) */
  grad?: boolean;
  /** second-order gradient check (default = grad) */
  gradgrad?: boolean;
  /** value tolerance (relative, with atol 1e-5 f32 / 1e-10 f64) */
  rtol32?: number;
  rtol64?: number;
  /** finite-difference tolerances */
  gradAtol?: number;
  /** skip the non-contiguous variant (inputs that are indices etc.) */
  contiguousOnly?: boolean;
}

const S = (shape: number[], o: Partial<InputSpec> = {}): InputSpec => ({ shape, ...o });
const X = [3, 5, 7];  // odd shape for elementwise ops
const small = [2, 3];
const sig = (v: number) => 1 / (1 + Math.exp(-v));

function unary(name: string, fn: (x: T) => T, f: (v: number) => number, spec: Partial<InputSpec> = {}, extra: Partial<Case> = {}): Case[] {
  return [
    { name: `${name} [3,5,7]`, inputs: [S(X, spec)], fn, ref: (a) => R.map(a, f), ...extra },
    { name: `${name} scalar`, inputs: [S([], spec)], fn, ref: (a) => R.map(a, f), ...extra },
  ];
}

function binary(name: string, fn: (a: T, b: T) => T, f: (a: number, b: number) => number, sa: Partial<InputSpec> = {}, sb: Partial<InputSpec> = {}, extra: Partial<Case> = {}): Case[] {
  return [
    { name: `${name} same shape`, inputs: [S(X, sa), S(X, sb)], fn, ref: (a, b) => R.zip(a, b, f), ...extra },
    { name: `${name} broadcast [3,1,7]x[5,1]`, inputs: [S([3, 1, 7], sa), S([5, 1], sb)], fn, ref: (a, b) => R.zip(a, b, f), ...extra },
    { name: `${name} scalar tensor`, inputs: [S([4, 3], sa), S([], sb)], fn, ref: (a, b) => R.zip(a, b, f), ...extra },
  ];
}

const softmaxRef = (l: number[]) => {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp(v - m));
  const s = R.sum(e);
  return e.map((v) => v / s);
};

export const cases: Case[] = [
  // ---- unary
  ...unary('neg', lc.neg, (v) => -v),
  ...unary('abs', lc.abs, Math.abs, { away: 0.1 }),
  ...unary('sign', lc.sign, Math.sign, { away: 0.1 }, { grad: false }),
  ...unary('exp', lc.exp, Math.exp),
  ...unary('log', lc.log, Math.log, { lo: 0.2, hi: 3 }),
  ...unary('log1p', lc.log1p, Math.log1p, { lo: -0.5, hi: 3 }),
  ...unary('expm1', lc.expm1, Math.expm1),
  ...unary('sqrt', lc.sqrt, Math.sqrt, { lo: 0.2, hi: 3 }),
  ...unary('rsqrt', lc.rsqrt, (v) => 1 / Math.sqrt(v), { lo: 0.2, hi: 3 }),
  ...unary('square', lc.square, (v) => v * v),
  ...unary('reciprocal', lc.reciprocal, (v) => 1 / v, { away: 0.3 }),
  ...unary('sin', lc.sin, Math.sin),
  ...unary('cos', lc.cos, Math.cos),
  ...unary('tan', lc.tan, Math.tan, { lo: -1, hi: 1 }),
  ...unary('atan', lc.atan, Math.atan),
  ...unary('tanh', lc.tanh, Math.tanh, { lo: -4, hi: 4 }),
  ...unary('sigmoid', lc.sigmoid, sig, { lo: -6, hi: 6 }),
  ...unary('silu', lc.silu, (v) => v * sig(v), { lo: -6, hi: 6 }),
  ...unary('softplus', (x) => lc.softplus(x, 2, 5), (v) => (2 * v > 5 ? v : Math.log1p(Math.exp(2 * v)) / 2), { lo: -3, hi: 1.5 }),
  ...unary('logSigmoid', lc.logSigmoid, (v) => -Math.log1p(Math.exp(-v))),
  ...unary('relu', lc.relu, (v) => Math.max(v, 0), { away: 0.1 }),
  ...unary('elu', (x) => lc.elu(x, 1.3), (v) => (v > 0 ? v : 1.3 * Math.expm1(v)), { away: 0.1 }),
  ...unary('gelu', lc.gelu, (v) => 0.5 * v * (1 + R.erf(v / Math.SQRT2)), { lo: -4, hi: 4 }),
  ...unary('gelu tanh', (x) => lc.gelu(x, 'tanh'), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), { lo: -4, hi: 4 }),
  ...unary('erf', lc.erf, R.erf),
  ...unary('floor', lc.floor, Math.floor, { lo: -3, hi: 3 }, { grad: false }),
  ...unary('ceil', lc.ceil, Math.ceil, { lo: -3, hi: 3 }, { grad: false }),
  ...unary('clamp', (x) => lc.clamp(x, -0.7, 0.9), (v) => Math.min(Math.max(v, -0.7), 0.9), { values: undefined }, {}),
  ...unary('pow 3', (x) => lc.pow(x, 3), (v) => v ** 3),
  ...unary('pow -1.5', (x) => lc.pow(x, -1.5), (v) => v ** -1.5, { lo: 0.3, hi: 3 }),
  ...unary('pow 0.5', (x) => lc.pow(x, 0.5), Math.sqrt, { lo: 0.3, hi: 3 }),
  // scalar operands
  ...unary('add scalar', (x) => lc.add(x, 2.5), (v) => v + 2.5),
  ...unary('rsub scalar', (x) => lc.sub(1.5, x), (v) => 1.5 - v),
  ...unary('mul scalar', (x) => lc.mul(-3, x), (v) => -3 * v),
  ...unary('div scalar', (x) => lc.div(x, 4), (v) => v / 4),
  ...unary('rdiv scalar', (x) => lc.div(3, x), (v) => 3 / v, { away: 0.3 }),
  ...unary('rpow scalar', (x) => lc.pow(2, x), (v) => 2 ** v),
  ...unary('maximum scalar', (x) => lc.maximum(x, 0.25), (v) => Math.max(v, 0.25), { away: 0.1 }),
  ...unary('minimum scalar', (x) => lc.minimum(x, 0.25), (v) => Math.min(v, 0.25), { away: 0.1 }),
  // ---- binary
  ...binary('add', lc.add, (a, b) => a + b),
  ...binary('sub', lc.sub, (a, b) => a - b),
  ...binary('mul', lc.mul, (a, b) => a * b),
  ...binary('div', lc.div, (a, b) => a / b, {}, { away: 0.4 }),
  ...binary('pow', lc.pow, (a, b) => a ** b, { lo: 0.3, hi: 2 }, { lo: -1.5, hi: 1.5 }),
  ...binary('maximum', lc.maximum, Math.max),
  ...binary('minimum', lc.minimum, Math.min),
  ...binary('atan2', lc.atan2, Math.atan2, {}, { away: 0.3 }),
  ...binary('gt', lc.gt, (a, b) => +(a > b), {}, {}, { grad: false }),
  ...binary('le', lc.le, (a, b) => +(a <= b), {}, {}, { grad: false }),
  ...binary('eq', lc.eq, (a, b) => +(a === b), { values: undefined }, {}, { grad: false }),
  { name: 'where', inputs: [S([3, 1, 7], { bool: true, constant: true }), S([5, 1]), S([3, 5, 7])], fn: (c, a, b) => lc.where(c, a, b), ref: (c, a, b) => R.zip3(c, a, b, (cv, x, y) => (cv ? x : y)) },
  { name: 'where scalar', inputs: [S([4, 5], { bool: true, constant: true }), S([4, 5])], fn: (c, a) => lc.where(c, a, -1), ref: (c, a) => R.zip(c, a, (cv, x) => (cv ? x : -1)) },
  // ---- reductions
  { name: 'sum all', inputs: [S(X)], fn: (x) => lc.sum(x), ref: (x) => R.reduce(x, undefined, false, R.sum) },
  { name: 'sum dim 1', inputs: [S(X)], fn: (x) => lc.sum(x, 1), ref: (x) => R.reduce(x, [1], false, R.sum) },
  { name: 'sum dims [0,2] keepdim', inputs: [S(X)], fn: (x) => lc.sum(x, [0, 2], true), ref: (x) => R.reduce(x, [0, 2], true, R.sum) },
  { name: 'sum dim 0 (columns)', inputs: [S([9, 6])], fn: (x) => lc.sum(x, 0), ref: (x) => R.reduce(x, [0], false, R.sum) },
  { name: 'sum dim 1 of [4,1,3]', inputs: [S([4, 1, 3])], fn: (x) => lc.sum(x, 1), ref: (x) => R.reduce(x, [1], false, R.sum) },
  { name: 'softmax dim 0 of [1,5]', inputs: [S([1, 5])], fn: (x) => lc.softmax(x, 0), ref: (x) => R.alongDim(x, 0, softmaxRef) },
  { name: 'sum scalar', inputs: [S([])], fn: (x) => lc.sum(x), ref: (x) => R.reduce(x, undefined, false, R.sum) },
  { name: 'mean dim -1', inputs: [S(X)], fn: (x) => lc.mean(x, -1), ref: (x) => R.reduce(x, [2], false, R.mean) },
  { name: 'max dim 1', inputs: [S(X)], fn: (x) => lc.max(x, 1), ref: (x) => R.reduce(x, [1], false, (v) => Math.max(...v)) },
  { name: 'min all', inputs: [S(X)], fn: (x) => lc.min(x), ref: (x) => R.reduce(x, undefined, false, (v) => Math.min(...v)) },
  { name: 'argmax dim 2', inputs: [S(X)], fn: (x) => lc.argmax(x, 2), ref: (x) => R.reduce(x, [2], false, (v) => v.indexOf(Math.max(...v))), grad: false },
  { name: 'argmin all', inputs: [S(X)], fn: (x) => lc.argmin(x), ref: (x) => R.reduce(x, undefined, false, (v) => v.indexOf(Math.min(...v))), grad: false },
  { name: 'var dim 1 unbiased', inputs: [S(X)], fn: (x) => lc.variance(x, 1), ref: (x) => R.reduce(x, [1], false, (v) => R.variance(v, true)) },
  { name: 'var all biased keepdim', inputs: [S(X)], fn: (x) => lc.variance(x, undefined, { unbiased: false, keepdim: true }), ref: (x) => R.reduce(x, undefined, true, (v) => R.variance(v, false)) },
  { name: 'std dim [0,1]', inputs: [S(X)], fn: (x) => lc.std(x, [0, 1]), ref: (x) => R.reduce(x, [0, 1], false, (v) => Math.sqrt(R.variance(v, true))) },
  { name: 'logsumexp dim 1', inputs: [S(X, { lo: -5, hi: 5 })], fn: (x) => lc.logsumexp(x, 1), ref: (x) => R.reduce(x, [1], false, (v) => { const m = Math.max(...v); return m + Math.log(R.sum(v.map((u) => Math.exp(u - m)))); }) },
  { name: 'norm 2 dim -1', inputs: [S(X)], fn: (x) => lc.norm(x, 2, -1), ref: (x) => R.reduce(x, [2], false, (v) => Math.sqrt(R.sum(v.map((u) => u * u)))) },
  { name: 'norm 1 all', inputs: [S(X, { away: 0.1 })], fn: (x) => lc.norm(x, 1), ref: (x) => R.reduce(x, undefined, false, (v) => R.sum(v.map(Math.abs))) },
  { name: 'norm 3 dim 0', inputs: [S(X, { away: 0.1 })], fn: (x) => lc.norm(x, 3, 0), ref: (x) => R.reduce(x, [0], false, (v) => R.sum(v.map((u) => Math.abs(u) ** 3)) ** (1 / 3)) },
  { name: 'norm inf', inputs: [S(X)], fn: (x) => lc.norm(x, Infinity), ref: (x) => R.reduce(x, undefined, false, (v) => Math.max(...v.map(Math.abs))) },
  { name: 'softmax dim -1', inputs: [S(X)], fn: (x) => lc.softmax(x, -1), ref: (x) => R.alongDim(x, -1, softmaxRef) },
  { name: 'softmax dim 1', inputs: [S(X)], fn: (x) => lc.softmax(x, 1), ref: (x) => R.alongDim(x, 1, softmaxRef) },
  { name: 'logSoftmax dim 0', inputs: [S(X)], fn: (x) => lc.logSoftmax(x, 0), ref: (x) => R.alongDim(x, 0, (l) => softmaxRef(l).map(Math.log)) },
  // ---- linear algebra
  { name: 'matmul 2d', inputs: [S([3, 5]), S([5, 4])], fn: lc.matmul, ref: R.matmul },
  { name: 'matmul batched broadcast', inputs: [S([2, 3, 5]), S([5, 4])], fn: lc.matmul, ref: R.matmul },
  { name: 'matmul batch broadcast both', inputs: [S([2, 1, 3, 4]), S([3, 4, 2])], fn: lc.matmul, ref: R.matmul },
  { name: 'matmul vector-matrix', inputs: [S([5]), S([5, 3])], fn: lc.matmul, ref: R.matmul },
  { name: 'matmul matrix-vector', inputs: [S([3, 5]), S([5])], fn: lc.matmul, ref: R.matmul },
  { name: 'matmul dot', inputs: [S([7]), S([7])], fn: lc.matmul, ref: R.matmul },
  { name: 'matmul transposed operands', inputs: [S([5, 3]), S([4, 5])], fn: (a, b) => lc.matmul(a.T, b.T), ref: (a, b) => R.matmul(R.permute(a, [1, 0]), R.permute(b, [1, 0])) },
  { name: 'matmul large odd (gemm tails)', inputs: [S([37, 53]), S([53, 29])], fn: lc.matmul, ref: R.matmul, gradgrad: false },
  { name: 'linear with bias', inputs: [S([4, 5]), S([3, 5]), S([3])], fn: (x, w, b) => lc.linear(x, w, b), ref: (x, w, b) => R.zip(R.matmul(x, R.permute(w, [1, 0])), b, (u, v) => u + v) },
  { name: 'linear 3-D input, no bias', inputs: [S([2, 3, 5]), S([4, 5])], fn: (x, w) => lc.linear(x, w), ref: (x, w) => R.matmul(x, R.permute(w, [1, 0])) },
  { name: 'linear [2,1,3] (size-1 dim -2)', inputs: [S([2, 1, 3]), S([4, 3]), S([4])], fn: (x, w, b) => lc.linear(x, w, b), ref: (x, w, b) => R.zip(R.matmul(x, R.permute(w, [1, 0])), b, (u, v) => u + v) },
  { name: 'linear [1,1,5] single row', inputs: [S([1, 1, 5]), S([2, 5])], fn: (x, w) => lc.linear(x, w), ref: (x, w) => R.matmul(x, R.permute(w, [1, 0])) },
  { name: 'matmul [1,5]x[5,1]', inputs: [S([1, 5]), S([5, 1])], fn: lc.matmul, ref: R.matmul },
  { name: 'matmul batched [3,1,4]x[3,4,1]', inputs: [S([3, 1, 4]), S([3, 4, 1])], fn: lc.matmul, ref: R.matmul },
  // ---- convolution
  ...convCases(),
  // ---- pooling, resampling
  { name: 'avgPool2d k2 s2', inputs: [S([2, 3, 6, 5])], fn: (x) => lc.avgPool2d(x, 2), ref: (x) => R.pool2d(x, [2, 2], [2, 2], [0, 0], 'avg') },
  { name: 'avgPool2d k3 s1 p1', inputs: [S([1, 2, 5, 5])], fn: (x) => lc.avgPool2d(x, 3, { stride: 1, padding: 1 }), ref: (x) => R.pool2d(x, [3, 3], [1, 1], [1, 1], 'avg') },
  { name: 'avgPool2d k3 s2 p1 no pad count', inputs: [S([1, 2, 5, 6])], fn: (x) => lc.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), ref: (x) => R.pool2d(x, [3, 3], [2, 2], [1, 1], 'avg', false) },
  { name: 'maxPool2d k2 s2', inputs: [S([2, 2, 6, 4])], fn: (x) => lc.maxPool2d(x, 2), ref: (x) => R.pool2d(x, [2, 2], [2, 2], [0, 0], 'max') },
  { name: 'maxPool2d k3 s2 p1', inputs: [S([1, 2, 5, 5])], fn: (x) => lc.maxPool2d(x, 3, { stride: 2, padding: 1 }), ref: (x) => R.pool2d(x, [3, 3], [2, 2], [1, 1], 'max') },
  { name: 'maxPool2d k3 s2 dilation 2', inputs: [S([1, 2, 9, 8])], fn: (x) => lc.maxPool2d(x, 3, { stride: 2, padding: 1, dilation: 2 }), ref: (x) => R.pool2d(x, [3, 3], [2, 2], [1, 1], 'max', true, { dilation: [2, 2] }) },
  { name: 'maxPool2d k2 s2 ceilMode (odd sizes)', inputs: [S([1, 2, 5, 7])], fn: (x) => lc.maxPool2d(x, 2, { ceilMode: true }), ref: (x) => R.pool2d(x, [2, 2], [2, 2], [0, 0], 'max', true, { ceilMode: true }) },
  { name: 'maxPool2d k3 s2 p1 ceilMode dilation [1,2]', inputs: [S([1, 1, 6, 9])], fn: (x) => lc.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, dilation: [1, 2] }), ref: (x) => R.pool2d(x, [3, 3], [2, 2], [1, 1], 'max', true, { ceilMode: true, dilation: [1, 2] }) },
  { name: 'avgPool2d k3 s2 p1 ceilMode', inputs: [S([1, 2, 6, 7])], fn: (x) => lc.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), ref: (x) => R.pool2d(x, [3, 3], [2, 2], [1, 1], 'avg', true, { ceilMode: true }) },
  { name: 'avgPool2d k2 ceilMode no pad count', inputs: [S([2, 1, 5, 5])], fn: (x) => lc.avgPool2d(x, 2, { ceilMode: true, countIncludePad: false }), ref: (x) => R.pool2d(x, [2, 2], [2, 2], [0, 0], 'avg', false, { ceilMode: true }) },
  { name: 'avgPool2d divisorOverride 3', inputs: [S([1, 2, 4, 6])], fn: (x) => lc.avgPool2d(x, 2, { divisorOverride: 3 }), ref: (x) => R.pool2d(x, [2, 2], [2, 2], [0, 0], 'avg', true, { divisorOverride: 3 }) },
  { name: 'upsampleNearest x2', inputs: [S([2, 3, 3, 4])], fn: (x) => lc.upsampleNearest(x, 2), ref: (x) => R.upsampleNearest(x, 2) },
  // ---- normalisation
  { name: 'groupNorm affine', inputs: [S([2, 6, 3, 5]), S([6]), S([6])], fn: (x, w, b) => lc.groupNorm(x, 3, w, b), ref: (x, w, b) => R.groupNorm(x, 3, w, b, 1e-5), rtol32: 1e-3 },
  { name: 'groupNorm no affine', inputs: [S([3, 4, 7])], fn: (x) => lc.groupNorm(x, 2), ref: (x) => R.groupNorm(x, 2, null, null, 1e-5), rtol32: 1e-3 },
  { name: 'groupNorm + silu', inputs: [S([2, 4, 3, 3]), S([4]), S([4])], fn: (x, w, b) => lc.groupNorm(x, 2, w, b, { silu: true }), ref: (x, w, b) => R.groupNorm(x, 2, w, b, 1e-5, true), rtol32: 1e-3 },
  { name: 'instanceNorm', inputs: [S([2, 3, 4, 4])], fn: (x) => lc.instanceNorm(x), ref: (x) => R.groupNorm(x, 3, null, null, 1e-5), rtol32: 1e-3 },
  { name: 'layerNorm last dim', inputs: [S([3, 5, 7]), S([7]), S([7])], fn: (x, w, b) => lc.layerNorm(x, 7, w, b), ref: (x, w, b) => R.layerNorm(x, 7, w, b, 1e-5), rtol32: 1e-3 },
  { name: 'layerNorm last 2 dims', inputs: [S([3, 4, 5])], fn: (x) => lc.layerNorm(x, [4, 5]), ref: (x) => R.layerNorm(x, 20, null, null, 1e-5), rtol32: 1e-3 },
  // ---- indexing
  { name: 'indexSelect dim 0 repeated', inputs: [S([5, 4]), S([6], { values: [4, 0, 2, 2, 1, 4], int: true, constant: true })], fn: (x, i) => lc.indexSelect(x, 0, i), ref: (x, i) => gatherRows(x, i), contiguousOnly: true },
  { name: 'indexSelect dim 1', inputs: [S([3, 5, 2]), S([3], { values: [1, 4, 1], int: true, constant: true })], fn: (x, i) => lc.indexSelect(x, 1, i), ref: (x, i) => R.permute(gatherRows(R.permute(x, [1, 0, 2]), i), [1, 0, 2]), contiguousOnly: true },
  { name: 'embedding', inputs: [S([2, 3], { values: [0, 3, 1, 3, 2, 0], int: true, constant: true }), S([4, 5])], fn: (i, w) => lc.embedding(i, w), ref: (i, w) => ({ shape: [2, 3, 5], data: gatherRows(w, { shape: [6], data: i.data }).data }), contiguousOnly: true },
  { name: 'gather dim 1', inputs: [S([3, 4]), S([3, 2], { values: [0, 3, 1, 1, 2, 0], int: true, constant: true })], fn: (x, i) => lc.gather(x, 1, i), ref: (x, i) => ({ shape: [3, 2], data: Float64Array.from(i.data, (v, k) => x.data[Math.floor(k / 2) * 4 + v]) }), contiguousOnly: true },
  { name: 'scatterAdd dim 0', inputs: [S([3, 2]), S([4, 2], { values: [0, 2, 2, 2, 1, 0, 0, 1], int: true, constant: true }), S([4, 2])], fn: (x, i, s) => lc.scatterAdd(x, 0, i, s), ref: (x, i, s) => { const o = R.nd([3, 2], x.data); i.data.forEach((v, k) => (o.data[v * 2 + (k % 2)] += s.data[k])); return o; }, contiguousOnly: true },
  // ---- views and joins (the gradient of every view is checked through these)
  { name: 'reshape', inputs: [S([3, 4, 2])], fn: (x) => x.reshape([4, -1]).mul(1.5), ref: (x) => R.map(R.reshape(x, [4, 6]), (v) => v * 1.5) },
  { name: 'permute', inputs: [S([2, 3, 4])], fn: (x) => x.permute([2, 0, 1]).mul(2), ref: (x) => R.map(R.permute(x, [2, 0, 1]), (v) => v * 2) },
  { name: 'transpose then reshape (copy)', inputs: [S([3, 4])], fn: (x) => x.transpose(0, 1).reshape([12]), ref: (x) => R.reshape(R.permute(x, [1, 0]), [12]) },
  { name: 'narrow', inputs: [S([5, 4])], fn: (x) => lc.narrow(x, 0, 1, 3).square(), ref: (x) => R.map({ shape: [3, 4], data: x.data.slice(4, 16) }, (v) => v * v) },
  { name: 'slice step 2', inputs: [S([7, 3])], fn: (x) => lc.slice(x, 0, 1, 7, 2).exp(), ref: (x) => R.map({ shape: [3, 3], data: Float64Array.from([1, 3, 5].flatMap((r) => [0, 1, 2].map((c) => x.data[r * 3 + c]))) }, Math.exp) },
  { name: 'select', inputs: [S([3, 4, 2])], fn: (x) => lc.select(x, 1, -1).mul(3), ref: (x) => R.map({ shape: [3, 2], data: Float64Array.from([0, 1, 2].flatMap((a) => [0, 1].map((c) => x.data[a * 8 + 3 * 2 + c]))) }, (v) => v * 3) },
  { name: 'expand', inputs: [S([3, 1])], fn: (x) => x.expand([2, 3, 4]).mul(1), ref: (x) => R.zip(x, R.nd([2, 3, 4]), (u) => u) },
  { name: 'squeeze/unsqueeze', inputs: [S([3, 1, 4])], fn: (x) => x.squeeze(1).unsqueeze(0).mul(2), ref: (x) => R.map(R.reshape(x, [1, 3, 4]), (v) => 2 * v) },
  { name: 'flatten', inputs: [S([2, 3, 4])], fn: (x) => x.flatten(1).mul(2), ref: (x) => R.map(R.reshape(x, [2, 12]), (v) => 2 * v) },
  { name: 'flip', inputs: [S([3, 4])], fn: (x) => lc.flip(x, [0, 1]).mul(2), ref: (x) => R.map({ shape: [3, 4], data: x.data.slice().reverse() }, (v) => 2 * v) },
  { name: 'cat dim 1', inputs: [S([2, 3]), S([2, 1]), S([2, 2])], fn: (a, b, c) => lc.cat([a, b, c], 1), ref: (a, b, c) => catRef([a, b, c], 1) },
  { name: 'stack dim 0', inputs: [S([2, 3]), S([2, 3])], fn: (a, b) => lc.stack([a, b], 0), ref: (a, b) => ({ shape: [2, 2, 3], data: Float64Array.from([...a.data, ...b.data]) }) },
  { name: 'split pieces', inputs: [S([5, 2])], fn: (x) => { const [a, , c] = lc.split(x, [2, 1, 2], 0); return lc.cat([c, a], 0); }, ref: (x) => ({ shape: [4, 2], data: Float64Array.from([...x.data.slice(6, 10), ...x.data.slice(0, 4)]) }) },
  { name: 'pad 2-D', inputs: [S([2, 3, 4])], fn: (x) => lc.pad(x, [1, 2, 0, 1], 0.5), ref: (x) => padRef(x, [1, 2], [0, 1], 0.5) },
  { name: 'clone', inputs: [S([4, 3])], fn: (x) => lc.clone(x).mul(2), ref: (x) => R.map(x, (v) => 2 * v) },
  { name: 'attention one query [1,4]', inputs: [S([1, 4]), S([3, 4]), S([3, 2])], fn: (q, k, v) => lc.scaledDotProductAttention(q, k, v), ref: (q, k, v) => R.matmul(R.alongDim(R.map(R.matmul(q, R.permute(k, [1, 0])), (u) => u / 2), -1, softmaxRef), v) },
  { name: 'attention one key [2,3,4]x[2,1,4]', inputs: [S([2, 3, 4]), S([2, 1, 4]), S([2, 1, 1])], fn: (q, k, v) => lc.scaledDotProductAttention(q, k, v), ref: (q, k, v) => R.matmul(R.alongDim(R.map(R.matmul(q, R.permute(k, [0, 2, 1])), (u) => u / 2), -1, softmaxRef), v) },
  { name: 'attention', inputs: [S([2, 3, 4]), S([2, 5, 4]), S([2, 5, 2])], fn: (q, k, v) => lc.scaledDotProductAttention(q, k, v), ref: (q, k, v) => R.matmul(R.alongDim(R.map(R.matmul(q, R.permute(k, [0, 2, 1])), (u) => u / 2), -1, softmaxRef), v) },
];

function gatherRows(x: R.Nd, idx: R.Nd): R.Nd {
  const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = R.nd([idx.data.length, ...x.shape.slice(1)]);
  idx.data.forEach((r, k) => out.data.set(x.data.slice(r * row, (r + 1) * row), k * row));
  return out;
}

function catRef(ts: R.Nd[], dim: number): R.Nd {
  const rows = ts[0].shape[0];
  const width = ts.map((t) => t.shape[1]).reduce((a, b) => a + b, 0);
  const out = R.nd([rows, width]);
  for (let r = 0; r < rows; r++) {
    let o = 0;
    for (const t of ts) {
      for (let c = 0; c < t.shape[1]; c++) out.data[r * width + o + c] = t.data[r * t.shape[1] + c];
      o += t.shape[1];
    }
  }
  return dim === 1 ? out : out;
}

function padRef(x: R.Nd, lastPad: [number, number], prevPad: [number, number], v: number): R.Nd {
  const [A, H, W] = x.shape;
  const H2 = H + prevPad[0] + prevPad[1], W2 = W + lastPad[0] + lastPad[1];
  const out = R.nd([A, H2, W2]);
  out.data.fill(v);
  for (let a = 0; a < A; a++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) out.data[(a * H2 + h + prevPad[0]) * W2 + w + lastPad[0]] = x.data[(a * H + h) * W + w];
  return out;
}

function convCases(): Case[] {
  const c = (name: string, xs: number[], ws: number[], o: Partial<R.ConvRef>, bias: boolean): Case => {
    const full: R.ConvRef = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, ...o };
    const opts = { stride: full.stride, padding: full.padding, dilation: full.dilation, groups: full.groups };
    return bias
      ? { name, inputs: [S(xs), S(ws), S([ws[0]])], fn: (x, w, b) => lc.conv2d(x, w, b, opts), ref: (x, w, b) => R.conv2d(x, w, b, full), gradgrad: xs[0] * xs[1] * xs[2] * xs[3] <= 64 }
      : { name, inputs: [S(xs), S(ws)], fn: (x, w) => lc.conv2d(x, w, null, opts), ref: (x, w) => R.conv2d(x, w, null, full), gradgrad: xs[0] * xs[1] * xs[2] * xs[3] <= 64 };
  };
  const ct = (name: string, xs: number[], ws: number[], o: Partial<R.ConvRef> & { outputPadding?: [number, number] }): Case => {
    const full = { stride: [1, 1] as [number, number], padding: [0, 0] as [number, number], dilation: [1, 1] as [number, number], groups: 1, outputPadding: [0, 0] as [number, number], ...o };
    return { name, inputs: [S(xs), S(ws)], fn: (x, w) => lc.convTranspose2d(x, w, null, full), ref: (x, w) => R.convTranspose2d(x, w, null, full), gradgrad: false };
  };
  // the fused epilogue: + channel [N, O] per sample and channel, + residual [N, O, OH, OW]
  const ce = (name: string, xs: number[], ws: number[], o: Partial<R.ConvRef>, ys: number[]): Case => {
    const full: R.ConvRef = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, ...o };
    const opts = { stride: full.stride, padding: full.padding, dilation: full.dilation, groups: full.groups };
    return {
      name, inputs: [S(xs), S(ws), S([ws[0]!]), S([xs[0]!, ws[0]!]), S(ys)],
      fn: (x, w, b, ch, res) => lc.conv2d(x, w, b, { ...opts, channel: ch, residual: res }),
      ref: (x, w, b, ch, res) => {
        const y = R.conv2d(x, w, b, full);
        const plane = ys[2]! * ys[3]!;
        for (let i = 0; i < y.data.length; i++) y.data[i] += ch.data[Math.floor(i / plane)]! + res.data[i]!;
        return y;
      },
      gradgrad: xs[0]! * xs[1]! * xs[2]! * xs[3]! <= 64,
    };
  };
  return [
    ce('conv2d epilogue (channel + residual) 3x3 pad 1', [2, 3, 5, 4], [4, 3, 3, 3], { padding: [1, 1] }, [2, 4, 5, 4]),
    ce('conv2d epilogue stride 2 groups 2', [2, 4, 6, 6], [4, 2, 3, 3], { stride: [2, 2], padding: [1, 1], groups: 2 }, [2, 4, 3, 3]),
    ce('conv2d epilogue small (second order)', [1, 2, 4, 4], [2, 2, 3, 3], { padding: [1, 1] }, [1, 2, 4, 4]),
    c('conv2d 3x3 pad 1 + bias', [2, 3, 5, 4], [4, 3, 3, 3], { padding: [1, 1] }, true),
    c('conv2d stride 2', [1, 2, 7, 6], [3, 2, 3, 3], { stride: [2, 2], padding: [1, 1] }, false),
    c('conv2d dilation 2', [1, 2, 7, 7], [2, 2, 3, 3], { dilation: [2, 2], padding: [2, 1] }, false),
    c('conv2d groups 2', [1, 4, 5, 5], [6, 2, 3, 3], { groups: 2, padding: [1, 1] }, true),
    c('conv2d 1x1', [2, 3, 4, 5], [5, 3, 1, 1], {}, true),
    c('conv2d small (second order)', [1, 2, 4, 4], [2, 2, 3, 3], { padding: [1, 1] }, true),
    c('conv2d rectangular kernel', [1, 2, 6, 5], [3, 2, 2, 3], { stride: [1, 2] }, false),
    ct('convTranspose2d stride 2 outputPadding 1', [1, 3, 3, 4], [3, 2, 3, 3], { stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] }),
    ct('convTranspose2d groups 2', [1, 4, 3, 3], [4, 1, 2, 2], { groups: 2 }),
  ];
}
