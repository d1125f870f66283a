// SPDX-License-Identifier: MIT
// A typed seam over pngjs (pure-JS PNG codec, no native build, no download), the one PNG codec
// of the project: the PNG folder reader decodes with it and the plots encode with it.
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { argError, checkInt, checkOptions, ShapeError } from '../errors.js';
import { DataFormatError, formatError } from './errors.js';

interface PngjsMeta {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  color: boolean;
  alpha: boolean;
  palette: boolean;
  interlace: boolean;
  /** RGBA, 8 bits per sample after pngjs's normalisation (palettes expanded, depths rescaled). */
  data: Buffer;
}
interface PngjsSync {
  read(buf: Buffer, opts?: Record<string, unknown>): PngjsMeta;
  write(png: { width: number; height: number; data: Uint8Array }, opts?: Record<string, unknown>): Buffer;
}
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: PngjsSync } };

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface DecodedPng {
  width: number;
  height: number;
  /** Channels stored in the file: 1 gray, 2 gray+alpha, 3 RGB (and palettes), 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** Bits per sample in the file (1, 2, 4, 8 or 16); `rgba` is always 8-bit. */
  bitDepth: number;
  /** width·height·4 bytes, row-major RGBA. */
  rgba: Uint8Array;
}

/** The largest image decodePng accepts by default: 2^26 pixels (256 MiB of RGBA), e.g. 8192x8192. */
export const MAX_PNG_PIXELS = 2 ** 26;

export interface DecodePngOptions {
  /** Refuse images with more pixels than this (default MAX_PNG_PIXELS). */
  maxPixels?: number;
}

const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** Bytes of filtered scanline data the IHDR promises (each row: a filter byte + its samples). */
function expectedScanlineBytes(w: number, h: number, bitDepth: number, colorType: number, interlace: number): number {
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType] ?? 0;
  const rowBytes = (width: number) => (width ? 1 + Math.ceil((width * samples * bitDepth) / 8) : 0);
  if (!interlace) return h * rowBytes(w);
  // Adam7: seven passes of sub-images (start x, start y, step x, step y)
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil(Math.max(0, w - x0) / dx), ph = Math.ceil(Math.max(0, h - y0) / dy);
    if (pw && ph) total += ph * rowBytes(pw);
  }
  return total;
}

/**
 * Reads the IHDR and the image data chunks before decoding: the declared size is checked against
 * a limit (a 1 KB file declaring 30000x30000 used to be decoded into 4.5 GB), and the image data
 * must inflate to exactly the rows the header promises (a file with missing rows used to decode
 * with the missing rows as zeros).
 */
function checkStructure(fn: string, buf: Uint8Array, file: string, maxPixels: number): void {
  if (buf.length < 33) throw formatError(fn, file, buf.length, 'an IHDR chunk after the signature', `end of file after ${buf.length} bytes`);
  if (u32(buf, 8) !== 13 || String.fromCharCode(...buf.subarray(12, 16)) !== 'IHDR')
    throw formatError(fn, file, 12, 'the IHDR chunk (13 bytes) first', `a chunk ${JSON.stringify(String.fromCharCode(...buf.subarray(12, 16)))} of ${u32(buf, 8)} bytes`);
  const w = u32(buf, 16), h = u32(buf, 20), bitDepth = buf[24], colorType = buf[25], interlace = buf[28];
  if (!w || !h) throw formatError(fn, file, 16, 'a width and height of at least 1', `${w}x${h}`);
  if (w * h > maxPixels)
    throw formatError(fn, file, 16, `at most ${maxPixels} pixels (decodePng's maxPixels)`, `a declared ${w}x${h} image (${w * h} pixels)`);
  const parts: Uint8Array[] = [];
  let o = 8, sawEnd = false;
  while (o + 8 <= buf.length) {
    const len = u32(buf, o), type = String.fromCharCode(...buf.subarray(o + 4, o + 8));
    if (o + 12 + len > buf.length) throw formatError(fn, file, o, `a ${type} chunk of ${len} bytes and its CRC`, `end of file after ${buf.length - o - 8} bytes (truncated)`);
    if (type === 'IDAT') parts.push(buf.subarray(o + 8, o + 8 + len));
    o += 12 + len;
    if (type === 'IEND') {
      sawEnd = true;
      break;
    }
  }
  if (!parts.length) throw formatError(fn, file, o, 'at least one IDAT chunk of image data', 'none');
  if (!sawEnd) throw formatError(fn, file, o, 'the IEND chunk', 'end of file (truncated)');
  const want = expectedScanlineBytes(w, h, bitDepth, colorType, interlace);
  let got: number;
  try {
    got = inflateSync(Buffer.concat(parts), { maxOutputLength: want + 1 }).length;
  } catch (e) {
    const tooBig = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new DataFormatError(`${fn}: ${file}: the image data ${tooBig ? `inflates to more than the ${want} bytes a ${w}x${h} image holds` : `does not inflate (${(e as Error).message})`}`, file, 33);
  }
  if (got !== want)
    throw new DataFormatError(`${fn}: ${file}: the image data inflates to ${got} bytes, a ${w}x${h} image needs ${want} (${got < want ? 'rows are missing' : 'extra data'})`, file, 33);
}

