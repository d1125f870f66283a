// SPDX-License-Identifier: MIT
// The CUDA kernels on shapes the small op table does not reach, against the CPU backend: GEMM
// with large tiles, split-K, transposes and broadcast batches; convolutions big enough for split-K
// weight gradients and large tiles; reductions that take a block per output, columns, NaNs and
// permuted views; wide norms, softmax rows and lines, pooling with padding, upsampling. Run by
// kernels.test.ts and by bench/gpu_check.ts.
import * as lc from '../../src/index.js';
import { mulberry32 } from '../helpers/inputs.js';
import { CUDA, expectClose, TOL64, type Check, type Suite, type Tol } from './helpers.js';

type D = 'float32' | 'float64';
const tolOf = (dtype: D, rtol32 = 1e-4): Tol => (dtype === 'float32' ? { rtol: rtol32, atol: 1e-5 } : TOL64);
// sums of many products (GEMM, convolutions; the CPU may use Winograd for 3x3): error relative to
// the scale of the output
const sumTol = (dtype: D): Tol => (dtype === 'float32' ? { rtol: 1e-4, atol: 1e-6, scaled: 1e-5 } : { ...TOL64, scaled: 1e-12 });

/** Deterministic data of a shape, made on `device` from the same JS numbers on every device. */
function data(shape: number[], seed: number, dtype: lc.DType, device: lc.Device, lo = -2, hi = 2): lc.Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
  return lc.tensor(dtype === 'int32' ? v.map(Math.floor) : v, { shape, dtype, device });
}

/**
 * Runs f on the CPU and on CUDA and compares every output. f gets the device and builds its
 * inputs with data() (same values on both); it returns a tensor or a list of them.
 */
function same(what: string, f: (dev: lc.Device) => lc.Tensor | lc.Tensor[], tol: Tol): void {
  lc.tidy(() => {
    const want = [f(lc.CPU)].flat();
    const got = [f(CUDA)].flat();
    got.forEach((g, i) => expectClose(g, want[i], tol, `${what}[${i}]`));
  });
}

/** Outputs and the gradients of sum(y * u) for a fixed u, w.r.t. every float input. */
function withGrads(fn: (...xs: lc.Tensor[]) => lc.Tensor, ins: lc.Tensor[]): lc.Tensor[] {
  ins.forEach((t) => (t.requiresGrad = true));
  const y = fn(...ins);
  const u = data([...y.shape], 99, y.dtype, y.device);
  return [y, ...lc.grad(y, ins, { gradOutputs: u }).map((g) => g!)];
}

function matmulSuite(): Suite {
  const checks: Check[] = [];
  for (const dtype of ['float32', 'float64'] as D[]) {
    checks.push({ name: `GEMM tiles, split-K, transposes, batches, K = 0 (${dtype})`, run: () => {
      const mm = (sa: number[], sb: number[], ta = false, tb = false) => (d: lc.Device) => {
        const a = data(sa, 1, dtype, d), b = data(sb, 2, dtype, d);
        return lc.matmul(ta ? a.T : a, tb ? b.T : b);
      };
      same('large tiles 300x200 @ 200x310', mm([300, 200], [200, 310]), sumTol(dtype));
      same('split-K 20x1000 @ 1000x30', mm([20, 1000], [1000, 30]), sumTol(dtype));
      same('transposed A', mm([200, 70], [200, 90], true), sumTol(dtype));
      same('transposed B', mm([70, 200], [90, 200], false, true), sumTol(dtype));
      same('both transposed, split-K', mm([600, 9], [11, 600], true, true), sumTol(dtype));
      same('batched', mm([5, 17, 33], [5, 33, 19]), sumTol(dtype));
      same('broadcast batch', mm([4, 1, 9, 13], [3, 13, 7]), sumTol(dtype));
      same('vector @ matrix', mm([129], [129, 65]), sumTol(dtype));
      same('K = 0', mm([4, 0], [0, 5]), sumTol(dtype));
      same('linear with bias (beta = 1) and grads', (d) =>
        withGrads((x, w, b) => lc.linear(x, w, b), [data([130, 70], 3, dtype, d), data([90, 70], 4, dtype, d), data([90], 5, dtype, d)]), sumTol(dtype));
    } });
  }
  return { name: 'CUDA kernels vs CPU: matrix products', checks };
}

