// SPDX-License-Identifier: MIT
// SmallUNet is the W4 ScoreUNet: same parameter count, same state dict names, same function (golden
// values from the PyTorch peer, fixtures/make_small_unet_fixture.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SmallUNet } from '../../src/models/index.js';
import { Generator, numTensors, rand, randn, tensor, tidy, type Tensor } from '../../src/index.js';

interface Fixture {
  config: { ch: number; ch_mult: number[]; num_res: number; attn_res: number[]; img: number; in_ch: number };
  params: number;
  default_params: number;
  state: { name: string; shape: number[]; data: string }[];
  x: { shape: number[]; data: string };
  sigma: number[];
  y: { shape: number[]; data: string };
}

const fx: Fixture = JSON.parse(readFileSync(new URL('./fixtures/small_unet_tiny.json', import.meta.url), 'utf8'));
const decode = (b64: string, bytes: 4 | 8): Float64Array => {
  const buf = Buffer.from(b64, 'base64');
  const a = bytes === 4 ? new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4) : new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8);
  return Float64Array.from(a);
};

describe('SmallUNet (W4)', () => {
  it('has exactly 1,623,169 parameters with the W4 defaults (as the PyTorch peer counts)', () => {
    const m = new SmallUNet({ generator: new Generator(0) });
    expect(m.numParameters()).toBe(1_623_169);
    expect(fx.default_params).toBe(1_623_169);
    m.dispose();
  });

  it('loads the PyTorch peer state dict by name and reproduces its output (float64, 1e-10)', () => {
    const c = fx.config;
    const m = new SmallUNet({ ch: c.ch, chMult: c.ch_mult, numRes: c.num_res, attnRes: c.attn_res, img: c.img, inCh: c.in_ch, dtype: 'float64' });
    expect(m.numParameters()).toBe(fx.params);
    const sd = new Map(fx.state.map((s) => [s.name, tensor(decode(s.data, 4), { shape: s.shape, dtype: 'float64' })]));
    m.loadStateDict(sd); // strict: every name and shape must match the torch module tree
    for (const t of sd.values()) t.dispose();
    const n0 = numTensors();
    tidy(() => {
      const x = tensor(decode(fx.x.data, 4), { shape: fx.x.shape, dtype: 'float64' });
      const y = m.forward(x, tensor(fx.sigma, { dtype: 'float64' }));
      expect([...y.shape]).toEqual(fx.y.shape);
      const want = decode(fx.y.data, 8), got = y.dataSync();
      let err = 0, scale = 0;
      for (let i = 0; i < want.length; i++) {
        err = Math.max(err, Math.abs(got[i] - want[i]));
        scale = Math.max(scale, Math.abs(want[i]));
      }
      expect(scale).toBeGreaterThan(0.1);
      expect(err / scale).toBeLessThan(1e-10);
    });
    expect(numTensors()).toBe(n0);
    m.dispose();
  });

  it('forward/backward at the W4 shape: output / sigma, gradient reaches every parameter, no leaks', () => {
    const gen = new Generator(4);
    const m = new SmallUNet({ generator: gen });
    const n0 = numTensors();
    tidy(() => {
      const x = randn([2, 1, 28, 28], { generator: gen });
      const sigma = rand([2], { low: 0.01, high: 50, generator: gen });
      const y = m.forward(x, sigma);
      expect([...y.shape]).toEqual([2, 1, 28, 28]);
      y.square().sum().backward();
    });
    const missing = tidy(() => m.namedParameters().filter(([, p]) => !p.grad || !(p.grad.abs().max().item() > 0)).map(([n]) => n));
    expect(missing).toEqual([]);
    expect(numTensors()).toBe(n0 + m.parameters().length);
    m.zeroGrad();
    expect(numTensors()).toBe(n0);
    m.dispose();
  });

  it('rejects inputs of the wrong shape with the expected shape in the message', () => {
    const m = new SmallUNet({ ch: 4, chMult: [1, 2], numRes: 1, attnRes: [], img: 8 });
    tidy(() => {
      expect(() => m.forward(randn([1, 1, 9, 9]), tensor([1]))).toThrow(/SmallUNet.forward: x must be \[B, 1, 8, 8\], got \[1, 1, 9, 9\]/);
      expect(() => m.forward(randn([2, 1, 8, 8]), tensor([1]))).toThrow(/sigma must be \[B\] = \[2\]/);
    });
    expect(() => new SmallUNet({ img: 30, chMult: [1, 2, 2] })).toThrow(/divisible by 2\^2/);
    m.dispose();
  });
});

export type { Tensor };
