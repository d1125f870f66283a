// SPDX-License-Identifier: MIT
// Bad input, table-driven: every op rejects disposed tensors, wrong dtypes, wrong shapes and
// non-finite or out-of-range arguments with the typed error, and the message names the op and
// the argument.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';

type T = lc.Tensor;
const f = (shape: number[]) => lc.randn(shape, { generator: new lc.Generator(1) });

interface OpEntry {
  name: string;
  /** fresh valid inputs */
  make: () => T[];
  call: (...xs: T[]) => unknown;
}

// Every op, called correctly: disposing any tensor input must turn the call into a DisposedError.
const ops: OpEntry[] = [
  ...['neg', 'abs', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'silu', 'relu', 'gelu', 'erf', 'sin', 'square', 'reciprocal', 'floor'].map((n) => ({
    name: n, make: () => [f([3, 4])], call: (x: T) => (lc as unknown as Record<string, (x: T) => T>)[n](x),
  })),
  { name: 'add', make: () => [f([3]), f([3])], call: (a, b) => lc.add(a, b) },
  { name: 'mul', make: () => [f([3]), f([3])], call: (a, b) => lc.mul(a, b) },
  { name: 'div', make: () => [f([3]), f([3])], call: (a, b) => lc.div(a, b) },
  { name: 'pow', make: () => [f([3]), f([3])], call: (a, b) => lc.pow(a, b) },
  { name: 'maximum', make: () => [f([3]), f([3])], call: (a, b) => lc.maximum(a, b) },
  { name: 'gt', make: () => [f([3]), f([3])], call: (a, b) => lc.gt(a, b) },
  { name: 'where', make: () => [lc.gt(f([3]), 0), f([3]), f([3])], call: (c, a, b) => lc.where(c, a, b) },
  { name: 'sum', make: () => [f([3, 4])], call: (x) => lc.sum(x, 1) },
  { name: 'mean', make: () => [f([3, 4])], call: (x) => lc.mean(x) },
  { name: 'max', make: () => [f([3, 4])], call: (x) => lc.max(x, 0) },
  { name: 'argmax', make: () => [f([3, 4])], call: (x) => lc.argmax(x, 0) },
  { name: 'var', make: () => [f([3, 4])], call: (x) => lc.variance(x) },
  { name: 'logsumexp', make: () => [f([3, 4])], call: (x) => lc.logsumexp(x, 1) },
  { name: 'norm', make: () => [f([3, 4])], call: (x) => lc.norm(x) },
  { name: 'softmax', make: () => [f([3, 4])], call: (x) => lc.softmax(x, 1) },
  { name: 'matmul', make: () => [f([3, 4]), f([4, 2])], call: (a, b) => lc.matmul(a, b) },
  { name: 'linear', make: () => [f([3, 4]), f([2, 4]), f([2])], call: (x, w, b) => lc.linear(x, w, b) },
  { name: 'conv2d', make: () => [f([1, 2, 5, 5]), f([3, 2, 3, 3])], call: (x, w) => lc.conv2d(x, w) },
  { name: 'convTranspose2d', make: () => [f([1, 2, 3, 3]), f([2, 3, 3, 3])], call: (x, w) => lc.convTranspose2d(x, w) },
  { name: 'avgPool2d', make: () => [f([1, 2, 4, 4])], call: (x) => lc.avgPool2d(x, 2) },
  { name: 'maxPool2d', make: () => [f([1, 2, 4, 4])], call: (x) => lc.maxPool2d(x, 2) },
  { name: 'upsampleNearest', make: () => [f([1, 2, 4, 4])], call: (x) => lc.upsampleNearest(x, 2) },
  { name: 'groupNorm', make: () => [f([2, 4, 3]), f([4]), f([4])], call: (x, w, b) => lc.groupNorm(x, 2, w, b) },
  { name: 'layerNorm', make: () => [f([2, 4]), f([4]), f([4])], call: (x, w, b) => lc.layerNorm(x, 4, w, b) },
  { name: 'indexSelect', make: () => [f([4, 3]), lc.tensor([0, 2], { dtype: 'int32' })], call: (x, i) => lc.indexSelect(x, 0, i) },
  { name: 'gather', make: () => [f([2, 3]), lc.tensor([[0], [2]], { dtype: 'int32' })], call: (x, i) => lc.gather(x, 1, i) },
  { name: 'reshape', make: () => [f([3, 4])], call: (x) => lc.reshape(x, [4, 3]) },
  { name: 'permute', make: () => [f([3, 4])], call: (x) => lc.permute(x, [1, 0]) },
  { name: 'narrow', make: () => [f([3, 4])], call: (x) => lc.narrow(x, 1, 0, 2) },
  { name: 'expand', make: () => [f([3, 1])], call: (x) => lc.expand(x, [3, 4]) },
  { name: 'cat', make: () => [f([3]), f([2])], call: (a, b) => lc.cat([a, b]) },
  { name: 'pad', make: () => [f([3, 4])], call: (x) => lc.pad(x, [1, 1]) },
  { name: 'cast', make: () => [f([3])], call: (x) => lc.cast(x, 'float64') },
  { name: 'dropout', make: () => [f([3])], call: (x) => lc.dropout(x, 0.5) },
  { name: 'attention', make: () => [f([2, 3, 4]), f([2, 5, 4]), f([2, 5, 2])], call: (q, k, v) => lc.scaledDotProductAttention(q, k, v) },
  { name: 'steinLoss', make: () => [f([4, 3])], call: (s) => lc.steinLoss(s, 0.1, { key: { seed: 1, offset: 0 } }) },
  { name: 'dataSync', make: () => [f([3])], call: (x) => x.dataSync() },
  { name: 'backward', make: () => [f([3]).requiresGrad_()], call: (x) => lc.sum(x.mul(2)).backward() },
];