function convSuite(): Suite {
  const checks: Check[] = [];
  for (const dtype of ['float32', 'float64'] as D[]) {
    checks.push({ name: `forward, input and weight gradients (${dtype})`, run: () => {
      const conv = (xs: number[], ws: number[], o: lc.Conv2dOptions, bias = true) => (d: lc.Device) =>
        withGrads((x, w, b) => lc.conv2d(x, w, b, o), [data(xs, 6, dtype, d), data(ws, 7, dtype, d, -0.3, 0.3), ...(bias ? [data([ws[0]], 8, dtype, d)] : [])]);
      same('3x3 pad 1 (split-K weight gradient)', conv([4, 24, 14, 14], [32, 24, 3, 3], { padding: 1 }), sumTol(dtype));
      same('stride 2, dilation 2, rectangular', conv([3, 8, 17, 13], [12, 8, 3, 2], { stride: [2, 1], dilation: [2, 2], padding: [2, 1] }), sumTol(dtype));
      same('groups 4', conv([2, 16, 9, 9], [24, 4, 3, 3], { groups: 4, padding: 1 }), sumTol(dtype));
      same('1x1 stride 2', conv([2, 40, 10, 10], [20, 40, 1, 1], { stride: 2 }, false), sumTol(dtype));
      same('transposed, stride 2, output padding', (d) =>
        withGrads((x, w) => lc.convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }), [data([2, 12, 7, 6], 9, dtype, d), data([12, 10, 3, 3], 10, dtype, d, -0.3, 0.3)]), sumTol(dtype));
    } });
  }
  checks.push({ name: 'large tiles (float32)', run: () => {
    same('8x32x16x16 * 256x32x3x3', (d) => lc.conv2d(data([8, 32, 16, 16], 11, 'float32', d), data([256, 32, 3, 3], 12, 'float32', d, -0.2, 0.2), null, { padding: 1 }), sumTol('float32'));
  } });
  return { name: 'CUDA kernels vs CPU: convolutions', checks };
}

function reduceSuite(): Suite {
  const checks: Check[] = [];
  for (const dtype of ['float32', 'float64'] as D[]) {
    checks.push({ name: `long rows, columns, permuted views (${dtype})`, run: () => {
      const t = tolOf(dtype, 1e-5);
      same('block per output', (d) => { const x = data([3, 5000], 13, dtype, d); return [lc.sum(x, 1), lc.max(x, 1), lc.argmin(x, 1), lc.mean(x)]; }, t);
      same('columns', (d) => { const x = data([700, 37], 14, dtype, d); return [lc.sum(x, 0), lc.min(x, 0), lc.argmax(x, 0)]; }, t);
      same('permuted', (d) => { const x = lc.permute(data([6, 7, 8], 15, dtype, d), [2, 0, 1]); return [lc.sum(x, [0, 2]), lc.max(x, [1]), lc.sum(lc.slice(x, 1, 0, 6, 2), [0, 1])]; }, t);
      same('keepdim and full', (d) => { const x = data([9, 40, 11], 16, dtype, d); return [lc.sum(x, [0, 2], true), lc.argmax(x), lc.variance(x, 1)]; }, t);
      same('empty reduced dims', (d) => lc.sum(lc.zeros([3, 0], { dtype, device: d }), 1), t);
    } });
  }
  checks.push({ name: 'NaN propagation and first occurrence, in rows and columns', run: () => {
    const nanAt = (d: lc.Device) => {
      const v = Float32Array.from({ length: 64 * 6 }, (_, i) => Math.sin(i));
      v[3 * 6 + 2] = NaN;
      v[40 * 6 + 2] = NaN;
      v[10 * 6 + 5] = 1;  // ties: sin never reaches 1, so these are the maxima
      v[20 * 6 + 5] = 1;
      return lc.tensor(v, { shape: [64, 6], device: d });
    };
    same('rows', (d) => { const x = lc.contiguous(lc.transpose(nanAt(d), 0, 1)); return [lc.max(x, 1), lc.argmax(x, 1), lc.argmin(x, 1)]; }, TOL64);
    same('columns', (d) => { const x = nanAt(d); return [lc.max(x, 0), lc.argmax(x, 0), lc.min(x, 0)]; }, TOL64);
  } });
  checks.push({ name: 'int32 and bool', run: () => {
    same('int32', (d) => { const x = data([50, 130], 17, 'int32', d, -50, 50); return [lc.sum(x, 1), lc.max(x, 0), lc.argmax(x, 1)]; }, TOL64);
    same('bool', (d) => { const b = lc.gt(data([50, 130], 18, 'float32', d), 0); return [lc.sum(b, 0), lc.max(b, 1)]; }, TOL64);
  } });
  return { name: 'CUDA kernels vs CPU: reductions', checks };
}

