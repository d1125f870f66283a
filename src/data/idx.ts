// SPDX-License-Identifier: MIT
// The IDX format of the MNIST files (yann.lecun.com/exdb/mnist): a 4-byte magic 0x00 0x00 <type>
// <ndim>, ndim big-endian uint32 sizes, then the values big-endian. Gzipped files (the form MNIST
// is distributed in) are inflated first; offsets in errors then refer to the inflated bytes.
import { writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { argError, checkOptions, DTypeError } from '../errors.js';
import { imageDataset, type ImageDataset } from './dataset.js';
import { DataFormatError, formatError, readDataFile } from '../io/errors.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
const TYPES: Record<number, [IdxType, number]> = {
  0x08: ['uint8', 1], 0x09: ['int8', 1], 0x0b: ['int16', 2], 0x0c: ['int32', 4], 0x0d: ['float32', 4], 0x0e: ['float64', 8],
};
const CODES: Record<IdxType, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

export interface IdxArray {
  type: IdxType;
  shape: number[];
  /** Values in native byte order (Uint8Array for uint8, Int8Array, Int16Array, ...). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Reads a file's bytes, inflating gzip (magic 1f 8b). `label` is how errors name it. */
function load(fn: string, file: string): { bytes: Uint8Array; label: string } {
  const raw = readDataFile(fn, file);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return { bytes: gunzipSync(raw), label: `${file} (gunzipped)` };
    } catch (e) {
      throw new DataFormatError(`readIdx: ${file} starts like gzip but does not inflate: ${(e as Error).message}`, file, 0);
    }
  }
  return { bytes: raw, label: file };
}

/** Parses IDX bytes; `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  return parseIdxFor('parseIdx', bytes, file);
}

/** parseIdx on behalf of the public function `fn` (its name goes in the errors). */
function parseIdxFor(fn: string, bytes: Uint8Array, file: string): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw argError(fn, 'bytes', bytes, 'a Uint8Array (or Buffer)');
  if (typeof file !== 'string') throw argError(fn, 'file', file, 'a name for errors');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw formatError(fn, file, 0, 'a 4-byte IDX magic number', `${bytes.length} bytes in the whole file`);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw formatError(fn, file, 0, 'IDX magic bytes 0x00 0x00', `0x${hex(bytes[0])} 0x${hex(bytes[1])} (not an IDX file)`);
  const t = TYPES[bytes[2]];
  if (!t) throw formatError(fn, file, 2, 'an IDX type code (0x08 0x09 0x0b 0x0c 0x0d 0x0e)', `0x${hex(bytes[2])}`);
  const ndim = bytes[3];
  if (ndim < 1) throw formatError(fn, file, 3, 'a dimension count >= 1', '0');
  if (bytes.length < 4 + 4 * ndim) throw formatError(fn, file, bytes.length, `${ndim} big-endian uint32 sizes ending at byte ${4 + 4 * ndim}`, 'end of file');
  const shape = Array.from({ length: ndim }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const [type, width] = t;
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim, end = start + count * width;
  if (bytes.length < end)
    throw formatError(fn, file, bytes.length, `${count} ${type} values (shape [${shape.join(', ')}]) ending at byte ${end}`, `end of file (truncated, ${end - bytes.length} bytes missing)`);
  if (bytes.length > end) throw formatError(fn, file, end, `end of file after shape [${shape.join(', ')}]`, `${bytes.length - end} extra bytes`);
  let data: IdxArray['data'];
  switch (type) {
    case 'uint8': data = bytes.slice(start, end); break;
    case 'int8': data = new Int8Array(bytes.slice(start, end).buffer); break;
    case 'int16': data = Int16Array.from({ length: count }, (_, i) => dv.getInt16(start + 2 * i, false)); break;
    case 'int32': data = Int32Array.from({ length: count }, (_, i) => dv.getInt32(start + 4 * i, false)); break;
    case 'float32': data = Float32Array.from({ length: count }, (_, i) => dv.getFloat32(start + 4 * i, false)); break;
    case 'float64': data = Float64Array.from({ length: count }, (_, i) => dv.getFloat64(start + 8 * i, false)); break;
  }
  return { type, shape, data };
}

/** Reads an IDX file (gzipped or not). */
export function readIdx(file: string): IdxArray {
  const { bytes, label } = load('readIdx', file);
  return parseIdxFor('readIdx', bytes, label);
}

