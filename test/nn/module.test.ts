// SPDX-License-Identifier: MIT
// Module trees: torch-style names in containers, state dict round trips, strict loading errors.
import { describe, expect, it } from 'vitest';
import { AttnBlockpp, Conv2d, Dropout, GaussianFourierProjection, GroupNorm, Linear, ModuleList, Sequential, SiLU } from '../../src/nn/index.js';
import { ArgumentError, Generator, numTensors, randn, ShapeError, tidy, type Tensor } from '../../src/index.js';

const f64 = (t: Tensor) => Float64Array.from(t.dataSync() as ArrayLike<number>);

describe('containers', () => {
  it('Sequential names children by index like torch.nn.Sequential and chains forward', () => {
    const gen = new Generator(1);
    const net = new Sequential([new Linear(3, 8, { generator: gen }), new SiLU(), new Linear(8, 2, { generator: gen })]);
    expect([...net.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(net.numParameters()).toBe(3 * 8 + 8 + 8 * 2 + 2);
    expect(net.length).toBe(3);
    expect(net.at(-1)).toBeInstanceOf(Linear);
    tidy(() => {
      expect([...net.forward(randn([5, 3], { generator: gen })).shape]).toEqual([5, 2]);
    });
    expect(() => new Sequential([{} as never])).toThrow(/Sequential: argument 'modules\[0\]'/);
    expect(() => net.at(3)).toThrow(/ModuleList.at/);
    net.dispose();
  });

  it('ModuleList nests names; train/eval reaches every descendant', () => {
    const list = new ModuleList([new GroupNorm(2, 4), new ModuleList([new Dropout(0.1), new GroupNorm(1, 4)])]);
    expect([...list.stateDict().keys()]).toEqual(['0.weight', '0.bias', '1.1.weight', '1.1.bias']);
    list.eval();
    expect([...list.namedModules()].every(([, m]) => !m.training)).toBe(true);
    list.train();
    expect([...list.namedModules()].every(([, m]) => m.training)).toBe(true);
    list.dispose();
  });
});

describe('state dicts', () => {
  const make = (seed: number) => {
    const gen = new Generator(seed);
    return new ModuleList([
      new Conv2d(4, 8, 3, { padding: 1, init: 'ddpm', generator: gen }),
      new AttnBlockpp(8, { generator: gen, initScale: 1 }),
      new GaussianFourierProjection({ embeddingSize: 4, generator: gen }),
    ]);
  };
  const run = (m: ModuleList, x: Tensor) => tidy(() => {
    const c = m.at(0) as Conv2d, a = m.at(1) as AttnBlockpp, g = m.at(2) as GaussianFourierProjection;
    return [f64(a.forward(c.forward(x))), f64(g.forward(randn([2], { generator: new Generator(0) })))];
  });

  it('round trip: loading A into B makes B compute exactly what A computes (buffers included)', () => {
    const a = make(1), b = make(2);
    const x = randn([2, 4, 4, 4], { generator: new Generator(3) });
    const [ya, ga] = run(a, x), [yb, gb] = run(b, x);
    expect(ya).not.toEqual(yb);
    expect(ga).not.toEqual(gb);
    const n0 = numTensors();
    b.loadStateDict(a.stateDict());
    expect(numTensors()).toBe(n0);
    const [yb2, gb2] = run(b, x);
    expect(yb2).toEqual(ya);
    expect(gb2).toEqual(ga);
    expect([...a.stateDict().keys()]).toContain('2.W');
    x.dispose();
    a.dispose();
    b.dispose();
  });

  it('strict loading names missing, unexpected and mis-shaped entries', () => {
    const a = make(1);
    const sd = new Map(a.stateDict());
    const w = sd.get('0.weight')!;
    sd.delete('0.weight');
    const extra = randn([3]);
    sd.set('0.extra', extra);
    expect(() => a.loadStateDict(sd)).toThrow(ArgumentError);
    expect(() => a.loadStateDict(sd)).toThrow(/loadStateDict: missing keys: 0\.weight; unexpected keys: 0\.extra/);
    // non-strict: the remaining entries load, the unknown one is ignored
    expect(() => a.loadStateDict(sd, false)).not.toThrow();
    const wrong = randn([8, 4, 1, 1]);
    sd.set('0.weight', wrong);
    sd.delete('0.extra');
    expect(() => a.loadStateDict(sd)).toThrow(ShapeError);
    expect(() => a.loadStateDict(sd)).toThrow(/0\.weight: shape \[8, 4, 1, 1\] in the state dict, \[8, 4, 3, 3\] in the module/);
    sd.set('0.weight', w);
    expect(() => a.loadStateDict(Object.fromEntries(sd))).not.toThrow();
    extra.dispose();
    wrong.dispose();
    a.dispose();
  });
});

describe('Linear init', () => {
  it("'ddpm' uses variance scaling fan_avg and a zero bias; 'torch' is U(+-1/sqrt(in))", () => {
    const gen = new Generator(8);
    const d = new Linear(256, 512, { init: 'ddpm', generator: gen });
    const t = new Linear(256, 512, { generator: gen });
    const v = (x: Tensor) => f64(x).reduce((a, b) => a + b * b, 0) / x.size;
    const n = 256 * 512;
    // uniform weights: relative standard error of mean(w^2) is sqrt(0.8 / n); 4 SE
    expect(Math.abs(v(d.weight) / (1 / 384) - 1)).toBeLessThan(4 * Math.sqrt(0.8 / n));
    expect(Math.abs(v(t.weight) / (1 / (3 * 256)) - 1)).toBeLessThan(4 * Math.sqrt(0.8 / n));
    expect(f64(d.bias!).every((b) => b === 0)).toBe(true);
    d.dispose();
    t.dispose();
  });
});
