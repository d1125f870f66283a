// SPDX-License-Identifier: MIT
// conv2d's fused epilogue (channel [N, O] and residual [N, O, OH, OW] added inside the kernel)
// against the unfused ops, on both CPU paths: Winograd (float32 3x3 stride 1) and im2col + GEMM
// (float64, strides, dilation, groups, 1x1); first and second-order gradients against float64
// finite differences; shape and dtype refusals.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';

type Case = { name: string; N: number; C: number; H: number; W: number; O: number; K: number; opts: lc.Conv2dOptions };
const CASES: Case[] = [
  { name: 'winograd 3x3 s1 p1', N: 2, C: 3, H: 9, W: 7, O: 5, K: 3, opts: { padding: 1 } },
  { name: '3x3 s2 p1', N: 2, C: 4, H: 8, W: 8, O: 3, K: 3, opts: { stride: 2, padding: 1 } },
  { name: '3x3 dilation 2 groups 2', N: 3, C: 4, H: 9, W: 9, O: 6, K: 3, opts: { dilation: 2, padding: 2, groups: 2 } },
  { name: '1x1', N: 2, C: 5, H: 4, W: 3, O: 4, K: 1, opts: {} },
];

const gen = new lc.Generator(11);
const randn = (shape: number[], dtype: lc.DType) => lc.randn(shape, { dtype, generator: gen });

function unfused(x: lc.Tensor, w: lc.Tensor, b: lc.Tensor | null, ch: lc.Tensor | null, res: lc.Tensor | null, opts: lc.Conv2dOptions) {
  let y = lc.conv2d(x, w, b, opts);
  if (ch) y = lc.add(y, lc.reshape(ch, [ch.shape[0]!, ch.shape[1]!, 1, 1]));
  if (res) y = lc.add(y, res);
  return y;
}

describe('conv2d epilogue', () => {
  for (const c of CASES) {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [useBias, useCh, useRes] of [[true, true, true], [false, true, false], [false, false, true], [true, false, true]]) {
        it(`${c.name} ${dtype} bias=${useBias} channel=${useCh} residual=${useRes}: equals the unfused ops`, () => {
          lc.tidy(() => {
            const x = randn([c.N, c.C, c.H, c.W], dtype);
            const w = randn([c.O, c.C / (c.opts.groups ?? 1), c.K, c.K], dtype);
            const b = useBias ? randn([c.O], dtype) : null;
            const y0 = lc.conv2d(x, w, b, c.opts);
            const ch = useCh ? randn([c.N, c.O], dtype) : null;
            const res = useRes ? randn([...y0.shape], dtype) : null;
            const got = lc.conv2d(x, w, b, { ...c.opts, channel: ch, residual: res }).toArray() as number[];
            const want = unfused(x, w, b, ch, res, c.opts).toArray() as number[];
            const tol = dtype === 'float32' ? 1e-4 : 1e-12;
            const g = (got as unknown as number[]).flat(4) as number[], e = (want as unknown as number[]).flat(4) as number[];
            expect(g.length).toBe(e.length);
            for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - e[i]!), `element ${i}`).toBeLessThanOrEqual(tol * (1 + Math.abs(e[i]!)));
          });
        });
      }
    }
    it(`${c.name}: first and second-order gradients of every operand against finite differences`, () => {
      lc.tidy(() => {
        const x = randn([c.N, c.C, c.H, c.W], 'float64').requiresGrad_();
        const w = randn([c.O, c.C / (c.opts.groups ?? 1), c.K, c.K], 'float64').requiresGrad_();
        const b = randn([c.O], 'float64').requiresGrad_();
        const OH = lc.conv2d(x, w, b, c.opts).shape;
        const ch = randn([c.N, c.O], 'float64').requiresGrad_();
        const res = randn([...OH], 'float64').requiresGrad_();
        const fn = (x: lc.Tensor, w: lc.Tensor, b: lc.Tensor, ch: lc.Tensor, res: lc.Tensor) =>
          lc.sum(lc.square(lc.conv2d(x, w, b, { ...c.opts, channel: ch, residual: res })));
        expect(lc.gradcheck(fn as never, [x, w, b, ch, res], { atol: 1e-5, rtol: 1e-4 })).toBe(true);
        expect(lc.gradgradcheck(fn as never, [x, w, b, ch, res], { atol: 1e-4, rtol: 1e-3 })).toBe(true);
      });
    });
  }

  it('refuses epilogue operands of the wrong shape or dtype, naming the argument', () => {
    lc.tidy(() => {
      const x = randn([2, 3, 5, 5], 'float32'), w = randn([4, 3, 3, 3], 'float32');
      expect(() => lc.conv2d(x, w, null, { channel: randn([2, 3], 'float32') })).toThrow(/conv2d: channel has shape \[2, 3\], expected \[2, 4\]/);
      expect(() => lc.conv2d(x, w, null, { residual: randn([2, 4, 5, 5], 'float32') })).toThrow(/conv2d: residual has shape \[2, 4, 5, 5\], expected \[2, 4, 3, 3\]/);
      expect(() => lc.conv2d(x, w, null, { residual: randn([2, 4, 3, 3], 'float64') })).toThrow(lc.DTypeError);
      expect(() => lc.conv2d(x, w, null, { channel: 3 as never })).toThrow(lc.LcssError);
    });
  });

  it('a non-contiguous channel and residual give the same result', () => {
    lc.tidy(() => {
      const x = randn([2, 3, 6, 6], 'float64'), w = randn([4, 3, 3, 3], 'float64');
      const ch = lc.transpose(randn([4, 2], 'float64'), 0, 1);
      const res = lc.permute(randn([4, 2, 4, 4], 'float64'), [1, 0, 2, 3]);
      const got = lc.conv2d(x, w, null, { channel: ch, residual: res });
      const want = unfused(x, w, null, ch, res, {});
      expect(lc.max(lc.abs(lc.sub(got, want))).item()).toBeLessThan(1e-12);
    });
  });
});
