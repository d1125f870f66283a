// SPDX-License-Identifier: MIT
// The fused convolution epilogue against the unfused ops, at the W4 U-Net's ResBlock shapes:
//   fused:   conv2d(x, w, b, { channel: temb, residual: skip })
//   unfused: add(add(conv2d(x, w, b), reshape(temb, [N, O, 1, 1])), skip)
// forward, and forward + backward of every operand. Ratios are fused / unfused in the same run.
//   npm run build:ts && node dist/bench/conv_epilogue.js [--reps 7]
import * as lc from '../src/index.js';
import { measure } from '../src/bench/timing.js';

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 7);

const SHAPES = [
  { N: 32, C: 64, HW: 32 },
  { N: 32, C: 128, HW: 16 },
  { N: 32, C: 256, HW: 8 },
];

async function main() {
  console.log(`conv3x3 + time-embedding + residual epilogue, float32, ${lc.getNumThreads()} threads, ${reps} reps (ms per call, median)`);
  console.log('shape                         | case      | unfused   | fused     | fused/unfused');
  for (const { N, C, HW } of SHAPES) {
    const g = new lc.Generator(1);
    const x = lc.randn([N, C, HW, HW], { generator: g, requiresGrad: true });
    const w = lc.mul(lc.randn([C, C, 3, 3], { generator: g }), 0.05).requiresGrad_();
    const b = lc.randn([C], { generator: g, requiresGrad: true });
    const temb = lc.randn([N, C], { generator: g, requiresGrad: true });
    const skip = lc.randn([N, C, HW, HW], { generator: g, requiresGrad: true });
    const fused = () => lc.conv2d(x, w, b, { padding: 1, channel: temb, residual: skip });
    const unfused = () => lc.add(lc.add(lc.conv2d(x, w, b, { padding: 1 }), lc.reshape(temb, [N, C, 1, 1])), skip);
    const forward = (f: () => lc.Tensor) => () => lc.tidy(() => lc.noGrad(() => { f(); }));
    const train = (f: () => lc.Tensor) => () =>
      lc.tidy(() => {
        const gs = lc.grad(lc.sum(f()), [x, w, b, temb, skip]);
        lc.dispose(gs.filter((t): t is lc.Tensor => t !== null));
      });
    const tag = `N${N} C${C} ${HW}x${HW}`.padEnd(29);
    for (const [name, mk] of [['fwd', forward], ['fwd+bwd', train]] as const) {
      // alternate the two so load changes hit both alike
      const u1 = await measure(mk(unfused), { reps }), f1 = await measure(mk(fused), { reps });
      const u2 = await measure(mk(unfused), { reps }), f2 = await measure(mk(fused), { reps });
      const u = Math.min(u1.median, u2.median), f = Math.min(f1.median, f2.median);
      console.log(`${tag} | ${name.padEnd(9)} | ${u.toFixed(2).padStart(9)} | ${f.toFixed(2).padStart(9)} | ${(f / u).toFixed(3)}`);
    }
    lc.dispose([x, w, b, temb, skip]);
  }
}

await main();
