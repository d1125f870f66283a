// SPDX-License-Identifier: MIT
// The peer comparison's verdicts (bench/peer.ts): W1's target needs the host's FMA peak and W4's
// LCSS target our DSM step of the same run; a target that cannot be judged gets no verdict instead
// of a "met" from its PyTorch ratio alone (which is what the report printed before).
import { describe, expect, it } from 'vitest';
import { judge, peakFromPeakFma } from '../../bench/peer.js';

const W1 = { workload: 'W1_sgemm_1024', case: 'mm', max: 1.0, minPeak: 0.9, note: '' };
const LCSS = { workload: 'W4_unet_b32', case: 'lcss_cat', max: 0.8, maxVsOurDsm: 1.8, note: '' };
const W2 = { workload: 'W2_conv3x3', case: 'fwd+bwd(dx,dw)', max: 0.7, note: '' };

describe('bench:peer verdicts', () => {
  it('W1: ahead of PyTorch is not enough below 90 % of the peak; no peak, no verdict', () => {
    expect(judge(W1, 0.88, 368, { peak: 443.7, unit: 'GFLOP/s' })).toEqual({ met: false, detail: '83 % of 444 GFLOP/s' });
    expect(judge(W1, 0.95, 410, { peak: 443.7, unit: 'GFLOP/s' }).met).toBe(true);
    expect(judge(W1, 1.02, 410, { peak: 443.7, unit: 'GFLOP/s' }).met).toBe(false);  // behind PyTorch
    expect(judge(W1, 0.88, 368, { unit: 'GFLOP/s' }).met).toBeUndefined();
    expect(judge(W1, 0.88, 5.84, { peak: 443.7, unit: 'ms' })).toEqual({ detail: '' });  // judged on the GFLOP/s row only
  });

  it('W4 LCSS: both the PyTorch ratio and 1.8x our DSM step of the same run', () => {
    expect(judge(LCSS, 0.75, 500, { oursDsmMs: 300, unit: 'ms' })).toEqual({ met: true, detail: '1.67x our DSM step' });
    expect(judge(LCSS, 0.75, 560, { oursDsmMs: 300, unit: 'ms' }).met).toBe(false);
    expect(judge(LCSS, 1.12, 500, { oursDsmMs: 300, unit: 'ms' }).met).toBe(false);
    expect(judge(LCSS, 0.75, 500, { unit: 'ms' }).met).toBeUndefined();
  });

  it('the other targets are the PyTorch ratio; rows without a target get no verdict', () => {
    expect(judge(W2, 0.69, 7.9, { unit: 'ms' }).met).toBe(true);
    expect(judge(W2, 0.71, 7.9, { unit: 'ms' }).met).toBe(false);
    expect(judge(undefined, 0.5, 1, { unit: 'ms' })).toEqual({ detail: '' });
  });

  it('reads the best instruction set at the thread count from peak_fma output', () => {
    const out = [
      'fma_avx2_1thread             median   111.29 GFLOP/s',
      '{"bench":"fma_avx2_1thread","unit":"GFLOP/s","median":111.292,"min":107.569,"max":114.043,"reps":7}',
      '{"bench":"fma_avx2_2threads","unit":"GFLOP/s","median":221.498,"min":214.959,"max":224.508,"reps":7}',
      '{"bench":"fma_avx512_1thread","unit":"GFLOP/s","median":223.949,"min":214.262,"max":230.253,"reps":7}',
      '{"bench":"fma_avx512_2threads","unit":"GFLOP/s","median":443.689,"min":439.204,"max":450.478,"reps":7}',
      '{"bench":"triad_2threads","unit":"GB/s","median":39.889,"min":39.729,"max":40.799,"reps":7}',
    ].join('\n');
    expect(peakFromPeakFma(out, 1)).toBeCloseTo(223.949, 6);
    expect(peakFromPeakFma(out, 2)).toBeCloseTo(443.689, 6);
    expect(peakFromPeakFma(out, 4)).toBeUndefined();
  });
});
