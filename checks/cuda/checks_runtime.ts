// SPDX-License-Identifier: MIT
// The CUDA runtime side against the CPU backend: copies between devices for every dtype and for
// strided and broadcast views, casts, the Philox streams (uniform, bernoulli and randint bit for
// bit, normals to float rounding), the fused Stein ops and Adam, index errors reported at the
// next synchronisation (naming the op, the device still usable after), memory accounting, and
// errors instead of crashes for undefined ops and mixed devices. Run by runtime.test.ts and by
// bench/gpu_check.ts.
import * as lc from '../../src/index.js';
import { native, kernels } from '../../src/native.js';
import { mulberry32 } from '../helpers/inputs.js';
import { check, checkThrows, CUDA, EXACT, expectClose, f64, sameArray, TOL64, type Check, type Suite, type Tol } from './helpers.js';


function vals(n: number, seed: number, lo = -3, hi = 3): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

function copiesSuite(): Suite {
  const checks: Check[] = [];
  checks.push({ name: 'every dtype round-trips host -> device -> host exactly', run: () => {
    lc.tidy(() => {
      const v = vals(1000, 1);
      for (const dtype of ['float32', 'float64', 'int32', 'bool'] as lc.DType[]) {
        // int32 tensors take integers only (a fraction is an ArgumentError, not a silent truncation)
        const x = lc.tensor(dtype === 'bool' ? v.map((u) => +(u > 0)) : dtype === 'int32' ? v.map((u) => Math.trunc(u * 1000)) : v, { shape: [10, 100], dtype });
        const y = x.to(CUDA);
        check(y.device.toString() === CUDA.toString() && y.dtype === dtype, `to(cuda) of ${dtype}: ${y.device} ${y.dtype}`);
        sameArray(y.dataSync(), x.dataSync(), `${dtype} on cuda`);
        sameArray(y.to('cpu').dataSync(), x.dataSync(), `${dtype} back on the cpu`);
        // created on the device directly
        const z = lc.tensor(x.dataSync() as ArrayLike<number>, { shape: [10, 100], dtype, device: CUDA });
        expectClose(z, x, EXACT, `tensor(..., { device }) ${dtype}`);
      }
    });
  } });

  checks.push({ name: 'strided, flipped, broadcast and empty views move between devices', run: () => {
    lc.tidy(() => {
      const x = lc.tensor(vals(6 * 7 * 8, 2), { shape: [6, 7, 8] });
      const views = (t: lc.Tensor) => [
        lc.permute(t, [2, 0, 1]),
        lc.slice(lc.transpose(t, 0, 2), 1, 1, 7, 3),
        lc.flip(t, [0, 2]),
        lc.expand(lc.select(t, 1, 3), [5, 6, 8]),
        lc.narrow(t, 1, 2, 0),
      ];
      const cpuViews = views(x), cudaX = x.to(CUDA), cudaViews = views(cudaX);
      cpuViews.forEach((v, i) => {
        expectClose(v.to(CUDA), v, EXACT, `cpu view ${i} -> cuda`);
        const back = cudaViews[i].to('cpu');
        check(back.device.type === 'cpu', `view ${i}: to('cpu') gave ${back.device}`);
        sameArray(back.dataSync(), v.dataSync(), `cuda view ${i} -> cpu`);
        sameArray(cudaViews[i].dataSync(), v.dataSync(), `strided read-back of cuda view ${i}`);
        expectClose(lc.contiguous(cudaViews[i]), lc.contiguous(v), EXACT, `contiguous of cuda view ${i}`);
      });
    });
  } });

  checks.push({ name: 'casts between every pair of dtypes match the CPU', run: () => {
    lc.tidy(() => {
      const v = vals(257, 3, -40, 40).map((u, i) => (i % 7 === 0 ? 0 : u));
      const dts: lc.DType[] = ['float32', 'float64', 'int32', 'bool'];
      for (const from of dts)
        for (const to of dts) {
          const x = lc.tensor(from === 'bool' ? v.map((u) => +(u > 0)) : from === 'int32' ? v.map(Math.trunc) : v, { dtype: from });
          expectClose(lc.cast(x.to(CUDA), to), lc.cast(x, to), EXACT, `cast ${from} -> ${to}`);
        }
    });
  } });

  checks.push({ name: 'creation ops and in-place updates on the device', run: () => {
    lc.tidy(() => {
      const mk = (d: lc.Device) => {
        const a = lc.arange(0, 20, 1, { device: d, dtype: 'float32' });
        const b = lc.full([20], 2.5, { device: d });
        lc.noGrad(() => {
          lc.add_(b, a, 0.5);
          lc.mul_(b, 3);
          lc.lerp_(b, lc.linspace(-1, 1, 20, { device: d }), 0.25);
        });
        return [b, lc.eye(4, 5, { device: d }), lc.zeros([3], { device: d, dtype: 'int32' }), lc.onesLike(a)];
      };
      const want = mk(lc.CPU), got = mk(CUDA);
      got.forEach((g, i) => expectClose(g, want[i], { rtol: 1e-6, atol: 1e-7 }, `creation ${i}`));
    });
  } });
  return { name: 'CUDA runtime: copies and casts', checks };
}

