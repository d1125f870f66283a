// SPDX-License-Identifier: MIT
// A typed seam over pngjs (pure-JS PNG codec, no native build, no download), the one PNG codec
// of the project: the PNG folder reader decodes with it and the plots encode with it.
import { createRequire } from 'node:module';
import { argError, ShapeError } from '../errors.js';
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

/** Decodes a PNG; `file` names it in errors (a DataFormatError with the byte offset where known). */
export function decodePng(buf: Uint8Array, file = '<buffer>'): DecodedPng {
  for (let i = 0; i < 8; i++) {
    if (i >= buf.length) throw formatError('decodePng', file, i, 'the 8-byte PNG signature', `end of file after ${buf.length} bytes`);
    if (buf[i] !== PNG_SIGNATURE[i])
      throw formatError('decodePng', file, i, `PNG signature byte 0x${PNG_SIGNATURE[i].toString(16)}`, `0x${buf[i].toString(16)} (not a PNG file)`);
  }
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