describe('disposed inputs', () => {
  for (const op of ops) {
    it(op.name, () => {
      const ins = op.make();
      for (let k = 0; k < ins.length; k++) {
        const again = op.make();
        again[k].dispose();
        const err = (() => { try { op.call(...again); } catch (e) { return e; } return null; })();
        expect(err, `${op.name}: disposing input ${k}`).toBeInstanceOf(lc.DisposedError);
        expect(String((err as Error).message)).toMatch(/disposed/);
        lc.dispose(again);
      }
      lc.dispose(ins);
    });
  }
});

interface Bad {
  name: string;
  call: () => unknown;
  error: new (...a: never[]) => Error;
  /** the message must mention these */
  mentions: RegExp[];
}

const i32 = () => lc.tensor([1, 2, 3], { dtype: 'int32' });
const bool = () => lc.gt(f([3]), 0);

const bad: Bad[] = [
  // dtypes
  { name: 'neg of bool', call: () => lc.neg(bool()), error: lc.DTypeError, mentions: [/neg/, /bool/] },
  { name: 'matmul of int32', call: () => lc.matmul(i32(), i32()), error: lc.DTypeError, mentions: [/matmul/, /int32/] },
  { name: 'matmul mixed float dtypes', call: () => lc.matmul(f([2, 2]), lc.cast(f([2, 2]), 'float64')), error: lc.DTypeError, mentions: [/matmul/, /float64/] },
  { name: 'conv2d of int32', call: () => lc.conv2d(lc.zeros([1, 1, 3, 3], { dtype: 'int32' }), f([1, 1, 1, 1])), error: lc.DTypeError, mentions: [/conv2d/, /int32/] },
  { name: 'softmax of int32', call: () => lc.softmax(i32()), error: lc.DTypeError, mentions: [/softmax/] },
  { name: 'indexSelect with float indices', call: () => lc.indexSelect(f([3, 2]), 0, f([2])), error: lc.DTypeError, mentions: [/indexSelect/, /int32/] },
  { name: 'requiresGrad on int32', call: () => { i32().requiresGrad = true; }, error: lc.DTypeError, mentions: [/float/] },
  { name: 'tensor with bad dtype', call: () => lc.zeros([2], { dtype: 'float16' as never }), error: lc.DTypeError, mentions: [/dtype/, /float16/] },
  { name: 'not a tensor', call: () => lc.exp([1, 2] as never), error: lc.DTypeError, mentions: [/exp/, /Tensor/] },
  // shapes
  { name: 'add broadcast mismatch', call: () => lc.add(f([3, 4]), f([5])), error: lc.ShapeError, mentions: [/add/, /\[3, 4\]/, /\[5\]/] },
  { name: 'matmul inner mismatch', call: () => lc.matmul(f([3, 4]), f([5, 2])), error: lc.ShapeError, mentions: [/matmul/, /4 vs 5/] },
  { name: 'matmul scalar', call: () => lc.matmul(f([]), f([3])), error: lc.ShapeError, mentions: [/matmul/] },
  { name: 'linear in-features', call: () => lc.linear(f([2, 3]), f([4, 5])), error: lc.ShapeError, mentions: [/linear/, /5/] },
  { name: 'conv2d 3-D input', call: () => lc.conv2d(f([2, 5, 5]), f([1, 2, 3, 3])), error: lc.ShapeError, mentions: [/conv2d/, /\[N, C, H, W\]/] },
  { name: 'conv2d channel mismatch', call: () => lc.conv2d(f([1, 3, 5, 5]), f([1, 2, 3, 3])), error: lc.ShapeError, mentions: [/conv2d/, /channels/] },
  { name: 'conv2d kernel larger than input', call: () => lc.conv2d(f([1, 1, 2, 2]), f([1, 1, 3, 3])), error: lc.ShapeError, mentions: [/conv2d/, /too small/] },
  { name: 'reshape wrong size', call: () => lc.reshape(f([3, 4]), [5, 3]), error: lc.ShapeError, mentions: [/reshape/, /12/] },
  { name: 'view needing a copy', call: () => lc.view(lc.transpose(f([3, 4])), [12]), error: lc.ShapeError, mentions: [/view/, /reshape/] },
  { name: 'expand non-1 dim', call: () => lc.expand(f([3, 2]), [3, 4]), error: lc.ShapeError, mentions: [/expand/] },
  { name: 'cat mismatched', call: () => lc.cat([f([2, 3]), f([2, 4])], 0), error: lc.ShapeError, mentions: [/cat/, /tensors\[1\]/] },
  { name: 'groupNorm weight shape', call: () => lc.groupNorm(f([2, 4, 3]), 2, f([3])), error: lc.ShapeError, mentions: [/groupNorm/, /weight/] },
  { name: 'layerNorm shape', call: () => lc.layerNorm(f([2, 4]), 5), error: lc.ShapeError, mentions: [/layerNorm/] },
  { name: 'gather index shape', call: () => lc.gather(f([2, 3]), 1, lc.zeros([3, 1], { dtype: 'int32' })), error: lc.ShapeError, mentions: [/gather/] },
  { name: 'tensor ragged', call: () => lc.tensor([[1, 2], [3]]), error: lc.ShapeError, mentions: [/rectangular/] },
  { name: 'backward of non-scalar without gradOutputs', call: () => lc.mul(f([3]).requiresGrad_(), 2).backward(), error: lc.ArgumentError, mentions: [/backward/, /gradOutputs/] },
  { name: 'item of many', call: () => f([3]).item(), error: lc.ArgumentError, mentions: [/item/, /3 elements/] },
  // arguments: non-finite, out of range
  { name: 'pow with NaN exponent', call: () => lc.pow(f([3]), NaN), error: lc.ArgumentError, mentions: [/pow/, /exponent/, /NaN/] },
  { name: 'clamp with NaN bound', call: () => lc.clamp(f([3]), NaN, 1), error: lc.ArgumentError, mentions: [/clamp/, /min/] },
  { name: 'clamp min > max', call: () => lc.clamp(f([3]), 2, 1), error: lc.ArgumentError, mentions: [/clamp/, /max/] },
  { name: 'softplus beta inf', call: () => lc.softplus(f([3]), Infinity), error: lc.ArgumentError, mentions: [/softplus/, /beta/] },
  { name: 'elu alpha NaN', call: () => lc.elu(f([3]), NaN), error: lc.ArgumentError, mentions: [/elu/, /alpha/] },
  { name: 'dropout p 1.5', call: () => lc.dropout(f([3]), 1.5), error: lc.ArgumentError, mentions: [/dropout/, /'p'/] },
  { name: 'groupNorm eps NaN', call: () => lc.groupNorm(f([2, 4, 3]), 2, null, null, { eps: NaN }), error: lc.ArgumentError, mentions: [/groupNorm/, /eps/] },
  { name: 'groupNorm groups 3 of 4', call: () => lc.groupNorm(f([2, 4, 3]), 3), error: lc.ArgumentError, mentions: [/groupNorm/, /groups/] },
  { name: 'sum dim out of range', call: () => lc.sum(f([3, 4]), 2), error: lc.ArgumentError, mentions: [/sum/, /dim/, /\[-2, 1\]/] },
  { name: 'narrow fractional start', call: () => lc.narrow(f([3, 4]), 1, 0.5, 1), error: lc.ArgumentError, mentions: [/narrow/, /start/] },
  { name: 'conv2d stride 0', call: () => lc.conv2d(f([1, 1, 3, 3]), f([1, 1, 1, 1]), null, { stride: 0 }), error: lc.ArgumentError, mentions: [/conv2d/, /stride/] },
  { name: 'rand with NaN bound', call: () => lc.rand([2], { low: NaN }), error: lc.ArgumentError, mentions: [/rand/, /low/] },
  { name: 'randn negative std', call: () => lc.randn([2], { std: -1 }), error: lc.ArgumentError, mentions: [/randn/, /std/] },
  { name: 'randint empty range', call: () => lc.randint(3, 3, [2]), error: lc.ArgumentError, mentions: [/randint/, /high/] },
  { name: 'arange step 0', call: () => lc.arange(0, 3, 0), error: lc.ArgumentError, mentions: [/arange/, /step/] },
  { name: 'steinLoss gamma inf', call: () => lc.steinLoss(f([4, 3]), 0.1, { key: { seed: 1, offset: 0 }, gamma: Infinity }), error: lc.ArgumentError, mentions: [/steinLoss/, /gamma/] },
  { name: 'steinLoss bad rows', call: () => lc.steinLoss(f([3, 3]), 0.1, { key: { seed: 1, offset: 0 } }), error: lc.ShapeError, mentions: [/steinLoss/, /multiple of 2/] },
  { name: 'setNumThreads 0', call: () => lc.setNumThreads(0), error: Error, mentions: [/setNumThreads/] },
  { name: 'device unknown', call: () => lc.device('tpu'), error: lc.DeviceError, mentions: [/tpu/] },
  // indices are checked in native code: an error, never a crash
  { name: 'indexSelect out of range', call: () => lc.indexSelect(f([3, 2]), 0, lc.tensor([0, 7], { dtype: 'int32' })), error: Error, mentions: [/index 7 is out of range/] },
  { name: 'gather negative index', call: () => lc.gather(f([2, 3]), 1, lc.tensor([[0], [-1]], { dtype: 'int32' })), error: Error, mentions: [/index -1 is out of range/] },
];

describe('bad input gets a typed error naming the op and argument', () => {
  for (const b of bad) {
    it(b.name, () => {
      const n0 = lc.numTensors();
      let err: unknown = null;
      lc.tidy(() => {
        try {
          b.call();
        } catch (e) {
          err = e;
        }
      });
      expect(err, 'should throw').toBeInstanceOf(b.error);
      for (const m of b.mentions) expect((err as Error).message).toMatch(m);
      expect(lc.numTensors()).toBe(n0);
    });
  }
});

describe('in-place misuse', () => {
  it('in-place update of a tensor that requires grad needs noGrad', () => {
    const p = f([3]).requiresGrad_();
    expect(() => p.add_(1)).toThrow(lc.AutogradError);
    lc.noGrad(() => p.add_(1));
    p.dispose();
  });
  it('modifying a tensor saved for backward is detected', () => {
    const x = f([3]).requiresGrad_();
    const y = lc.exp(x);  // saves y
    lc.noGrad(() => y.mul_(2));
    expect(() => lc.sum(y).backward()).toThrow(/modified in place/);
    lc.dispose([x, y]);
  });
});
