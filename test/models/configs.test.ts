// SPDX-License-Identifier: MIT
// Every registered config: its stated parameter count equals the count derived by hand from the
// reference code (reference_counts.ts) and the count of the built model; the CIFAR-10 models run
// one forward at batch 1.
import { describe, expect, it } from 'vitest';
import { createModel, getModelConfig, MODEL_CONFIGS, NCSNPP_DEFAULTS, type ModelConfig, type ScoreNetwork } from '../../src/models/index.js';
import { ArgumentError, Generator, numTensors, rand, tidy } from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';
import { mlpScoreCount, ncsnppCount, ncsnv2Count } from './reference_counts.js';

function handCount(c: ModelConfig): number {
  switch (c.model) {
    case 'ncsnpp':
      return ncsnppCount({ ...NCSNPP_DEFAULTS, ...c.options }).trainable;
    case 'ncsnv2':
      return ncsnv2Count({ numChannels: c.options.numChannels, nf: c.options.nf ?? 128, conditionalNorm: c.options.conditionalNorm, numScales: c.options.numScales });
    case 'small_unet':
      return 1_623_169; // the W4 definition (docs/PERFORMANCE.md; the PyTorch peer prints the same count)
    case 'mlp_score': {
      const o = c.options;
      return mlpScoreCount(o.dim, o.hidden ?? 128, o.layers ?? 3, o.embeddingDim ?? o.hidden ?? 128, o.embedding !== 'none');
    }
    default:
      throw new Error(`no hand count for ${c.model}`);
  }
}

describe('model configs', () => {
  it('every stated count equals the hand count from the reference construction code', () => {
    for (const [name, c] of Object.entries(MODEL_CONFIGS)) expect([name, c.params]).toEqual([name, handCount(c)]);
  });

  it('the CIFAR-10 counts: NCSN++ cont. 62.8M (+128 Fourier frequencies), DDPM++ cont. 61.8M, deep variants ~107M', () => {
    expect(MODEL_CONFIGS['cifar10-ncsnpp-ve'].params).toBe(62_758_787);
    const ve = MODEL_CONFIGS['cifar10-ncsnpp-ve'];
    if (ve.model !== 'ncsnpp') throw new Error('unreachable');
    // what torch's sum(p.numel() for p in model.parameters()) reports for the reference model
    expect(ncsnppCount({ ...NCSNPP_DEFAULTS, ...ve.options }).fourier).toBe(128);
    expect(MODEL_CONFIGS['cifar10-ncsnpp-deep-ve'].params).toBe(107_586_947);
    expect(MODEL_CONFIGS['cifar10-ddpmpp-vp'].params).toBe(61_804_419);
    expect(MODEL_CONFIGS['cifar10-ddpmpp-subvp'].params).toBe(61_804_419);
    expect(MODEL_CONFIGS['cifar10-ddpmpp-deep-vp'].params).toBe(106_632_579);
    expect(MODEL_CONFIGS['cifar10-ddpmpp-deep-subvp'].params).toBe(106_632_579);
  });

  it('every built model has the stated count; the CIFAR-10 nets run at batch 1', () => {
    const forwardAt1 = new Set(['cifar10-ncsnpp-ve', 'cifar10-ddpmpp-vp', 'cifar10-ncsnv2']);
    const gen = new Generator(0);
    const n0 = numTensors();
    for (const name of Object.keys(MODEL_CONFIGS)) {
      const c = getModelConfig(name);
      const m = createModel(name, { generator: gen });
      expect([name, m.numParameters()]).toEqual([name, c.params]);
      if (forwardAt1.has(name) && c.model !== 'mlp_score' && c.model !== 'mlp') {
        const o = c.options as { imageSize: number; numChannels: number };
        tidy(() => {
          const x = rand([1, o.numChannels, o.imageSize, o.imageSize], { generator: gen });
          const label = c.sde === 've' ? rand([1], { low: 0.01, high: 50, generator: gen }) : rand([1], { low: 0, high: 999, generator: gen });
          const y = (m as ScoreNetwork).forward(x, label);
          expect([...y.shape]).toEqual([...x.shape]);
          expect(Number.isFinite(y.abs().sum().item())).toBe(true);
        });
      }
      m.dispose();
    }
    expect(numTensors()).toBe(n0);
  });

  it('small configs: forward/backward at batch 2, gradient to every trainable parameter, no leaks', () => {
    const small = Object.keys(MODEL_CONFIGS).filter((n) => !n.startsWith('cifar10-'));
    expect(small.length).toBeGreaterThanOrEqual(8);
    const gen = new Generator(7);
    for (const name of small) {
      const c = getModelConfig(name);
      const m = createModel(name, { generator: gen }) as ScoreNetwork & Module;
      const n0 = numTensors();
      tidy(() => {
        const shape = c.model === 'mlp_score' ? [2, c.options.dim] : (() => {
          const o = (c.model === 'small_unet' ? { numChannels: 1, imageSize: 28 } : c.options) as { imageSize: number; numChannels: number };
          return [2, o.numChannels, o.imageSize, o.imageSize];
        })();
        const x = rand(shape, { low: -1, high: 1, generator: gen });
        const label = c.sde === 've' ? rand([2], { low: 0.01, high: 50, generator: gen }) : rand([2], { low: 0, high: 999, generator: gen });
        const y = m.forward(x, label);
        expect([name, ...y.shape]).toEqual([name, ...shape]);
        y.square().mean().backward();
      });
      const none = tidy(() => m.namedParameters().filter(([, p]) => !(p.grad && p.grad.abs().max().item() > 0)).map(([n]) => n));
      expect([name, none]).toEqual([name, []]);
      m.zeroGrad();
      expect([name, numTensors()]).toEqual([name, n0]);
      m.dispose();
    }
  });

  it('unknown names and models are rejected with the list of known ones', () => {
    expect(() => getModelConfig('cifar10-foo')).toThrow(ArgumentError);
    expect(() => getModelConfig('cifar10-foo')).toThrow(/getModelConfig: argument 'name' got "cifar10-foo", expected one of cifar10-ncsnpp-ve, /);
    expect(() => createModel({ model: 'resnet' } as never)).toThrow(/createModel: argument 'config.model' got "resnet"/);
  });

  it('a config object works as well as a name, and the MLP config builds the W5 net', () => {
    const m = createModel({ model: 'mlp', options: { dim: 784, hidden: 256, depth: 2 } }, { generator: new Generator(1) });
    expect(m.numParameters()).toBe(784 * 256 + 256 + 256 * 256 + 256 + 256 * 784 + 784);
    m.dispose();
  });
});
