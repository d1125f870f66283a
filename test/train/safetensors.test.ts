// SPDX-License-Identifier: MIT
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { DataFormatError } from '../../src/io/errors.js';
import { CHECKSUM_KEY, inspectSafetensors, readSafetensors, readSafetensorsRaw, writeSafetensors } from '../../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'lcss-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file built by hand, the way another implementation may lay it out. */
function handMade(header: object, data: Uint8Array, pad = 0): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function expectFormatError(f: () => unknown, re: RegExp, offset?: number): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataFormatError);
  expect((err as Error).message).toMatch(re);
  if (offset !== undefined) expect((err as DataFormatError).offset).toBe(offset);
}

describe('safetensors', () => {
  it('round-trips every dtype (special values, extremes, scalars, empty tensors) and string metadata', () => {
    const start = lc.numTensors();
    const file = join(dir, 'all.safetensors');
    lc.tidy(() => {
      const src = new Map<string, lc.Tensor>([
        ['f32', lc.tensor(Float32Array.from([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]), { shape: [7] })],
        ['f64', lc.tensor(Float64Array.from([Math.PI, -Number.MAX_VALUE, Number.MIN_VALUE, 1 / 3, -2, 0]), { shape: [2, 3] })],
        ['i32', lc.tensor(Int32Array.from([-(2 ** 31), -1, 0, 2 ** 31 - 1]), { shape: [2, 1, 2] })],
        ['bool', lc.tensor([[true, false, true], [false, false, true]])],
        ['scalar', lc.scalar(42.25, 'float64')],
        ['empty', lc.zeros([0, 5])],
        ['strided', lc.arange(12, undefined, 1, { dtype: 'float32' }).reshape([3, 4]).T],
      ]);
      writeSafetensors(file, src, { metadata: { note: 'ünïcode ✓', json: '{"a":[1,2]}' } });
      const { tensors, metadata } = readSafetensors(file);
      expect([...tensors.keys()].sort()).toEqual([...src.keys()].sort());
      for (const [k, t] of src) {
        const r = tensors.get(k)!;
        expect(r.dtype).toBe(t.dtype);
        expect(r.shape).toEqual(t.shape);
        expect(Array.from(r.dataSync())).toEqual(Array.from(t.dataSync()));
      }
      expect(Object.is(tensors.get('f32')!.dataSync()[1], -0)).toBe(true);
      expect(metadata.note).toBe('ünïcode ✓');
      expect(metadata.json).toBe('{"a":[1,2]}');
      expect(metadata[CHECKSUM_KEY]).toMatch(/^[0-9a-f]{64}$/);
    });
    expect(lc.numTensors()).toBe(start);
    // no temp file left behind
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('writes the exact layout: u64 LE header length, JSON padded to 8 bytes, contiguous offsets', () => {
    const file = join(dir, 'layout.safetensors');
    writeSafetensors(file, { a: { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) }, b: { dtype: 'int32', shape: [1], data: Int32Array.from([7]) } }, { checksum: false });
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header).toEqual({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] } });
    expect(bytes.length).toBe(8 + n + 12);
    expect(bytes.readFloatLE(8 + n + 4)).toBe(2);
    expect(bytes.readInt32LE(8 + n + 8)).toBe(7);
  });

  it('reads files laid out by other writers (unpadded header, keys not in data order)', () => {
    const data = new Uint8Array(12);
    new DataView(data.buffer).setInt32(0, -5, true);
    new DataView(data.buffer).setFloat64(4, 2.5, true);
    const file = join(dir, 'other.safetensors');
    writeFileSync(file, handMade({ y: { dtype: 'F64', shape: [], data_offsets: [4, 12] }, __metadata__: { format: 'pt' }, x: { dtype: 'I32', shape: [1, 1], data_offsets: [0, 4] } }, data));
    const { arrays, metadata } = readSafetensorsRaw(file);
    expect(Array.from(arrays.get('x')!.data)).toEqual([-5]);
    expect(arrays.get('y')!.shape).toEqual([]);
    expect(Array.from(arrays.get('y')!.data)).toEqual([2.5]);
    expect(metadata).toEqual({ format: 'pt' });
  });

  it('rejects truncated files with the offset where data ran out', () => {
    const file = join(dir, 'full.safetensors');
    writeSafetensors(file, { w: { dtype: 'float64', shape: [100], data: new Float64Array(100).fill(1) } });
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const cut = (len: number) => {
      const f = join(dir, `cut-${len}.safetensors`);
      writeFileSync(f, bytes.subarray(0, len));
      return f;
    };
    expectFormatError(() => readSafetensors(cut(5)), /cut-5\.safetensors at byte 0: expected an 8-byte header length, got a file of 5 bytes/, 0);
    expectFormatError(() => readSafetensors(cut(20)), new RegExp(`at byte 20: expected a ${n}-byte JSON header ending at byte ${8 + n}, got end of file \\(truncated\\)`), 20);
    const len = bytes.length - 3;
    expectFormatError(() => inspectSafetensors(cut(len)), new RegExp(`at byte ${len}: expected 800 bytes of tensor data ending at byte ${bytes.length}, got end of file \\(truncated by 3 bytes\\)`), len);
    writeFileSync(join(dir, 'extra.safetensors'), Buffer.concat([bytes, Buffer.from([0])]));
    expectFormatError(() => readSafetensors(join(dir, 'extra.safetensors')), /expected end of file after the last tensor, got 1 extra bytes/, bytes.length);
  });

  it('rejects corrupt headers and data, naming the problem', () => {
    const f = (name: string, b: Uint8Array) => {
      const p = join(dir, name);
      writeFileSync(p, b);
      return p;
    };
    const four = new Uint8Array(4);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 10n ** 12n, true);
    expectFormatError(() => readSafetensors(f('huge', huge)), /huge at byte 0: header length 1000000000000 exceeds the format's limit/);
    expectFormatError(() => readSafetensors(f('start', handMade([1, 2] as never, four))), /at byte 8: expected the JSON header to start with '\{', got 0x5b/);
    const broken = handMade({ a: 1 }, four);
    broken[12] = 0x7d; // '}' inside the object: invalid JSON
    expectFormatError(() => readSafetensors(f('json', broken)), /at byte \d+: invalid JSON header/);
    expectFormatError(() => readSafetensors(f('f16', handMade({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, four))), /tensor "h": dtype "F16" is valid safetensors but has no lcss tensor type \(lcss reads F32, F64, I32, BOOL\)/);
    expectFormatError(() => readSafetensors(f('dt', handMade({ h: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, four))), /dtype "Q4" is not a safetensors dtype/);
    expectFormatError(() => readSafetensors(f('sz', handMade({ h: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, four))), /tensor "h": F32 shape \[2\] needs 8 bytes, data_offsets span 4/);
    expectFormatError(() => readSafetensors(f('shape', handMade({ h: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, four))), /shape \[-1\] is not a list of non-negative integers/);
    expectFormatError(() => readSafetensors(f('gap', handMade({ a: { dtype: 'I32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)))), /tensor "a" begins at data offset 4, expected 0 \(a gap in data_offsets\)/);
    expectFormatError(() => readSafetensors(f('overlap', handMade({ a: { dtype: 'I32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'I32', shape: [1], data_offsets: [2, 6] } }, new Uint8Array(6)))), /an overlap in data_offsets/);
    expectFormatError(() => readSafetensors(f('meta', handMade({ __metadata__: { step: 3 } }, new Uint8Array(0)))), /__metadata__\["step"\] is number, expected a string/);
    const boolBad = handMade({ b: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, Uint8Array.from([0, 2, 1]));
    expectFormatError(() => readSafetensors(f('bool', boolBad)), /tensor "b": BOOL byte 2, expected 0 or 1/, boolBad.length - 2);
  });

  it('catches silent data corruption through the recorded SHA-256', () => {
    const file = join(dir, 'sum.safetensors');
    writeSafetensors(file, { w: { dtype: 'float32', shape: [64], data: new Float32Array(64).fill(0.5) } });
    const b = readFileSync(file);
    b[b.length - 10] ^= 0x01;
    writeFileSync(file, b);
    expect(() => inspectSafetensors(file)).not.toThrow(); // the structure is intact
    expectFormatError(() => readSafetensors(file), /checksum mismatch: the file records sha256 [0-9a-f]{64}, its header and data hash to [0-9a-f]{64} \(corrupted or edited file\)/);
    expect(readSafetensorsRaw(file, { verify: false }).arrays.get('w')!.data.length).toBe(64);
  });

  /** Rewrites the JSON header of `file` through `edit` (keeping its length padded to 8). */
  function editHeader(file: string, edit: (h: Record<string, any>) => void): void {
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    edit(header);
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const h = Buffer.from(json, 'utf8');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    writeFileSync(file, Buffer.concat([len, h, bytes.subarray(8 + n)]));
  }

  it('the checksum covers the header: swapped offsets, edited metadata and a removed checksum are caught', () => {
    const two = { a: { dtype: 'float32' as const, shape: [4], data: Float32Array.from([1, 2, 3, 4]) }, b: { dtype: 'float32' as const, shape: [4], data: Float32Array.from([5, 6, 7, 8]) } };
    const swapped = join(dir, 'swap.safetensors');
    writeSafetensors(swapped, two, { metadata: { step: '10' } });
    editHeader(swapped, (h) => ([h.a.data_offsets, h.b.data_offsets] = [h.b.data_offsets, h.a.data_offsets]));
    // the structure is valid (same sizes), so only the checksum can see that a and b traded places
    expect(Array.from(readSafetensorsRaw(swapped, { verify: false }).arrays.get('a')!.data)).toEqual([5, 6, 7, 8]);
    expectFormatError(() => readSafetensors(swapped), /checksum mismatch/);

    const edited = join(dir, 'meta-edit.safetensors');
    writeSafetensors(edited, two, { metadata: { step: '10' } });
    editHeader(edited, (h) => (h.__metadata__.step = '99'));
    expectFormatError(() => readSafetensors(edited), /checksum mismatch/);

    const removed = join(dir, 'no-sum.safetensors');
    writeSafetensors(removed, two);
    editHeader(removed, (h) => delete h.__metadata__[CHECKSUM_KEY]);
    expect(readSafetensorsRaw(removed).arrays.size).toBe(2); // a file from another writer has none: readable by default
    expectFormatError(() => readSafetensors(removed, { verify: 'require' }), /has no lcss\.checksum metadata .* cannot be trusted/);
    // 'require' also verifies when only some tensors are asked for
    expectFormatError(() => readSafetensors(swapped, { verify: 'require', names: ['a'] }), /checksum mismatch/);
    const { arrays } = readSafetensorsRaw(join(dir, 'meta-edit.safetensors'), { verify: false, names: ['b'] });
    expect([...arrays.keys()]).toEqual(['b']);
  });

  it('still verifies files carrying the older data-only checksum', () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const sha = createHash('sha256').update(data).digest('hex');
    const file = join(dir, 'legacy.safetensors');
    writeFileSync(file, handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, __metadata__: { 'lcss.sha256': sha } }, data));
    expect(Array.from(readSafetensorsRaw(file).arrays.get('w')!.data)).toEqual([1, 2]);
    const bad = Uint8Array.from(data);
    bad[0] ^= 1;
    writeFileSync(file, handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, __metadata__: { 'lcss.sha256': sha } }, bad));
    expectFormatError(() => readSafetensors(file), /checksum mismatch: .* its data hashes to/);
    expectFormatError(() => readSafetensors(file, { verify: 'require' }), /only the data-only checksum of an older lcss; re-save it/);
  });

  it('refuses what is not a regular file instead of blocking on it', () => {
    expectFormatError(() => readSafetensors(dir), /is not a regular file \(a directory\)/);
    expectFormatError(() => readSafetensors(join(dir, 'missing.safetensors')), /cannot read .*missing\.safetensors: no such file/);
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    expectFormatError(() => inspectSafetensors(fifo), /is not a regular file \(a FIFO, socket or device\)/);
  });

  it('names that are Object.prototype keys and duplicate names', () => {
    const file = join(dir, 'proto.safetensors');
    writeSafetensors(file, { ['__proto__']: { dtype: 'int32', shape: [1], data: Int32Array.from([3]) }, constructor: { dtype: 'int32', shape: [1], data: Int32Array.from([4]) } } as never);
    const { arrays } = readSafetensorsRaw(file);
    expect(Array.from(arrays.get('__proto__')!.data)).toEqual([3]);
    expect(Array.from(arrays.get('constructor')!.data)).toEqual([4]);
    // JSON.parse keeps the last of two equal keys; a header that names a tensor twice is refused
    const four = new Uint8Array(4);
    const h = new TextEncoder().encode('{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}');
    const out = new Uint8Array(8 + h.length + 4);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    out.set(four, 8 + h.length);
    writeFileSync(join(dir, 'dup.safetensors'), out);
    expectFormatError(() => readSafetensors(join(dir, 'dup.safetensors')), /tensor "x" appears twice/);
  });

  it('lays mixed dtypes out widest first so every tensor is aligned to its element size', () => {
    const file = join(dir, 'align.safetensors');
    writeSafetensors(file, {
      b: { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
      f: { dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 3]) },
      d: { dtype: 'float64', shape: [2], data: Float64Array.from([4, 5]) },
    });
    const h = inspectSafetensors(file);
    expect(h.dataStart % 8).toBe(0);
    const at = (k: string) => h.entries.get(k)!.offsets[0];
    expect(at('d')).toBe(0);
    expect(at('f') % 4).toBe(0);
    expect(at('b')).toBe(28);
    const { arrays } = readSafetensorsRaw(file);
    expect(Array.from(arrays.get('d')!.data)).toEqual([4, 5]);
  });

  it('validates what it is asked to write', () => {
    const file = join(dir, 'w.safetensors');
    expect(() => writeSafetensors(file, {}, { metadata: { step: 3 as never } })).toThrow(/metadata\["step"\]' got 3, expected a string/);
    const t = lc.zeros([2]);
    t.dispose();
    expect(() => writeSafetensors(file, { t })).toThrow(/disposed tensor/);
    expect(() => writeSafetensors(file, { __metadata__: lc.tidy(() => lc.keep(lc.zeros([1]))) })).toThrow(/non-empty names other than "__metadata__"/);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