function randomSuite(): Suite {
  const checks: Check[] = [];
  checks.push({ name: 'uniform, bernoulli and randint are bit-identical to the CPU; normals agree to rounding', run: () => {
    lc.tidy(() => {
      for (const n of [1, 3, 4, 5, 63, 1023, 100003]) {
        for (const offset of [0, 7]) {
          const key = { seed: 12345 + n, offset };
          const both = (f: (d: lc.Device) => lc.Tensor) => [f(lc.CPU), f(CUDA)];
          const cases: [string, lc.Tensor[], Tol][] = [
            ['rand f32', both((d) => lc.rand([n], { key, device: d, low: -1, high: 3 })), EXACT],
            ['rand f64', both((d) => lc.rand([n], { key, device: d, dtype: 'float64' })), EXACT],
            ['bernoulli', both((d) => lc.bernoulli(0.3, [n], { key, device: d })), EXACT],
            ['bernoulli bool', both((d) => lc.bernoulli(0.7, [n], { key, device: d, dtype: 'bool' })), EXACT],
            ['randint', both((d) => lc.randint(-5, 1000, [n], { key, device: d })), EXACT],
            ['randn f32', both((d) => lc.randn([n], { key, device: d, mean: 1.5, std: 2 })), { rtol: 2e-6, atol: 2e-6 }],
            ['randn f64', both((d) => lc.randn([n], { key, device: d, dtype: 'float64' })), { rtol: 1e-13, atol: 1e-13 }],
          ];
          for (const [name, [c, g], tol] of cases) expectClose(g, c, tol, `${name} n=${n} offset=${offset}`);
        }
      }
    });
  } });

  checks.push({ name: 'a draw at a later offset is the continuation of the stream', run: () => {
    lc.tidy(() => {
      const whole = lc.randn([64], { key: { seed: 9, offset: 0 }, device: CUDA });
      const tail = lc.randn([32], { key: { seed: 9, offset: 8 }, device: CUDA });  // 8 blocks of 4
      sameArray(tail.dataSync(), lc.narrow(whole, 0, 32, 32).dataSync(), 'randn at offset 8');
    });
  } });
  return { name: 'CUDA runtime: Philox streams', checks };
}

