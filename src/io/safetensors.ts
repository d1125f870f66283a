// SPDX-License-Identifier: MIT
// The safetensors format (github.com/huggingface/safetensors): an 8-byte little-endian u64 N, an
// N-byte UTF-8 JSON header {"<name>": {"dtype", "shape", "data_offsets": [begin, end]}, …,
// "__metadata__": {string: string}}, then the data section, where tensor bytes lie at
// [begin, end) relative to its start, row-major, little-endian. Files written here pad the header
// with spaces to a multiple of 8 (as the reference writer does) so every tensor starts aligned.
//
// Reading validates what the reference implementation validates (header size bound and start,
// JSON, dtypes, shapes, byte counts, offsets contiguous from 0 with no gap or overlap, data section
// ending exactly at the end of the file) and reports the file, the byte offset and the problem.
// Writes go through atomicWrite and stream each tensor in chunks. The writer records a SHA-256 in
// the metadata (key `lcss.checksum`) over the whole file: the length prefix, the header with the
// digest itself replaced by 64 zeros, and the data section. Editing the metadata (a generator
// state, a data position), swapping data_offsets or flipping data bits all change it; a reader
// that must trust the file (a checkpoint) refuses one without it. Files of the first format
// version carry `lcss.sha256` over the data section only; they are read with that check (and are
// not trusted as checkpoints).
// Tensors are laid out as the reference writer does (by dtype width, widest first, then by name),
// so with the header padded to 8 bytes every tensor starts at a multiple of its element size.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { argError, checkKnownKeys, checkOptions, DTypeError, ShapeError } from '../errors.js';
import { tensor } from '../ops/index.js';
import { typedArrayFor, type AnyTypedArray, type DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { DataFormatError } from './errors.js';
import { atomicWrite } from './atomic.js';

export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'BOOL';
const TO_ENGINE: Record<SafetensorsDType, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', BOOL: 'bool' };
const FROM_ENGINE: Record<DType, SafetensorsDType> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const WIDTH: Record<SafetensorsDType, number> = { F32: 4, F64: 8, I32: 4, BOOL: 1 };
/** Types the format defines that lcss has no tensor type for (named in the error). */
const OTHER = ['F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'I8', 'U8', 'I16', 'U16', 'U32', 'I64', 'U64', 'C64'];
/** The reference implementation's bound: larger headers are rejected as malicious. */
export const MAX_HEADER_BYTES = 100_000_000;
/** The whole-file digest (format 2). */
export const CHECKSUM_KEY = 'lcss.checksum';
/** The data-only digest of files written before format 2 (read-checked, never written). */
export const LEGACY_CHECKSUM_KEY = 'lcss.sha256';

export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) relative to the data section. */
  offsets: [number, number];
}

