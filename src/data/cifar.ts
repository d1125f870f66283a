// SPDX-License-Identifier: MIT
// The CIFAR-10 binary format (www.cs.toronto.edu/~kriz/cifar.html, "binary version"): each file
// (data_batch_1.bin … data_batch_5.bin, test_batch.bin) is a run of 3073-byte records, one label
// byte (0–9) then 3072 pixel bytes: the 1024 red values of the 32x32 image row by row, then the
// green, then the blue, which is exactly CHW, so records copy straight into NCHW.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { argError, checkKnownKeys, checkOptions } from '../errors.js';
import { imageDataset, type ImageDataset } from './dataset.js';
import { DataFormatError, formatError, readDataFile } from '../io/errors.js';

const RECORD = 1 + 3 * 32 * 32;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** Parses one CIFAR-10 binary file's bytes; `file` names it in errors. */
export function parseCifar10(bytes: Uint8Array, file = '<buffer>'): { images: Uint8Array; labels: Int32Array } {
  const fn = 'readCifar10';
  if (!(bytes instanceof Uint8Array)) throw argError('parseCifar10', 'bytes', bytes, 'a Uint8Array (or Buffer)');
  if (typeof file !== 'string') throw argError('parseCifar10', 'file', file, 'a name for errors');
  if (bytes.length === 0) throw formatError(fn, file, 0, `${RECORD}-byte records (1 label + 3072 pixels)`, 'an empty file');
  const n = Math.floor(bytes.length / RECORD);
  if (bytes.length % RECORD !== 0)
    throw formatError(fn, file, n * RECORD, `a whole ${RECORD}-byte record (record ${n})`, `${bytes.length - n * RECORD} bytes (truncated file of ${bytes.length} bytes)`);
  const images = new Uint8Array(n * (RECORD - 1));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * RECORD;
    const l = bytes[off];
    if (l > 9) throw formatError(fn, file, off, `a label byte 0-9 at the start of record ${i}`, `${l}`);
    labels[i] = l;
    images.set(bytes.subarray(off + 1, off + RECORD), i * (RECORD - 1));
  }
  return { images, labels };
}

export interface Cifar10Options {
  /** 'train' reads data_batch_1..5.bin, 'test' reads test_batch.bin (when given a directory). */
  split?: 'train' | 'test';
}

/**
 * CIFAR-10 as [N, 3, 32, 32] bytes with labels, from the binary files: a directory (the
 * `cifar-10-batches-bin` folder), one file, or a list of files (concatenated in order).
 */
export function readCifar10(source: string | readonly string[], opts: Cifar10Options = {}): ImageDataset {
  const fn = 'readCifar10';
  const o = checkOptions(fn, 'options', opts);
  checkKnownKeys(fn, 'options', o, ['split']);
  let files: string[];
  if (typeof source === 'string' && existsSync(source) && statSync(source).isDirectory()) {
    const split = o.split ?? 'train';
    if (split !== 'train' && split !== 'test') throw argError(fn, 'split', split, "'train' or 'test'");
    files = split === 'train' ? [1, 2, 3, 4, 5].map((i) => join(source, `data_batch_${i}.bin`)) : [join(source, 'test_batch.bin')];
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length) throw new DataFormatError(`${fn}: ${source} lacks ${missing.join(', ')} (expected the CIFAR-10 binary version's files)`, missing[0], 0);
  } else if (typeof source === 'string') files = [source];
  else if (Array.isArray(source) && source.length && source.every((f) => typeof f === 'string')) files = [...source];
  else throw argError(fn, 'source', source, 'a directory, a file or a non-empty list of files');
  const parts = files.map((f) => parseCifar10(readDataFile(fn, f), f));
  const total = parts.reduce((a, p) => a + p.labels.length, 0);
  const images = new Uint8Array(total * (RECORD - 1));
  const labels = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * (RECORD - 1));
    labels.set(p.labels, at);
    at += p.labels.length;
  }
  return imageDataset(images, [3, 32, 32], { labels, classes: CIFAR10_CLASSES, source: files.length === 1 ? files[0] : `${files[0]} (+${files.length - 1} files)` });
}