function fusedSuite(): Suite {
  const checks: Check[] = [];
  for (const dtype of ['float32', 'float64'] as ('float32' | 'float64')[]) {
    checks.push({ name: `steinPerturb, steinLoss and its gradient match the CPU (${dtype})`, run: () => {
      const tol: Tol = dtype === 'float32' ? { rtol: 1e-4, atol: 1e-5, scaled: 1e-6 } : { ...TOL64, scaled: 1e-13 };
      for (const estimator of ['plain', 'control', 'antithetic'] as lc.SteinEstimator[])
        for (const draws of [1, 3])
          for (const normAt of ['center', 'perturbed'] as const) {
            lc.tidy(() => {
              const opts = { key: { seed: 77, offset: 5 }, draws, estimator, normAt, gamma: 0.8 };
              const B = 37, blocks = lc.steinBlocks(draws, estimator);
              const run = (d: lc.Device) => {
                const x = lc.tensor(vals(B * 33, 4), { shape: [B, 3, 11], dtype, device: d });
                const sigma = lc.tensor(vals(B, 5, 0.05, 0.5), { dtype, device: d });
                const s = lc.tensor(vals(blocks * B * 33, 6), { shape: [blocks * B, 3, 11], dtype, device: d }).requiresGrad_();
                const y = lc.steinPerturb(x, sigma, opts);
                const l = lc.steinLoss(s, sigma, opts);
                const gs = lc.grad(l, [s], { gradOutputs: lc.tensor(vals(B, 7), { dtype, device: d }) })[0]!;
                return [y, l, gs];
              };
              const want = run(lc.CPU), got = run(CUDA);
              got.forEach((g, i) => expectClose(g, want[i], tol, `${estimator} K=${draws} ${normAt} output ${i}`));
            });
          }
    } });
  }

  checks.push({ name: 'the composite Stein loss and second derivatives through steinLoss stay on the device', run: () => {
    lc.tidy(() => {
      const opts = { key: { seed: 5, offset: 3 }, draws: 2, estimator: 'control' as const };
      const run = (d: lc.Device) => {
        const s = lc.tensor(vals(3 * 10 * 7, 20), { shape: [30, 7], dtype: 'float64', device: d }).requiresGrad_();
        const comp = lc.steinLossComposite(s, 0.2, opts);
        // createGraph makes steinLoss's backward differentiate the composite definition
        const [g] = lc.grad(lc.sum(lc.steinLoss(s, 0.2, opts)), [s], { createGraph: true });
        const [gg] = lc.grad(lc.sum(lc.mul(g!, g!)), [s]);
        return [comp, g!, gg!];
      };
      const want = run(lc.CPU), got = run(CUDA);
      got.forEach((g, i) => expectClose(g, want[i], { ...TOL64, scaled: 1e-13 }, `composite stein ${i}`));
    });
  } });
  checks.push({ name: 'Adam and AdamW steps match the CPU', run: () => {
    for (const dtype of ['float32', 'float64'] as lc.DType[])
      for (const decoupled of [false, true])
        lc.tidy(() => {
          const run = (d: lc.Device) => {
            const p = lc.tensor(vals(1000, 8), { dtype, device: d });
            const m = lc.zeros([1000], { dtype, device: d }), v = lc.zeros([1000], { dtype, device: d });
            for (let step = 1; step <= 3; step++) {
              const g = lc.tensor(vals(1000, 10 + step), { dtype, device: d });
              lc.adamStep_(p, g, m, v, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step, decoupled });
            }
            return [p, m, v];
          };
          const want = run(lc.CPU), got = run(CUDA);
          const tol: Tol = dtype === 'float32' ? { rtol: 1e-5, atol: 1e-7 } : TOL64;
          got.forEach((g, i) => expectClose(g, want[i], tol, `adam ${dtype} decoupled=${decoupled} [${i}]`));
        });
  } });
  return { name: 'CUDA runtime: fused Stein ops and Adam', checks };
}

function indexSuite(): Suite {
  const checks: Check[] = [];
  checks.push({ name: 'embedding, gather and scatterAdd with repeated indices match the CPU', run: () => {
    lc.tidy(() => {
      const idx = Int32Array.from(vals(600, 9, 0, 50), Math.floor);
      const run = (d: lc.Device) => {
        const w = lc.tensor(vals(50 * 16, 10), { shape: [50, 16], dtype: 'float64', device: d }).requiresGrad_();
        const i = lc.tensor(idx, { shape: [20, 30], device: d });
        const e = lc.embedding(i, w);
        const gw = lc.grad(e, [w], { gradOutputs: lc.tensor(vals(600 * 16, 11), { shape: [20, 30, 16], dtype: 'float64', device: d }) })[0]!;
        const z = lc.zeros([50, 3], { dtype: 'int32', device: d });
        const si = lc.tensor(Int32Array.from(idx.slice(0, 300)), { shape: [100, 3], device: d });
        const sc = lc.scatterAdd(z, 0, si, lc.ones([100, 3], { dtype: 'int32', device: d }));
        return [e, gw, sc];
      };
      const want = run(lc.CPU), got = run(CUDA);
      got.forEach((g, i) => expectClose(g, want[i], TOL64, `indexing ${i}`));
    });
  } });

  checks.push({ name: 'an index out of range is an error naming the op at the next synchronisation; the device stays usable', run: () => {
    const x = lc.tensor(vals(20, 12), { shape: [5, 4], device: CUDA });
    const bad = lc.tensor([0, 7], { dtype: 'int32', device: CUDA });
    const y = lc.indexSelect(x, 0, bad);  // queued: the kernel records the bad index
    checkThrows(() => y.dataSync(), /index_select: index 7 is out of range for a dimension of size 5/, 'read-back after a bad index');
    // recorded once: the next read-back is clean and correct
    const ok = lc.indexSelect(x, 0, lc.tensor([4, 0], { dtype: 'int32', device: CUDA }));
    sameArray(ok.dataSync(), lc.indexSelect(x.to('cpu'), 0, lc.tensor([4, 0], { dtype: 'int32' })).dataSync(), 'indexSelect after the error');
    const g = lc.gather(x, 1, lc.tensor([[0], [1], [2], [-1], [3]], { dtype: 'int32', device: CUDA }));
    checkThrows(() => lc.cuda.synchronize(), /gather: index -1 is out of range for a dimension of size 4/, 'synchronize after a bad gather index');
    lc.cuda.synchronize();
    lc.dispose([x, bad, y, ok, g]);
  } });
  return { name: 'CUDA runtime: indexing and its errors', checks };
}