export interface SafetensorsHeader {
  file: string;
  /** Byte offset where the data section starts (8 + N). */
  dataStart: number;
  /** The 8-byte length prefix and the header bytes as stored (what the whole-file checksum covers). */
  prefixAndHeader: Uint8Array;
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/** Plain arrays accepted by the writer besides tensors. */
export interface RawArray {
  dtype: DType;
  shape: readonly number[];
  data: AnyTypedArray;
}

function littleEndianOnly(fn: string): void {
  if (endianness() !== 'LE') throw new DTypeError(`${fn}: safetensors data is little-endian and this machine is big-endian (not supported)`);
}

const bad = (fn: string, file: string, offset: number, msg: string) => new DataFormatError(`${fn}: ${file} at byte ${offset}: ${msg}`, file, offset);

function readExact(fd: number, len: number, pos: number): Uint8Array {
  // a fresh ArrayBuffer is 8-byte aligned, so Float64Array views of it are legal
  const out = new Uint8Array(new ArrayBuffer(len));
  let got = 0;
  while (got < len) {
    const n = readSync(fd, out, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? out : out.subarray(0, got);
}

/**
 * The first top-level key of a JSON object text that appears twice, or null. JSON.parse keeps the
 * last of equal keys silently, so a header naming a tensor twice would lose one without this.
 * `text` has already parsed as JSON, which keeps the scan simple: strings and nesting are well formed.
 */
function duplicateTopLevelKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return null;
}

/** Parses and validates the header of an open file of `size` bytes. */
function parseHeaderFd(fd: number, size: number, file: string, fn: string): SafetensorsHeader {
  if (size < 8) throw bad(fn, file, 0, `expected an 8-byte header length, got a file of ${size} bytes`);
  const lenBytes = readExact(fd, 8, 0);
  const n = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) throw bad(fn, file, 0, `header length ${n} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  if (n < 2) throw bad(fn, file, 0, `header length ${n} is too small for a JSON object`);
  if (8 + n > size) throw bad(fn, file, size, `expected a ${n}-byte JSON header ending at byte ${8 + n}, got end of file (truncated)`);
  const hb = readExact(fd, n, 8);
  if (hb.length !== n) throw bad(fn, file, 8 + hb.length, `expected a ${n}-byte JSON header, got end of file (the file shrank while it was read)`);
  if (hb[0] !== 0x7b) throw bad(fn, file, 8, `expected the JSON header to start with '{', got 0x${hb[0].toString(16)}`);
  let json: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(hb);
    json = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    throw bad(fn, file, 8 + (m ? Number(m[1]) : 0), `invalid JSON header: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad(fn, file, 8, 'expected the header to be a JSON object');
  const dup = duplicateTopLevelKey(text);
  if (dup !== null) throw bad(fn, file, 8, `${dup === '__metadata__' ? '__metadata__' : `tensor ${JSON.stringify(dup)}`} appears twice in the header`);
  const entries = new Map<string, SafetensorsEntry>();
  // a null prototype: a tensor or key named __proto__ is data, never the object's prototype
  let metadata: Record<string, string> = Object.create(null);
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(fn, file, 8, '__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v)) if (typeof s !== 'string') throw bad(fn, file, 8, `__metadata__[${JSON.stringify(k)}] is ${typeof s}, expected a string`);
      metadata = Object.assign(Object.create(null), v) as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = `tensor ${JSON.stringify(name)}`;
    if (!e || typeof e !== 'object') throw bad(fn, file, 8, `${where}: expected {dtype, shape, data_offsets}`);
    if (typeof e.dtype !== 'string' || !(e.dtype in WIDTH)) {
      const known = typeof e.dtype === 'string' && OTHER.includes(e.dtype);
      throw bad(fn, file, 8, `${where}: dtype ${JSON.stringify(e.dtype)} ${known ? 'is valid safetensors but has no lcss tensor type' : 'is not a safetensors dtype'} (lcss reads F32, F64, I32, BOOL)`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(fn, file, 8, `${where}: shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    const o = e.data_offsets;
    if (!Array.isArray(o) || o.length !== 2 || !o.every((d) => Number.isSafeInteger(d) && d >= 0) || o[0] > o[1])
      throw bad(fn, file, 8, `${where}: data_offsets ${JSON.stringify(o)} is not [begin, end] with 0 <= begin <= end`);
    const dtype = e.dtype as SafetensorsDType;
    const numel = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (o[1] - o[0] !== numel * WIDTH[dtype])
      throw bad(fn, file, 8 + n + o[0], `${where}: ${dtype} shape [${(e.shape as number[]).join(', ')}] needs ${numel * WIDTH[dtype]} bytes, data_offsets span ${o[1] - o[0]}`);
    entries.set(name, { dtype, shape: e.shape as number[], offsets: [o[0], o[1]] });
  }
  // offsets must tile the data section exactly: sorted, contiguous from 0, ending at end of file
  const sorted = [...entries].sort((a, b) => a[1].offsets[0] - b[1].offsets[0] || a[1].offsets[1] - b[1].offsets[1]);
  let at = 0;
  for (const [name, e] of sorted) {
    if (e.offsets[0] !== at)
      throw bad(fn, file, 8 + n + Math.min(at, e.offsets[0]), `tensor ${JSON.stringify(name)} begins at data offset ${e.offsets[0]}, expected ${at} (${e.offsets[0] > at ? 'a gap' : 'an overlap'} in data_offsets)`);
    at = e.offsets[1];
  }
  if (8 + n + at !== size) {
    const msg = 8 + n + at > size
      ? `expected ${at} bytes of tensor data ending at byte ${8 + n + at}, got end of file (truncated by ${8 + n + at - size} bytes)`
      : `expected end of file after the last tensor, got ${size - 8 - n - at} extra bytes`;
    throw bad(fn, file, Math.min(size, 8 + n + at), msg);
  }
  const prefixAndHeader = new Uint8Array(8 + n);
  prefixAndHeader.set(lenBytes, 0);
  prefixAndHeader.set(hb, 8);
  return { file, dataStart: 8 + n, prefixAndHeader, entries, metadata };
}

/**
 * The bytes the whole-file checksum covers before the data: the prefix and header with the
 * recorded digest replaced by zeros (the writer hashed the header with that placeholder).
 */
function checksummedHeader(h: SafetensorsHeader, digest: string): Uint8Array | null {
  const needle = new TextEncoder().encode(`"${CHECKSUM_KEY}":"${digest}"`);
  const b = h.prefixAndHeader;
  outer: for (let i = b.length - needle.length; i >= 8; i--) {
    for (let j = 0; j < needle.length; j++) if (b[i + j] !== needle[j]) continue outer;
    const out = b.slice();
    out.fill(0x30, i + needle.length - 1 - 64, i + needle.length - 1);  // '0' x 64
    return out;
  }
  return null;
}

/**
 * Opens a file for reading after checking it is a regular file: opening a FIFO (a pipe named like a
 * checkpoint) blocks until a writer appears, which hung a resume.
 */
function openRegular(fn: string, file: unknown): number {
  if (typeof file !== 'string' || !file) throw argError(fn, 'file', file, 'a file path');
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new DataFormatError(`${fn}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, file, -1);
  }
  if (!st.isFile()) throw new DataFormatError(`${fn}: ${file} is not a regular file (${st.isDirectory() ? 'a directory' : 'a FIFO, socket or device'})`, file, -1);
  try {
    return openSync(file, 'r');
  } catch (e) {
    throw new DataFormatError(`${fn}: cannot read ${file}: ${(e as Error).message}`, file, -1);
  }
}

/** Reads and validates only the header of `file` (cheap: the data is not read). */
export function inspectSafetensors(file: string): SafetensorsHeader {
  const fd = openRegular('inspectSafetensors', file);
  try {
    return parseHeaderFd(fd, fstatSync(fd).size, file, 'inspectSafetensors');
  } finally {
    closeSync(fd);
  }
}

export interface ReadOptions {
  /**
   * true (default): check the recorded checksum when the file has one (files from other writers
   * have none). 'require': refuse a file without a whole-file checksum (checkpoints: a file whose
   * checksum key was removed must not be trusted). false: no check.
   */
  verify?: boolean | 'require';
  /** Read only these tensors (default all). */
  names?: readonly string[];
}

/** Raw typed arrays of a safetensors file, with its metadata. */
export function readSafetensorsRaw(file: string, opts: ReadOptions = {}): { arrays: Map<string, RawArray>; metadata: Record<string, string> } {
  const fn = 'readSafetensors';
  littleEndianOnly(fn);
  const o = checkOptions(fn, 'options', opts);
  checkKnownKeys(fn, 'options', o, ['verify', 'names']);
  const verify = o.verify ?? true;
  if (verify !== true && verify !== false && verify !== 'require') throw argError(fn, 'verify', verify, "true, false or 'require'");
  if (o.names !== undefined && !(Array.isArray(o.names) && o.names.every((x) => typeof x === 'string'))) throw argError(fn, 'names', o.names, 'an array of tensor names');
  const fd = openRegular(fn, file);
  try {
    const h = parseHeaderFd(fd, fstatSync(fd).size, file, fn);
    const want = o.names ? new Set(o.names) : null;
    if (want) for (const nm of want) if (!h.entries.has(nm)) throw argError(fn, 'names', nm, `a tensor of ${file} (it has ${[...h.entries.keys()].join(', ')})`);
    const expected = h.metadata[CHECKSUM_KEY], legacy = h.metadata[LEGACY_CHECKSUM_KEY];
    if (verify === 'require' && expected === undefined)
      throw bad(fn, file, 8, `the file has no ${CHECKSUM_KEY} metadata (a whole-file SHA-256), so its contents cannot be trusted${legacy !== undefined ? ' (it has only the data-only checksum of an older lcss; re-save it)' : ''}`);
    if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) throw bad(fn, file, 8, `${CHECKSUM_KEY} ${JSON.stringify(expected)} is not a SHA-256 hex digest`);
    // Reading a subset skips the hash unless the caller requires integrity: then every byte is read.
    const check = verify === 'require' || (verify === true && !want && (expected !== undefined || legacy !== undefined));
    const hash = check ? createHash('sha256') : null;
    if (hash && expected !== undefined) {
      const head = checksummedHeader(h, expected);
      if (!head) throw bad(fn, file, 8, `${CHECKSUM_KEY} does not appear in the header as the writer stores it (edited header)`);
      hash.update(head);
    }
    const arrays = new Map<string, RawArray>();
    const order = [...h.entries].sort((a, b) => a[1].offsets[0] - b[1].offsets[0]);
    for (const [name, e] of order) {
      if (want && !want.has(name) && !check) continue;
      const bytes = readExact(fd, e.offsets[1] - e.offsets[0], h.dataStart + e.offsets[0]);
      if (bytes.length !== e.offsets[1] - e.offsets[0]) // the file shrank after its header was checked
        throw bad(fn, file, h.dataStart + e.offsets[0] + bytes.length, `tensor ${JSON.stringify(name)}: expected ${e.offsets[1] - e.offsets[0]} bytes, got end of file`);
      hash?.update(bytes);
      if (e.dtype === 'BOOL') {
        const i = bytes.findIndex((b) => b > 1);
        if (i >= 0) throw bad(fn, file, h.dataStart + e.offsets[0] + i, `tensor ${JSON.stringify(name)}: BOOL byte ${bytes[i]}, expected 0 or 1`);
      }
      if (want && !want.has(name)) continue;
      const dtype = TO_ENGINE[e.dtype];
      arrays.set(name, { dtype, shape: e.shape, data: typedArrayFor(dtype, bytes.buffer as ArrayBuffer) });
    }
    if (hash) {
      const got = hash.digest('hex');
      const want2 = expected ?? legacy;
      if (got !== want2)
        throw bad(fn, file, h.dataStart, `checksum mismatch: the file records sha256 ${want2}, its ${expected !== undefined ? 'header and data hash' : 'data hashes'} to ${got} (corrupted or edited file)`);
    }
    return { arrays, metadata: h.metadata };
  } finally {
    closeSync(fd);
  }
}

/** Reads a safetensors file into tensors (owned by the caller: dispose them, or read inside tidy). */
export function readSafetensors(file: string, o: ReadOptions = {}): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const { arrays, metadata } = readSafetensorsRaw(file, o);
  const tensors = new Map<string, Tensor>();
  for (const [name, a] of arrays) tensors.set(name, tensor(a.data, { shape: [...a.shape], dtype: a.dtype }));
  return { tensors, metadata };
}

export interface WriteOptions {
  metadata?: Record<string, string>;
  /** Record a SHA-256 of the data in the metadata (default true). */
  checksum?: boolean;
  /** Bytes per write call (default 4 MiB). */
  chunkBytes?: number;
}

const isRaw = (v: unknown): v is RawArray => !!v && typeof v === 'object' && 'data' in v && ArrayBuffer.isView((v as RawArray).data);

/**
 * Writes tensors (or raw arrays) and string metadata to `file`, atomically (temp file, fsync,
 * rename, fsync of the directory): a crash leaves the old file or the new one, never a mix.
 */
export function writeSafetensors(file: string, tensors: Map<string, Tensor | RawArray> | Record<string, Tensor | RawArray>, opts: WriteOptions = {}): void {
  const fn = 'writeSafetensors';
  littleEndianOnly(fn);
  if (typeof file !== 'string' || !file) throw argError(fn, 'file', file, 'a file path');
  if (!(tensors instanceof Map) && (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)))
    throw argError(fn, 'tensors', tensors, 'a Map or an object of tensors by name');
  const o = checkOptions(fn, 'options', opts);
  checkKnownKeys(fn, 'options', o, ['metadata', 'checksum', 'chunkBytes']);
  if (o.metadata !== undefined && (o.metadata === null || typeof o.metadata !== 'object' || Array.isArray(o.metadata)))
    throw argError(fn, 'metadata', o.metadata, 'an object of strings');
  const items = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const meta: Record<string, string> = Object.assign(Object.create(null), o.metadata ?? {});
  for (const k of [CHECKSUM_KEY, LEGACY_CHECKSUM_KEY]) if (k in meta) throw argError(fn, `metadata[${JSON.stringify(k)}]`, meta[k], 'no value: the writer computes the checksum');
  for (const [k, v] of Object.entries(meta)) if (typeof v !== 'string') throw argError(fn, `metadata[${JSON.stringify(k)}]`, v, 'a string (safetensors metadata holds strings only)');
  const chunk = o.chunkBytes ?? 4 << 20;
  if (!Number.isInteger(chunk) || chunk < 1) throw argError(fn, 'chunkBytes', chunk, 'a positive integer');
  // null prototype: a tensor named __proto__ is an entry like any other (it was dropped)
  const header: Record<string, unknown> = Object.create(null);
  const layout: { name: string; st: SafetensorsDType; shape: number[]; bytes: number; view: () => Uint8Array }[] = [];
  const seen = new Set<string>();
  for (const [name, t] of items) {
    if (typeof name !== 'string' || !name || name === '__metadata__') throw argError(fn, 'tensors', name, 'non-empty names other than "__metadata__"');
    if (seen.has(name)) throw argError(fn, 'tensors', name, 'unique tensor names');
    seen.add(name);
    let dtype: DType, shape: number[], get: () => AnyTypedArray;
    if (isRaw(t)) {
      dtype = t.dtype;
      shape = [...t.shape];
      const numel = shape.reduce((a, b) => a * b, 1);
      if (t.data.length !== numel) throw new ShapeError(`${fn}: ${name}: ${t.data.length} values do not fill shape [${shape.join(', ')}]`);
      get = () => t.data;
    } else if (t && typeof t === 'object' && (t as Tensor)._isTensor) {
      const tt = t as Tensor;
      tt.assertLive(fn, name);
      dtype = tt.dtype;
      shape = [...tt.shape];
      get = () => tt.dataSync();
    } else throw argError(fn, name, t, 'a Tensor or {dtype, shape, data}');
    const st = FROM_ENGINE[dtype];
    if (!st) throw new DTypeError(`${fn}: ${name} has dtype ${dtype}, which safetensors cannot hold`);
    layout.push({ name, st, shape, bytes: shape.reduce((a, b) => a * b, 1) * WIDTH[st], view: () => {
      const a = get();
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    } });
  }
  // widest dtype first, then by name (the reference writer's order): every tensor stays aligned
  layout.sort((a, b) => WIDTH[b.st] - WIDTH[a.st] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let at = 0;
  for (const e of layout) {
    header[e.name] = { dtype: e.st, shape: e.shape, data_offsets: [at, at + e.bytes] };
    at += e.bytes;
  }
  const views = layout.map((e) => e.view);
  const checksum = o.checksum === undefined ? true : o.checksum;
  if (typeof checksum !== 'boolean') throw argError(fn, 'checksum', checksum, 'true or false');
  // a placeholder of the final length (hashed as it is), patched in place at the end
  if (checksum) meta[CHECKSUM_KEY] = '0'.repeat(64);
  if (Object.keys(meta).length) header.__metadata__ = meta;
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hbytes = enc.encode(json);
  const pad = (8 - (hbytes.length % 8)) % 8;
  if (pad) hbytes = enc.encode((json += ' '.repeat(pad)));
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  atomicWrite(file, (fd) => {
    let pos = 0;
    const put = (b: Uint8Array) => {
      let off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off, pos + off);
      pos += b.length;
    };
    put(prefix);
    put(hbytes);
    const hash = checksum ? createHash('sha256') : null;
    hash?.update(prefix);
    hash?.update(hbytes);
    for (const view of views) {
      const b = view();
      for (let s = 0; s < b.length; s += chunk) {
        const part = b.subarray(s, Math.min(b.length, s + chunk));
        hash?.update(part);
        put(part);
      }
    }
    if (hash) {
      const digest = enc.encode(hash.digest('hex'));
      const i = json.lastIndexOf(`"${CHECKSUM_KEY}":"`); // __metadata__ is the header's last key
      const at2 = 8 + enc.encode(json.slice(0, i + CHECKSUM_KEY.length + 4)).length;
      writeSync(fd, digest, 0, digest.length, at2);
    }
  }, fn);
}
