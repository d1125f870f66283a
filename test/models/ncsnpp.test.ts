// SPDX-License-Identifier: MIT
// NCSN++ / DDPM++ on tiny configs that together take every branch of the reference: BigGAN and
// DDPM blocks, FIR and naive resampling (with and without convs), every progressive input/output
// mode and combiner, Fourier and positional embeddings, scale_by_sigma, unconditional nets,
// uncentered data and dropout.
import { describe, expect, it } from 'vitest';
import { NCSNpp, NCSNPP_DEFAULTS, geometricSigmas, type NCSNppConfig } from '../../src/models/index.js';
import { Generator, grad, numTensors, rand, randn, tensor, tidy, type Tensor } from '../../src/index.js';
import { ncsnppCount } from './reference_counts.js';

type Cfg = Partial<NCSNppConfig> & Pick<NCSNppConfig, 'imageSize' | 'numChannels'>;
const tiny: Cfg = { imageSize: 8, numChannels: 2, nf: 8, chMult: [1, 2], numResBlocks: 1, attnResolutions: [4], dropout: 0, initScale: 1 };

const variants: [string, Cfg][] = [
  ['NCSN++ (BigGAN, FIR, residual input, Fourier, scale by sigma)', { ...tiny }],
  ['DDPM++ (BigGAN, naive resampling, positional)', { ...tiny, fir: false, progressiveInput: 'none', embeddingType: 'positional', scaleBySigma: false, centered: true }],
  ['DDPM blocks, conv resampling, output_skip + input_skip (cat)', { ...tiny, resblockType: 'ddpm', fir: false, progressive: 'output_skip', progressiveInput: 'input_skip', progressiveCombine: 'cat' }],
  ['DDPM blocks, FIR without convs, residual output + input_skip (sum)', { ...tiny, resblockType: 'ddpm', fir: true, resampWithConv: false, progressive: 'residual', progressiveInput: 'input_skip' }],
  ['BigGAN FIR with output_skip and 3 levels', { ...tiny, imageSize: 16, chMult: [1, 2, 2], progressive: 'output_skip', progressiveInput: 'residual' }],
  ['positional labels with scale_by_sigma (sigma table lookup)', { ...tiny, embeddingType: 'positional', scaleBySigma: true, numScales: 10 }],
  ['unconditional, reference init (init_scale 0), elu', { ...tiny, conditional: false, initScale: 0, nonlinearity: 'elu' }],
];

const labelsFor = (c: Cfg, B: number, gen: Generator): Tensor =>
  c.embeddingType === 'positional'
    ? c.scaleBySigma ? tensor(Array.from({ length: B }, (_, i) => (i * 3) % (c.numScales ?? 1000))) : rand([B], { low: 0, high: 999, generator: gen })
    : rand([B], { low: 0.01, high: 50, generator: gen });