function memorySuite(): Suite {
  const checks: Check[] = [];
  checks.push({ name: 'the caching allocator reuses blocks, memory() reports them, emptyCache() returns them', run: () => {
    const key = CUDA.toString();
    lc.cuda.synchronize();
    const b0 = lc.memory().byDevice[key] ?? 0;
    const s0 = lc.cuda.memoryStats(CUDA.index);
    const t = lc.zeros([1000, 100], { device: CUDA });
    check(lc.memory().byDevice[key] === b0 + 400000, `bytes on ${key}: ${lc.memory().byDevice[key]}, expected ${b0 + 400000}`);
    t.dispose();
    const t2 = lc.zeros([1000, 100], { device: CUDA });
    const s1 = lc.cuda.memoryStats(CUDA.index);
    check(s1.cacheHits > s0.cacheHits, 'the freed block did not come back from the cache');
    check(lc.memory().cuda[CUDA.index].allocatedBytes === s1.allocatedBytes, 'memory().cuda disagrees with cuda.memoryStats()');
    t2.dispose();
    lc.emptyCache();
    const s2 = lc.cuda.memoryStats(CUDA.index);
    check(s2.reservedBytes === s2.allocatedBytes, `after emptyCache: ${s2.reservedBytes} reserved, ${s2.allocatedBytes} allocated`);
    check((lc.memory().byDevice[key] ?? 0) === b0, `bytes on ${key} not back to ${b0}`);
  } });

  checks.push({ name: 'mixed devices and undefined ops are errors, never crashes', run: () => {
    lc.tidy(() => {
      const a = lc.ones([3]), b = lc.ones([3], { device: CUDA });
      checkThrows(() => lc.add(a, b), lc.DeviceError, 'add(cpu, cuda)');
      checkThrows(() => lc.matmul(lc.ones([2, 3]), lc.ones([3, 2], { device: CUDA })), lc.DeviceError, 'matmul(cpu, cuda)');
      // below the TS checks: the binding refuses a CPU kernel on CUDA memory and the reverse
      checkThrows(() => kernels.unary({ op: 0, p1: 0, p2: 0, y: { buffer: a.storage.buffer, offset: 0, shape: [3], strides: [1] }, x: { buffer: b.storage.buffer, offset: 0, shape: [3], strides: [1] } }), /different devices/, 'native unary, mixed');
      checkThrows(() => kernels.binary({ op: 0, p1: 0, p2: 0, y: { buffer: b.storage.buffer, offset: 0, shape: [3], strides: [1] }, a: { buffer: a.storage.buffer, offset: 0, shape: [3], strides: [1] }, b: { buffer: b.storage.buffer, offset: 0, shape: [3], strides: [1] } }), /different devices/, 'native binary, mixed');
      // an op code the dtype does not define: the CPU kernel's message, not a silent no-op
      const i = lc.ones([3], { dtype: 'int32', device: CUDA });
      checkThrows(() => kernels.unary({ op: 3, p1: 0, p2: 0, y: { buffer: i.storage.buffer, offset: 0, shape: [3], strides: [1] }, x: { buffer: i.storage.buffer, offset: 0, shape: [3], strides: [1] } }), /unary op 3 is not defined for int32/, 'exp of int32 on cuda');
      sameArray(f64(lc.add(b, 1)), [2, 2, 2], 'the device after the errors');
    });
  } });
  return { name: 'CUDA runtime: memory and errors', checks };
}

// Registered only where there are two devices (a multi-GPU machine, or LCSS_EMU_DEVICES=2).
function multiDeviceSuite(): Suite {
  const checks: Check[] = [];
  if (lc.cuda.deviceCount() >= 2)
    checks.push({ name: 'tensors move between cuda:0 and cuda:1 (strided, cast) and ops run on cuda:1', run: () => {
      lc.tidy(() => {
        const d1 = lc.device('cuda:1');
        const x = lc.tensor(vals(6 * 7, 21), { shape: [6, 7], dtype: 'float64', device: CUDA });
        const y = lc.permute(x, [1, 0]).to(d1);
        check(y.device.toString() === 'cuda:1', `moved to ${y.device}`);
        const want = lc.matmul(lc.permute(x.to('cpu'), [1, 0]), x.to('cpu'));
        const got = lc.matmul(y, x.to(d1));
        sameArray(f64(got.to(CUDA)), f64(lc.matmul(lc.permute(x, [1, 0]), x)), 'cuda:1 product vs cuda:0 product');
        check(got.device.toString() === 'cuda:1', 'product on cuda:1');
        sameArray(f64(lc.cast(y, 'float32').to(CUDA)), f64(lc.cast(lc.permute(x, [1, 0]), 'float32')), 'cast on cuda:1');
        checkThrows(() => lc.add(x, y), lc.DeviceError, 'add(cuda:0, cuda:1)');
        const w = want.dataSync(), g = got.dataSync();
        for (let i = 0; i < w.length; i++) check(Math.abs(w[i] - g[i]) <= 1e-12 * (1 + Math.abs(w[i])), `cuda:1 product element ${i}`);
      });
    } });
  return { name: 'CUDA runtime: two devices', checks };
}