/** Encodes an array as IDX bytes (big-endian), e.g. to write fixtures or export data. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  return encodeIdxFor('encodeIdx', arr);
}

/** encodeIdx on behalf of the public function `fn` (its name goes in the errors). */
function encodeIdxFor(fn: string, arr: IdxArray): Uint8Array {
  const a = checkOptions(fn, 'array', arr) as IdxArray;
  const width = ({ uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 } as Record<string, number>)[a.type as string];
  if (!width) throw new DTypeError(`${fn}: argument 'type' got ${JSON.stringify(a.type)}, expected one of ${Object.keys(CODES).join(', ')}`);
  if (!Array.isArray(a.shape) || a.shape.length < 1 || a.shape.length > 255 || !a.shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff))
    throw argError(fn, 'shape', a.shape, 'an array of 1 to 255 sizes in [0, 2^32)');
  if (!ArrayBuffer.isView(a.data)) throw argError(fn, 'data', a.data, 'a typed array of values');
  const count = a.shape.reduce((x, y) => x * y, 1);
  if (a.data.length !== count) throw argError(fn, 'data', `${a.data.length} values`, `${count} values for shape [${a.shape.join(', ')}]`);
  const start = 4 + 4 * a.shape.length;
  const out = new Uint8Array(start + count * width);
  const dv = new DataView(out.buffer);
  out[2] = CODES[a.type];
  out[3] = a.shape.length;
  a.shape.forEach((s, i) => dv.setUint32(4 + 4 * i, s, false));
  for (let i = 0; i < count; i++) {
    const v = a.data[i], o = start + i * width;
    switch (a.type) {
      case 'uint8': dv.setUint8(o, v); break;
      case 'int8': dv.setInt8(o, v); break;
      case 'int16': dv.setInt16(o, v, false); break;
      case 'int32': dv.setInt32(o, v, false); break;
      case 'float32': dv.setFloat32(o, v, false); break;
      case 'float64': dv.setFloat64(o, v, false); break;
    }
  }
  return out;
}

export function writeIdx(file: string, a: IdxArray): void {
  if (typeof file !== 'string' || !file) throw argError('writeIdx', 'file', file, 'a file path');
  const bytes = encodeIdxFor('writeIdx', a);
  try {
    writeFileSync(file, bytes);
  } catch (e) {
    throw new DataFormatError(`writeIdx: cannot write ${file}: ${(e as Error).message}`, file, -1);
  }
}

/**
 * MNIST-style images and labels from IDX files (train-images-idx3-ubyte[.gz] and
 * train-labels-idx1-ubyte[.gz]): images must be ubyte [N, H, W] (magic 0x00000803), labels ubyte
 * [N] (magic 0x00000801) with the same N. Gives [N, 1, H, W] bytes.
 */
export function readMnistIdx(imagesFile: string, labelsFile?: string): ImageDataset {
  const fn = 'readMnistIdx';
  const im = load(fn, imagesFile);
  const images = parseIdxFor(fn, im.bytes, im.label);
  if (images.type !== 'uint8' || images.shape.length !== 3)
    throw formatError(fn, im.label, 2, 'magic 0x00000803 (ubyte images, 3 dimensions)', `0x0000${hex(im.bytes[2])}${hex(im.bytes[3])} (${images.type}, ${images.shape.length} dimensions)`);
  const [n, h, w] = images.shape;
  // an empty set or zero-sized images is a broken file, named as such (not a shape error later)
  ['images', 'rows', 'columns'].forEach((what, i) => {
    if (images.shape[i] === 0) throw formatError(fn, im.label, 4 + 4 * i, `at least 1 in the ${what} count`, '0');
  });
  let labels: Int32Array | undefined;
  if (labelsFile !== undefined && labelsFile !== null) {
    const lb = load(fn, labelsFile);
    const l = parseIdxFor(fn, lb.bytes, lb.label);
    if (l.type !== 'uint8' || l.shape.length !== 1)
      throw formatError(fn, lb.label, 2, 'magic 0x00000801 (ubyte labels, 1 dimension)', `0x0000${hex(lb.bytes[2])}${hex(lb.bytes[3])} (${l.type}, ${l.shape.length} dimensions)`);
    if (l.shape[0] !== n) throw formatError(fn, lb.label, 4, `${n} labels (one per image of ${im.label})`, `${l.shape[0]}`);
    labels = Int32Array.from(l.data);
  }
  return imageDataset(images.data as Uint8Array, [1, h, w], { labels, source: imagesFile });
}

const hex = (b: number | undefined) => (b ?? 0).toString(16).padStart(2, '0');
