// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { geometricSigmas, NCSNv2, type NCSNv2Config } from '../../src/models/index.js';
import { Generator, numTensors, rand, randn, tensor, tidy } from '../../src/index.js';
import { ncsnv2Count } from './reference_counts.js';

type Cfg = Partial<NCSNv2Config> & Pick<NCSNv2Config, 'imageSize' | 'numChannels'>;
const tiny: Cfg = { imageSize: 8, numChannels: 2, nf: 4, numScales: 10, sigmaMin: 0.1, sigmaMax: 10 };

describe('NCSNv2', () => {
  for (const conditionalNorm of [false, true]) {
    it(`${conditionalNorm ? 'conditional InstanceNorm++ (NCSN)' : 'InstanceNorm++ (NCSNv2)'}: count, forward/backward, gradients everywhere, no leaks`, () => {
      const gen = new Generator(31);
      const m = new NCSNv2({ ...tiny, conditionalNorm }, { generator: gen });
      expect(m.numParameters()).toBe(ncsnv2Count({ numChannels: 2, nf: 4, conditionalNorm, numScales: 10 }));
      expect(m.config.scaleBySigma).toBe(!conditionalNorm);
      const n0 = numTensors();
      tidy(() => {
        const x = rand([3, 2, 8, 8], { generator: gen });
        const y = m.forward(x, tensor([0, 4, 9], { dtype: 'int32' }));
        expect([...y.shape]).toEqual([3, 2, 8, 8]);
        y.square().mean().backward();
      });
      const none = tidy(() => m.namedParameters().filter(([, p]) => !(p.grad && p.grad.abs().max().item() > 0)).map(([n]) => n));
      expect(none).toEqual([]);
      m.zeroGrad();
      expect(numTensors()).toBe(n0);
      m.dispose();
    });
  }

  it('float sigma labels = int32 level labels when sigma is on the grid; output scales as 1/sigma', () => {
    const gen = new Generator(32);
    const sig = geometricSigmas(0.1, 10, 10);
    for (const conditionalNorm of [false, true]) {
      const m = new NCSNv2({ ...tiny, conditionalNorm }, { generator: gen });
      tidy(() => {
        const x = randn([2, 2, 8, 8], { generator: gen });
        const byIndex = m.forward(x, tensor([2, 7], { dtype: 'int32' }));
        // sigmas slightly off the grid still select the nearest level
        const bySigma = m.forward(x, tensor([sig[2] * 1.01, sig[7] / 1.01]));
        const scale = conditionalNorm ? tensor([1, 1]) : tensor([sig[2] / (sig[2] * 1.01), sig[7] / (sig[7] / 1.01)]);
        expect(bySigma.sub(byIndex.mul(scale.reshape([2, 1, 1, 1]))).abs().max().item()).toBeLessThan(1e-4);
      });
      m.dispose();
    }
  });

  it('28x28 single-channel (the dilated blocks keep 14x14; refine4 upsamples bilinearly to 28)', () => {
    const gen = new Generator(33);
    const m = new NCSNv2({ imageSize: 28, numChannels: 1, nf: 4 }, { generator: gen });
    tidy(() => {
      const y = m.forward(rand([1, 1, 28, 28], { generator: gen }), tensor([3.0]));
      expect([...y.shape]).toEqual([1, 1, 28, 28]);
      expect(Number.isFinite(y.abs().sum().item())).toBe(true);
    });
    expect(() => new NCSNv2({ imageSize: 128, numChannels: 3 })).toThrow(/NCSNv2: argument 'imageSize' got 128, expected an integer in \[4, 95\]/);
    m.dispose();
  });
});
