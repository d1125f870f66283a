// SPDX-License-Identifier: MIT
// The native boundary cannot drift: TypeScript's op declarations (src/native_kernels.gen.ts) are
// exactly what the generator makes from the addon's contract table, the op codes src/native.ts
// sends are the ones native/contract/op_codes.h defines, and supports() reports the backend table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Binary, native, RandomKind, Reduce, SteinEstimator, Unary } from '../../src/native.js';
import { CONTRACTS } from '../../src/native_kernels.gen.js';
import * as lc from '../../src/index.js';
// @ts-expect-error: a plain .mjs script without declarations
import { generate, outputPath } from '../../native/contract/gen_ts.mjs';

describe('native contracts', () => {
  it('src/native_kernels.gen.ts is what the addon\'s contract table generates (run npm run gen:kernels)', () => {
    expect(readFileSync(outputPath, 'utf8')).toBe(generate(native.contracts()));
  });

  it('the TS table names every field and kind of every op, in the addon\'s order', () => {
    expect(CONTRACTS).toEqual(native.contracts());
    for (const c of native.contracts()) {
      expect(typeof (native as unknown as Record<string, unknown>)[c.name], c.name).toBe('function');
      expect(new Set(c.fields.map((f) => f.name)).size, `${c.name} field names are unique`).toBe(c.fields.length);
    }
  });

  it('op codes agree with native/contract/op_codes.h', () => {
    // C++ names (U_ADD_S) to the TS names (addS); a few TS names are spelled out
    const alias: Record<string, string> = { recip: 'reciprocal', max: 'maximum', min: 'minimum' };
    const camel = (cname: string) => {
      const s = cname.replace(/^(U|B|R|RND|STEIN)_/, '').toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      return alias[s] ?? s;
    };
    const codes = native.opCodes();
    const check = (ts: Record<string, number>, cpp: Record<string, number>) => {
      const fromCpp = Object.fromEntries(Object.entries(cpp).map(([k, v]) => [ts === Reduce ? k.slice(2).toLowerCase() : camel(k), v]));
      expect(fromCpp).toEqual({ ...ts });
    };
    check(Unary, codes.unary);
    check(Binary, codes.binary);
    check(Reduce, codes.reduce);
    check(RandomKind, codes.random);
    check(SteinEstimator, codes.steinEstimator);
  });

  it('supports() answers from the backend table', () => {
    expect(native.supports('conv2dForward', 'cpu', 'float32')).toBe(true);
    expect(native.supports('conv2dForward', 'cpu', 'int32')).toBe(false);
    expect(native.supports('unary', 'cpu', 'bool')).toBe(true);
    expect(native.supports('attentionForward', 'cpu', 'float64')).toBe(true);
    // no fused attention kernel on CUDA (the op uses its composite form there)
    expect(native.supports('attentionForward', 'cuda', 'float32')).toBe(false);
    expect(native.supports('conv2dForward', 'cuda', 'float32')).toBe(native.cudaBuilt());
    expect(() => native.supports('noSuchOp', 'cpu', 'float32')).toThrow(/unknown op/);
    // the public form
    expect(lc.kernelNames()).toContain('conv2dForward');
    expect(lc.kernelSupported('gather', 'cpu', 'int32')).toBe(true);
    expect(lc.kernelSupported('gather', 'cpu', 'bool')).toBe(false);
    expect(() => lc.kernelSupported('conv2d', 'cpu', 'float32')).toThrow(/kernelSupported: argument 'kernel'/);
    expect(() => lc.kernelSupported('gather', 'gpu' as never, 'float32')).toThrow(lc.ArgumentError);
  });

  it('a call with a field of the wrong kind is a typed error naming the op and the field', () => {
    const b = native.alloc(0, 4, 0, 0);
    try {
      // softmaxForward(outer, D, inner, log, x, y): a fractional size
      expect(() => (native as unknown as Record<string, (...a: unknown[]) => void>).softmaxForward(1.5, 4, 1, false, b, 0, b, 0))
        .toThrow(/softmaxForward: outer: expected an integer/);
      // a view field whose offset reaches past the buffer
      expect(() => (native as unknown as Record<string, (...a: unknown[]) => void>).softmaxForward(1, 4, 1, false, b, 1, b, 0))
        .toThrow(/softmax: x needs 4 elements/);
    } finally {
      native.free(b);
    }
  });
});
