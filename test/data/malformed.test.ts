// SPDX-License-Identifier: MIT
// Malformed data files, as users and the fuzzer produce them: each is a typed DataFormatError that
// names the file (and the byte where it applies), found before any large allocation.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readCifar10 } from '../../src/data/cifar.js';
import { DataFormatError } from '../../src/io/errors.js';
import { encodeIdx, readIdx, readMnistIdx } from '../../src/data/idx.js';
import { decodePng, encodePng } from '../../src/io/png.js';
import { readPngFolder } from '../../src/data/png_folder.js';

const dir = mkdtempSync(join(tmpdir(), 'lcss-malformed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function formatError(f: () => unknown): DataFormatError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataFormatError);
    return e as DataFormatError;
  }
  throw new Error('expected a DataFormatError');
}

const chunk = (type: string, data: Uint8Array | number[]) => {
  const td = Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(data)]);
  const len = Buffer.alloc(4), crc = Buffer.alloc(4);
  len.writeUInt32BE(td.length - 4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};
const ihdr = (w: number, h: number, colorType = 0) => {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(w, 0);
  b.writeUInt32BE(h, 4);
  b[8] = 8;
  b[9] = colorType;
  return chunk('IHDR', b);
};
const png = (w: number, h: number, rows: Buffer) =>
  Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr(w, h), chunk('IDAT', deflateSync(rows)), chunk('IEND', [])]);

describe('PNG', () => {
  it('a small file declaring 30000x30000 is refused from its header, before decoding', () => {
    // 1 KB on disk; decoding it used to allocate ~4.5 GB
    const bomb = png(30000, 30000, Buffer.alloc(1024));
    expect(bomb.length).toBeLessThan(2048);
    const e = formatError(() => decodePng(bomb, 'bomb.png'));
    expect(e.message).toMatch(/bomb\.png at byte 16: expected at most 67108864 pixels \(decodePng's maxPixels\), got a declared 30000x30000 image \(900000000 pixels\)/);
    expect(e.offset).toBe(16);
    expect(decodePng(png(2, 2, Buffer.alloc(2 * 3)), 'ok.png', { maxPixels: 4 }).width).toBe(2);
    expect(() => decodePng(png(2, 2, Buffer.alloc(6)), 'small.png', { maxPixels: 3 })).toThrow(/at most 3 pixels/);
  });

  it('missing rows are an error naming the file, not zeros', () => {
    // 4x4 gray needs 4 rows of 1 filter byte + 4 pixels; give 2
    const short = png(4, 4, Buffer.alloc(2 * 5, 7));
    expect(formatError(() => decodePng(short, 'short.png')).message).toMatch(/short\.png: the image data inflates to 10 bytes, a 4x4 image needs 20 \(rows are missing\)/);
    const long = png(4, 4, Buffer.alloc(6 * 5));
    expect(formatError(() => decodePng(long, 'long.png')).message).toMatch(/long\.png: the image data inflates to more than the 20 bytes/);
  });

  it('folders with mixed channel counts are refused unless a conversion is asked for', () => {
    const m = join(dir, 'mixed-channels');
    mkdirSync(m, { recursive: true });
    writeFileSync(join(m, 'a.png'), encodePng(2, 2, 1, new Uint8Array(4).fill(10)));
    writeFileSync(join(m, 'b.png'), encodePng(2, 2, 3, new Uint8Array(12).fill(200)));
    expect(formatError(() => readPngFolder(m)).message).toMatch(/b\.png has 3 channel\(s\) \(RGB\), a\.png \(the first image\) has 1 \(gray\); pass \{ mode \} \(or \{ convert: true \}\)/);
    const conv = readPngFolder(m, { convert: true });
    expect(conv.shape).toEqual([1, 2, 2]);
    expect(Array.from(conv.data.subarray(4))).toEqual([200, 200, 200, 200]);
    expect(readPngFolder(m, { mode: 'RGB' }).shape).toEqual([3, 2, 2]);
  });

  it('an empty class folder is refused (its label would have no examples)', () => {
    const root = join(dir, 'classes-empty');
    mkdirSync(join(root, 'cats'), { recursive: true });
    mkdirSync(join(root, 'dogs'), { recursive: true });
    writeFileSync(join(root, 'cats', 'a.png'), encodePng(2, 2, 1, new Uint8Array(4)));
    expect(formatError(() => readPngFolder(root)).message).toMatch(/the class folder .*dogs holds no \.png files \(label 1 would have no examples\)/);
  });
});

describe('IDX and CIFAR', () => {
  it('zero counts name the file and the field', () => {
    const n0 = join(dir, 'n0-idx3-ubyte');
    writeFileSync(n0, encodeIdx({ type: 'uint8', shape: [0, 28, 28], data: new Uint8Array(0) }));
    const e = formatError(() => readMnistIdx(n0));
    expect(e.message).toMatch(/readMnistIdx: .*n0-idx3-ubyte at byte 4: expected at least 1 in the images count, got 0/);
    expect(e.offset).toBe(4);
    const h0 = join(dir, 'h0-idx3-ubyte');
    writeFileSync(h0, encodeIdx({ type: 'uint8', shape: [3, 0, 28], data: new Uint8Array(0) }));
    expect(formatError(() => readMnistIdx(h0)).message).toMatch(/h0-idx3-ubyte at byte 8: expected at least 1 in the rows count, got 0/);
  });

  it('a missing path or a folder is a typed error naming it', () => {
    for (const [f, name] of [[() => readIdx(join(dir, 'missing')), 'readIdx'], [() => readMnistIdx(dir), 'readMnistIdx'], [() => readCifar10(join(dir, 'nope.bin')), 'readCifar10']] as const) {
      const e = formatError(f);
      expect(e.message.startsWith(`${name}: `)).toBe(true);
      expect(e.message).toMatch(/no such file|not a regular file|a directory|folder/);
    }
  });
});