// data(): the device-to-host copy on the libuv threadpool (it waits for the device there, so the
// event loop turns meanwhile), and what it must keep: the values at the call, an in-place write
// queued after it not leaking in, a dispose during it freeing the device memory after the copy,
// and errors a kernel recorded reported by it, typed and naming data.
function asyncReadSuite(): Suite {
  const checks: Check[] = [];
  checks.push({ name: 'data() equals dataSync for every dtype and for strided views', run: async () => {
    // tidy: an intermediate left to the garbage collector would hold device memory the next check counts
    const views = lc.tidy(() => {
      const x = lc.tensor(vals(6 * 7 * 8, 21), { shape: [6, 7, 8], device: CUDA });
      return [x, lc.cast(x, 'float64'), lc.cast(lc.mul(x, 100), 'int32'), lc.gt(x, 0)]
        .flatMap((t) => [t, lc.permute(t, [2, 0, 1]), lc.slice(lc.narrow(t, 1, 2, 4), 2, 1, 8, 3), lc.narrow(t, 0, 1, 0)]);
    });
    for (const v of views) sameArray(await v.data(), v.dataSync(), `data() of ${v.dtype} [${v.shape}] on ${v.device}`);
    lc.dispose(views);
  } });

  checks.push({ name: 'a freshly computed tensor; a write queued after data() does not leak in', run: async () => {
    const n = 1 << 22;
    const a = lc.randn([n], { device: CUDA });
    const want = lc.tidy(() => lc.mul(lc.add(a.to('cpu'), 1), 3).dataSync());
    const y = lc.tidy(() => lc.mul(lc.add(a, 1), 3));  // queued: possibly still running when data() is called
    const p = y.data();
    y.add_(1);                            // waits for the copy, then is queued
    sameArray(await p, want, 'data() of a fresh result');
    const after = y.dataSync();
    check(Math.abs(after[5] - (want[5] + 1)) < 1e-4, `the write after data(): ${after[5]} vs ${want[5] + 1}`);
    lc.dispose([a, y]);
  } });

  checks.push({ name: 'dispose during data() frees the device memory once the copy ended', run: async () => {
    lc.cuda.synchronize();
    const s0 = lc.cuda.memoryStats(CUDA.index);
    const t = lc.randn([1 << 22], { device: CUDA });
    const want = t.dataSync();
    const p = t.data();
    t.dispose();
    sameArray(await p, want, 'data() of a tensor disposed during the copy');
    const s1 = lc.cuda.memoryStats(CUDA.index);
    check(s1.allocatedBytes === s0.allocatedBytes, `allocated ${s1.allocatedBytes} bytes after, ${s0.allocatedBytes} before`);
  } });

  checks.push({ name: 'an index error a kernel recorded rejects data() with an IndexError naming data and the op', run: async () => {
    const x = lc.tensor(vals(20, 22), { shape: [5, 4], device: CUDA });
    const y = lc.tidy(() => lc.indexSelect(x, 0, lc.tensor([0, 7], { dtype: 'int32', device: CUDA })));
    const e = await y.data().then(() => null, (err: unknown) => err);
    check(e instanceof lc.IndexError, `data() after a bad index: ${String(e)}`);
    check(/^data: index 7 is out of range for a dimension of size 5 .*\(in index_select\)$/.test((e as Error).message), `message: ${(e as Error).message}`);
    sameArray(await x.data(), x.dataSync(), 'the device is usable after');
    lc.dispose([x, y]);
  } });
  return { name: 'CUDA runtime: data() off the event loop', checks };
}

export const runtimeSuites = (): Suite[] => [copiesSuite(), randomSuite(), fusedSuite(), indexSuite(), memorySuite(), asyncReadSuite(), multiDeviceSuite()];
