// SPDX-License-Identifier: MIT
// Uniform dequantisation of 8-bit data (score_sde's datasets: (k + u) / 256 with u ~ U(0, 1)),
// so that a continuous density on the dequantised data bounds the discrete likelihood.
import { argError } from '../errors.js';
import { add, div, mul, sub, randLike, type Generator, round } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBatch, checkKeys } from '../sde/util.js';

/** Where the data live: [-1, 1] (score_sde's centred data, bpd offset 7) or [0, 1] (offset 8). */
export type DataRange = '[-1,1]' | '[0,1]';

export function checkRange(op: string, r: unknown): DataRange {
  if (r !== '[-1,1]' && r !== '[0,1]') throw argError(op, 'range', r, "'[-1,1]' or '[0,1]'");
  return r;
}

/** bits/dim offset of a data range: log2(256 / width), 7 for [-1, 1] and 8 for [0, 1]. */
export function bpdOffset(range: DataRange): number {
  checkRange('bpdOffset', range);
  return range === '[-1,1]' ? 7 : 8;
}

/**
 * Dequantises 8-bit data given in `range` (values k/255 mapped to the range): recovers k, returns
 * (k + u) / 256 with u ~ U(0, 1), mapped back to the range.
 */
export function dequantize(x: Tensor, opts: { range?: DataRange; generator?: Generator } = {}): Tensor {
  const op = 'dequantize';
  checkKeys(op, opts, ['range', 'generator']);
  checkBatch(op, 'x', x);
  const range = checkRange(op, opts.range ?? '[-1,1]');
  return tidy(() => {
    const unit = range === '[-1,1]' ? mul(add(x, 1), 0.5) : x;
    const k = round(mul(unit, 255));
    const y = div(add(k, randLike(x, { generator: opts.generator })), 256);
    return range === '[-1,1]' ? sub(mul(y, 2), 1) : y;
  });
}
