// SPDX-License-Identifier: MIT
// A folder of PNG images as one dataset. Files are taken in sorted name order (so a dataset is the
// same on every machine); when the folder holds only subfolders, each subfolder is a class
// (sorted names → labels 0, 1, …), as in torchvision's ImageFolder. Every image must have the
// size of the first one: resizing silently would change the data distribution being learned.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { argError, checkInt, checkKnownKeys, checkOptions } from '../errors.js';
import { imageDataset, type ImageDataset } from './dataset.js';
import { DataFormatError, readDataFile } from '../io/errors.js';
import { decodePng } from '../io/png.js';

export type PngMode = 'L' | 'RGB' | 'RGBA';

export interface PngFolderOptions {
  /**
   * Channels of the dataset: 'L' (1), 'RGB' (3) or 'RGBA' (4). Default: from the first image
   * (gray without alpha → 'L', colour or palette without alpha → 'RGB', anything with alpha → 'RGBA').
   * Colour → 'L' uses the ITU-R 601 luma (299 R + 587 G + 114 B)/1000, as PIL's convert('L');
   * dropping alpha keeps the colour values as stored (no compositing).
   */
  mode?: PngMode;
  /** Stop after this many images (in sorted order). */
  limit?: number;
  /**
   * Images whose stored channels differ from the first one's are refused (default): converting
   * gray to RGB or dropping alpha silently would mix two kinds of data in one set. true converts
   * them to the dataset's mode, as a given `mode` does.
   */
  convert?: boolean;
}

const isPng = (f: string) => f.toLowerCase().endsWith('.png');

function listImages(dir: string): { files: string[]; labels?: Int32Array; classes?: string[] } {
  const entries = readdirSync(dir).sort();
  const pngs = entries.filter((e) => isPng(e) && statSync(join(dir, e)).isFile());
  const subdirs = entries.filter((e) => statSync(join(dir, e)).isDirectory());
  if (pngs.length || !subdirs.length) return { files: pngs.map((f) => join(dir, f)) };
  const files: string[] = [], labels: number[] = [];
  subdirs.forEach((sub, k) => {
    let count = 0;
    for (const f of readdirSync(join(dir, sub)).sort()) {
      if (isPng(f) && statSync(join(dir, sub, f)).isFile()) {
        files.push(join(dir, sub, f));
        labels.push(k);
        count++;
      }
    }
    // an empty class folder would be a label with no examples: almost always a mistake
    if (!count) throw new DataFormatError(`readPngFolder: the class folder ${join(dir, sub)} holds no .png files (label ${k} would have no examples); remove it or add its images`, join(dir, sub), -1);
  });
  return { files, labels: Int32Array.from(labels), classes: subdirs };
}

/** Reads every PNG of `dir` (8-bit or lower depths; 16-bit is rounded to 8) into [N, C, H, W] bytes. */
export function readPngFolder(dir: string, opts: PngFolderOptions = {}): ImageDataset {
  const fn = 'readPngFolder';
  const o = checkOptions(fn, 'options', opts);
  checkKnownKeys(fn, 'options', o, ['mode', 'limit', 'convert']);
  if (o.mode !== undefined && !['L', 'RGB', 'RGBA'].includes(o.mode)) throw argError(fn, 'mode', o.mode, "'L', 'RGB' or 'RGBA'");
  if (o.limit !== undefined) checkInt(fn, 'limit', o.limit, 1);
  if (o.convert !== undefined && typeof o.convert !== 'boolean') throw argError(fn, 'convert', o.convert, 'true or false');
  if (typeof dir !== 'string' || !dir) throw argError(fn, 'dir', dir, 'a directory path');
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw argError(fn, 'dir', dir, 'an existing directory');
  }
  if (!st.isDirectory()) throw argError(fn, 'dir', dir, 'a directory');
  const listed = listImages(dir);
  const files = o.limit !== undefined ? listed.files.slice(0, o.limit) : listed.files;
  if (!files.length) throw new DataFormatError(`${fn}: ${dir} holds no .png files (nor subfolders of them)`, dir, 0);
  let mode = o.mode;
  const convert = o.convert ?? o.mode !== undefined;
  let first = '';
  let W = 0, H = 0, C = 0, C0 = 0;
  let out = new Uint8Array(0);
  files.forEach((file, i) => {
    const img = decodePng(readDataFile(fn, file), file);
    if (i === 0) {
      first = file;
      W = img.width;
      H = img.height;
      C0 = img.channels;
      mode ??= img.channels === 1 ? 'L' : img.channels === 3 ? 'RGB' : 'RGBA';
      C = mode === 'L' ? 1 : mode === 'RGB' ? 3 : 4;
      out = new Uint8Array(files.length * C * H * W);
    } else if (img.width !== W || img.height !== H) {
      throw new DataFormatError(`${fn}: ${file} is ${img.width}x${img.height} (width x height), expected ${W}x${H} like ${relative(dir, first)}, the first image; resize the folder's images to one size first`, file, 16);
    } else if (img.channels !== C0 && !convert) {
      const name = (c: number) => ['', 'gray', 'gray+alpha', 'RGB', 'RGBA'][c];
      throw new DataFormatError(`${fn}: ${file} has ${img.channels} channel(s) (${name(img.channels)}), ${relative(dir, first)} (the first image) has ${C0} (${name(C0)}); pass { mode } (or { convert: true }) to convert every image to one mode`, file, 25);
    }
    toPlanes(img.rgba, W * H, C, out.subarray(i * C * H * W, (i + 1) * C * H * W));
  });
  return imageDataset(out, [C, H, W], { labels: listed.labels?.subarray(0, files.length), classes: listed.classes, source: dir });
}

/** RGBA interleaved → C planes (L by luma, RGB, RGBA). */
function toPlanes(rgba: Uint8Array, hw: number, C: number, out: Uint8Array): void {
  for (let p = 0; p < hw; p++) {
    const r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
    if (C === 1) {
      // gray images decode as r = g = b, so this is exact for them
      out[p] = r === g && g === b ? r : Math.round((299 * r + 587 * g + 114 * b) / 1000);
      continue;
    }
    out[p] = r;
    out[hw + p] = g;
    out[2 * hw + p] = b;
    if (C === 4) out[3 * hw + p] = rgba[4 * p + 3];
  }
}