describe('NCSNpp', () => {
  for (const [name, cfg] of variants) {
    it(`${name}: count, forward/backward, gradients everywhere, no leaks`, () => {
      const gen = new Generator(17);
      const m = new NCSNpp(cfg, { generator: gen });
      const full = { ...NCSNPP_DEFAULTS, ...cfg };
      expect(m.numParameters()).toBe(ncsnppCount(full).trainable);
      const n0 = numTensors();
      tidy(() => {
        const x = randn([2, cfg.numChannels, cfg.imageSize, cfg.imageSize], { generator: gen });
        const y = m.forward(x, labelsFor(full, 2, gen));
        expect([...y.shape]).toEqual([...x.shape]);
        y.square().mean().backward();
      });
      // unused by construction: Dense_0 of every block when the net is unconditional (as the reference)
      const unused = (n: string) => !full.conditional && n.includes('Dense_0');
      const noGradient = tidy(() => m.namedParameters().filter(([n, p]) => !unused(n) && !(p.grad && p.grad.abs().max().item() > 0)).map(([n]) => n));
      expect(noGradient).toEqual([]);
      if (!full.conditional) expect(m.namedParameters().filter(([n, p]) => unused(n) && p.grad).length).toBe(0);
      m.zeroGrad();
      expect(numTensors()).toBe(n0);
      m.dispose();
    });
  }

  it('state dict keys follow the reference module list (all_modules.<i>.<name>)', () => {
    const m = new NCSNpp(tiny, { generator: new Generator(1) });
    const keys = [...m.stateDict().keys()];
    expect(keys.slice(0, 7)).toEqual(['all_modules.1.weight', 'all_modules.1.bias', 'all_modules.2.weight', 'all_modules.2.bias', 'all_modules.3.weight', 'all_modules.3.bias', 'all_modules.4.GroupNorm_0.weight']);
    expect(keys).toContain('all_modules.0.W'); // Fourier frequencies, a buffer
    // 4: block at 8x8, 5: BigGAN down block, 6: FIR conv of the input pyramid, 7: block at 4x4, 8: its attention
    expect(keys).toContain('all_modules.5.Conv_2.weight');
    expect(keys).toContain('all_modules.6.Conv2d_0.weight');
    expect(keys).toContain('all_modules.8.NIN_3.W');
    m.dispose();
  });

  it('state dict round trip reproduces the output (eval mode, dropout on)', () => {
    const cfg: Cfg = { ...tiny, dropout: 0.5 };
    const a = new NCSNpp(cfg, { generator: new Generator(2), dropoutGenerator: new Generator(9) });
    const b = new NCSNpp(cfg, { generator: new Generator(3) });
    a.eval();
    b.eval();
    const x = randn([2, 2, 8, 8], { generator: new Generator(4) }), s = tensor([0.5, 7]);
    const ya = tidy(() => Array.from(a.forward(x, s).dataSync()));
    expect(tidy(() => Array.from(b.forward(x, s).dataSync()))).not.toEqual(ya);
    b.loadStateDict(a.stateDict());
    expect(tidy(() => Array.from(b.forward(x, s).dataSync()))).toEqual(ya);
    // training mode: dropout changes the output
    a.train();
    expect(tidy(() => Array.from(a.forward(x, s).dataSync()))).not.toEqual(ya);
    x.dispose();
    s.dispose();
    a.dispose();
    b.dispose();
  });

  it('scale_by_sigma divides by sigma (Fourier: the label; positional: sigmas[int(label)])', () => {
    const gen = new Generator(5);
    const f = new NCSNpp({ ...tiny, scaleBySigma: true }, { generator: gen });
    const g = new NCSNpp({ ...tiny, scaleBySigma: false }, { generator: gen });
    g.loadStateDict(f.stateDict());
    tidy(() => {
      const x = randn([2, 2, 8, 8], { generator: gen }), s = tensor([0.3, 20]);
      const ratio = f.forward(x, s).mul(s.reshape([2, 1, 1, 1])).sub(g.forward(x, s)).abs().max().item();
      expect(ratio).toBeLessThan(1e-4);
    });
    const p = new NCSNpp({ ...tiny, embeddingType: 'positional', scaleBySigma: true, numScales: 10, sigmaMin: 0.1, sigmaMax: 10 }, { generator: gen });
    const q = new NCSNpp({ ...tiny, embeddingType: 'positional', scaleBySigma: false }, { generator: gen });
    q.loadStateDict(p.stateDict());
    const sig = geometricSigmas(0.1, 10, 10);
    expect(sig[0]).toBeCloseTo(10, 12);
    expect(sig[9]).toBeCloseTo(0.1, 12);
    tidy(() => {
      const x = randn([2, 2, 8, 8], { generator: gen }), lab = tensor([2.7, 9]); // int(2.7) = 2
      const want = q.forward(x, lab).div(tensor([sig[2], sig[9]]).reshape([2, 1, 1, 1]));
      expect(p.forward(x, lab).sub(want).abs().max().item()).toBeLessThan(1e-5);
    });
    for (const m of [f, g, p, q]) m.dispose();
  });

  it('uncentered data are mapped to 2x - 1 (a centered net on 2x - 1 computes the same)', () => {
    const gen = new Generator(6);
    const u = new NCSNpp({ ...tiny, centered: false }, { generator: gen });
    const c = new NCSNpp({ ...tiny, centered: true }, { generator: gen });
    c.loadStateDict(u.stateDict());
    tidy(() => {
      const x = rand([2, 2, 8, 8], { generator: gen }), s = tensor([1, 2]);
      expect(u.forward(x, s).sub(c.forward(x.mul(2).sub(1), s)).abs().max().item()).toBeLessThan(1e-5);
    });
    u.dispose();
    c.dispose();
  });

  it('validates configs and inputs with messages that name the field', () => {
    expect(() => new NCSNpp({ ...tiny, progressive: 'skip' as never })).toThrow(/NCSNpp: argument 'progressive' got "skip", expected 'none' \| 'output_skip' \| 'residual'/);
    expect(() => new NCSNpp({ ...tiny, imageSize: 6, chMult: [1, 2, 2] })).toThrow(/imageSize.*multiple of 2\^2/);
    // a width that min(C/4, 32) groups do not divide (here the 12 + 6 concatenated channels)
    expect(() => new NCSNpp({ ...tiny, nf: 6 })).toThrow(/GroupNorm: argument 'numGroups' got 4, expected a divisor of numChannels \(18\)/);
    const m = new NCSNpp(tiny, { generator: new Generator(1) });
    tidy(() => {
      expect(() => m.forward(randn([1, 3, 8, 8]), tensor([1]))).toThrow(/NCSNpp.forward: x must be \[B, 2, 8, 8\], got \[1, 3, 8, 8\]/);
      expect(() => m.forward(randn([2, 2, 8, 8]), tensor([1]))).toThrow(/label must be \[B\] = \[2\]/);
    });
    m.dispose();
  });

  it('second-order gradients flow through every layer type (what SSM and the exact trace need)', () => {
    const gen = new Generator(8);
    const m = new NCSNpp({ ...tiny, nf: 4 }, { generator: gen, dtype: 'float64' });
    const n0 = numTensors();
    tidy(() => {
      const x = randn([1, 2, 8, 8], { generator: gen, dtype: 'float64', requiresGrad: true });
      const v = randn([1, 2, 8, 8], { generator: gen, dtype: 'float64' });
      const y = m.forward(x, tensor([1.5], { dtype: 'float64' }));
      // v^T (ds/dx) v, then its gradient with respect to every parameter (a double backward)
      const [gx] = grad(y.mul(v).sum(), [x], { createGraph: true });
      gx!.mul(v).sum().backward();
    });
    const missed = tidy(() => m.namedParameters().filter(([, p]) => !(p.grad && p.grad.abs().max().item() > 0)).map(([n]) => n));
    // only the output bias: ds/dx does not depend on it
    expect(missed).toEqual([`all_modules.${m.all_modules.length - 1}.bias`]);
    m.zeroGrad();
    expect(numTensors()).toBe(n0);
    m.dispose();
  });
});