function nnSuite(): Suite {
  const checks: Check[] = [];
  for (const dtype of ['float32', 'float64'] as D[]) {
    checks.push({ name: `group and layer norm with gradients (${dtype})`, run: () => {
      const t = tolOf(dtype, 1e-3);
      same('groupNorm + silu', (d) => withGrads((x, w, b) => lc.groupNorm(x, 8, w, b, { silu: true }), [data([4, 64, 8, 8], 19, dtype, d), data([64], 20, dtype, d), data([64], 21, dtype, d)]), t);
      same('groupNorm no affine, HW = 1', (d) => withGrads((x) => lc.groupNorm(x, 4), [data([33, 16], 22, dtype, d)]), t);
      same('layerNorm', (d) => withGrads((x, w, b) => lc.layerNorm(x, 300, w, b), [data([50, 300], 23, dtype, d), data([300], 24, dtype, d), data([300], 25, dtype, d)]), t);
    } });
    checks.push({ name: `softmax rows and lines (${dtype})`, run: () => {
      const t = tolOf(dtype, 1e-4);
      same('rows', (d) => withGrads((x) => lc.softmax(x, -1), [data([40, 1000], 26, dtype, d, -5, 5)]), t);
      same('lines', (d) => withGrads((x) => lc.logSoftmax(x, 0), [data([300, 40], 27, dtype, d, -5, 5)]), t);
    } });
    checks.push({ name: `pooling and upsampling (${dtype})`, run: () => {
      const t = tolOf(dtype, 1e-5);
      same('maxPool2d k3 s2 p1', (d) => withGrads((x) => lc.maxPool2d(x, 3, { stride: 2, padding: 1 }), [data([2, 3, 17, 19], 28, dtype, d)]), t);
      same('avgPool2d no pad count', (d) => withGrads((x) => lc.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [data([2, 3, 17, 19], 29, dtype, d)]), t);
      same('avgPool2d k4 s1 p2', (d) => withGrads((x) => lc.avgPool2d(x, 4, { stride: 1, padding: 2 }), [data([1, 2, 9, 8], 30, dtype, d)]), t);
      same('upsample 3x2', (d) => withGrads((x) => lc.upsampleNearest(x, [3, 2]), [data([2, 5, 7, 6], 31, dtype, d)]), t);
    } });
  }
  return { name: 'CUDA kernels vs CPU: normalisation, softmax, pooling', checks };
}

// TF32 tensor cores (opt-in): products within TF32 rounding of the CPU's float32 ones, and actually
// different from the strict float32 path (so the tensor-core kernel is what ran).
function tf32Suite(): Suite {
  const checks: Check[] = [];
  const tf32: Tol = { rtol: 2e-2, atol: 0, scaled: 4e-3 };
  checks.push({ name: 'float32 GEMM and convolutions on TF32 tensor cores', run: () => {
    const prev = lc.cuda.getMatmulPrecision();
    try {
      const cases: [string, (d: lc.Device) => lc.Tensor[]][] = [
        ['GEMM, transposed B, split-K', (d) => [lc.matmul(data([40, 700], 41, 'float32', d), lc.transpose(data([90, 700], 42, 'float32', d), 0, 1))]],
        ['batched GEMM with tails', (d) => [lc.matmul(data([3, 37, 53], 43, 'float32', d), data([53, 29], 44, 'float32', d))]],
        ['conv2d forward, input and weight gradients', (d) =>
          withGrads((x, w) => lc.conv2d(x, w, null, { padding: 1, stride: [1, 2] }), [data([2, 12, 9, 11], 45, 'float32', d), data([20, 12, 3, 3], 46, 'float32', d, -0.3, 0.3)])],
      ];
      for (const [name, f] of cases)
        lc.tidy(() => {
          lc.cuda.setMatmulPrecision('highest');
          const want = f(lc.CPU), strict = f(CUDA);
          lc.cuda.setMatmulPrecision('tf32');
          const got = f(CUDA);
          got.forEach((g, i) => {
            expectClose(g, want[i], tf32, `${name} [${i}] (tf32)`);
            const a = g.dataSync(), b = strict[i].dataSync();
            let differs = false;
            for (let k = 0; k < a.length && !differs; k++) differs = a[k] !== b[k];
            if (lc.cuda.deviceInfo(CUDA.index).major >= 8 && !differs) throw new Error(`${name} [${i}]: TF32 result equals the float32 one: the tensor-core path did not run`);
          });
        });
    } finally {
      lc.cuda.setMatmulPrecision(prev);
    }
  } });
  return { name: 'CUDA kernels vs CPU: TF32 tensor cores (opt-in)', checks };
}

export const kernelSuites = (): Suite[] => [matmulSuite(), convSuite(), reduceSuite(), nnSuite(), tf32Suite()];
