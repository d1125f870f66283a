// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { MLP, MLPScore } from '../../src/models/index.js';
import { ActivationModule, Linear } from '../../src/nn/index.js';
import { Generator, linear, numTensors, rand, randn, silu, tensor, tidy } from '../../src/index.js';
import { mlpScoreCount } from './reference_counts.js';

describe('MLP (W5 net)', () => {
  it('{ dim: D, hidden: 256, depth: 2 } is exactly Linear(D,256)-SiLU-Linear(256,256)-SiLU-Linear(256,D)', () => {
    const D = 16;
    const m = new MLP({ dim: D, hidden: 256, depth: 2, generator: new Generator(1) });
    const kinds = [...m].map((c) => (c instanceof Linear ? `Linear(${c.inFeatures},${c.outFeatures})` : c instanceof ActivationModule ? c.act.kind : '?'));
    expect(kinds).toEqual([`Linear(${D},256)`, 'silu', 'Linear(256,256)', 'silu', `Linear(256,${D})`]);
    expect([...m.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    expect(m.numParameters()).toBe(D * 256 + 256 + 256 * 256 + 256 + 256 * D + D);
    const n0 = numTensors();
    tidy(() => {
      const x = randn([128, D], { generator: new Generator(2) });
      const [l0, , l2, , l4] = [...m] as Linear[];
      const want = linear(silu(linear(silu(linear(x, l0.weight, l0.bias)), l2.weight, l2.bias)), l4.weight, l4.bias);
      expect(m.forward(x).sub(want).abs().max().item()).toBe(0);
      m.forward(x).square().sum().backward();
    });
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(numTensors()).toBe(n0);
    expect(() => tidy(() => m.forward(randn([2, D + 1])))).toThrow(/MLP.forward: x must be \[\.\.\., 16\], got \[2, 17\]/);
    m.dispose();
  });
});

describe('MLPScore', () => {
  const gen = new Generator(3);

  it('counts, shapes, time dependence, gradients to every parameter, no leaks (both embeddings)', () => {
    for (const embedding of ['sinusoidal', 'fourier'] as const) {
      const m = new MLPScore({ dim: 2, hidden: 32, layers: 3, embedding, generator: gen });
      expect(m.numParameters()).toBe(mlpScoreCount(2, 32, 3));
      const n0 = numTensors();
      tidy(() => {
        const x = randn([8, 2], { generator: gen });
        const t1 = rand([8], { low: 0.01, high: 1, generator: gen }), t2 = rand([8], { low: 5, high: 50, generator: gen });
        const y1 = m.forward(x, t1), y2 = m.forward(x, t2);
        expect([...y1.shape]).toEqual([8, 2]);
        expect(y1.sub(y2).abs().max().item()).toBeGreaterThan(1e-4);
        y1.sum().backward();
      });
      const none = tidy(() => m.namedParameters().filter(([, p]) => !(p.grad && p.grad.abs().max().item() > 0)).map(([n]) => n));
      expect(none).toEqual([]);
      m.zeroGrad();
      expect(numTensors()).toBe(n0);
      m.dispose();
    }
  });

  it("embedding 'none' is time-independent; scaleBySigma divides by the label", () => {
    const a = new MLPScore({ dim: 3, hidden: 16, layers: 2, embedding: 'none', generator: gen });
    expect(a.numParameters()).toBe(mlpScoreCount(3, 16, 2, 16, false));
    const b = new MLPScore({ dim: 3, hidden: 16, layers: 2, embedding: 'none', scaleBySigma: true, generator: gen });
    b.loadStateDict(a.stateDict());
    tidy(() => {
      const x = randn([4, 3], { generator: gen }), s = tensor([0.5, 1, 2, 4]);
      expect(a.forward(x).sub(a.forward(x, s)).abs().max().item()).toBe(0);
      expect(b.forward(x, s).mul(s.reshape([4, 1])).sub(a.forward(x)).abs().max().item()).toBeLessThan(1e-5);
      expect(() => b.forward(x)).toThrow(/MLPScore.forward: t must be \[B\] = \[4\], got nothing/);
      expect(() => a.forward(randn([4, 2]))).toThrow(/x must be \[B, 3\]/);
    });
    expect(() => new MLPScore({ dim: 2, embedding: 'cosine' as never })).toThrow(/MLPScore: argument 'embedding' got "cosine"/);
    a.dispose();
    b.dispose();
  });
});