/** Decodes a PNG; `file` names it in errors (a DataFormatError with the byte offset where known). */
export function decodePng(buf: Uint8Array, file = '<buffer>', opts: DecodePngOptions = {}): DecodedPng {
  if (!(buf instanceof Uint8Array)) throw argError('decodePng', 'buf', buf, 'a Uint8Array (or Buffer) of PNG bytes');
  if (typeof file !== 'string') throw argError('decodePng', 'file', file, 'a name for errors');
  const o = checkOptions('decodePng', 'options', opts);
  const maxPixels = o.maxPixels === undefined ? MAX_PNG_PIXELS : checkInt('decodePng', 'maxPixels', o.maxPixels, 1);
  for (let i = 0; i < 8; i++) {
    if (i >= buf.length) throw formatError('decodePng', file, i, 'the 8-byte PNG signature', `end of file after ${buf.length} bytes`);
    if (buf[i] !== PNG_SIGNATURE[i])
      throw formatError('decodePng', file, i, `PNG signature byte 0x${PNG_SIGNATURE[i].toString(16)}`, `0x${buf[i].toString(16)} (not a PNG file)`);
  }
  checkStructure('decodePng', buf, file, maxPixels);
  let m: PngjsMeta;
  try {
    m = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    // pngjs reports no offsets; name the file and pngjs's reason
    throw new DataFormatError(`decodePng: ${file} is a corrupt or truncated PNG (${buf.length} bytes): ${(e as Error).message}`, file, -1);
  }
  // palettes are RGB (RGBA when a tRNS chunk gives transparency)
  const channels = ((m.palette || m.color ? 3 : 1) + (m.alpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  return { width: m.width, height: m.height, channels, bitDepth: m.depth, rgba: new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength) };
}

/** Encodes 8-bit gray (1), RGB (3) or RGBA (4) pixels, row-major interleaved, as a PNG. */
export function encodePng(width: number, height: number, channels: 1 | 3 | 4, data: Uint8Array): Buffer {
  if (!(data instanceof Uint8Array)) throw argError('encodePng', 'data', data, 'a Uint8Array of pixels');
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1)
    throw argError('encodePng', 'width/height', [width, height], 'positive integers');
  if (channels !== 1 && channels !== 3 && channels !== 4) throw argError('encodePng', 'channels', channels, '1, 3 or 4');
  if (data.length !== width * height * channels)
    throw new ShapeError(`encodePng: ${data.length} bytes do not fill ${width}x${height}x${channels} (${width * height * channels} bytes)`);
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  // same input and output colour type: pngjs takes the bytes as they are (no compositing)
  return PNG.sync.write({ width, height, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) },
    { colorType, inputColorType: colorType, inputHasAlpha: channels === 4, bitDepth: 8 });
}
