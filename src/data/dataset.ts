// SPDX-License-Identifier: MIT
// In-memory datasets: 8-bit images kept as bytes (NCHW, 1 byte per sample: CIFAR-10 is 150 MB,
// not 600 MB of floats) and float vectors. The loader turns them into float tensors per batch.
import { argError, checkInt, checkIntArray, checkOptions, ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

export interface ImageDataset {
  readonly kind: 'uint8';
  /** n·C·H·W bytes, image-major, channel-planar (NCHW). */
  readonly data: Uint8Array;
  readonly n: number;
  /** [C, H, W] of one image. */
  readonly shape: readonly [number, number, number];
  /** One integer label per image, when the source has labels. */
  readonly labels?: Int32Array;
  /** Class names by label, when known. */
  readonly classes?: readonly string[];
  /** Where the data came from (file or package), for logs and errors. */
  readonly source: string;
}

export interface VectorDataset {
  readonly kind: 'float32';
  /** n·prod(shape) floats, row-major. */
  readonly data: Float32Array;
  readonly n: number;
  /** Shape of one item ([D] for points, [C, H, W] for float images). */
  readonly shape: readonly number[];
  readonly labels?: Int32Array;
  readonly classes?: readonly string[];
  readonly source: string;
}

export type Dataset = ImageDataset | VectorDataset;

/** Checks that `ds` is a dataset (an object with data, n and shape, as the readers return). */
export function checkDataset(fn: string, ds: unknown): Dataset {
  const d = ds as Dataset;
  if (!d || typeof d !== 'object' || (d.kind !== 'uint8' && d.kind !== 'float32') || !Number.isInteger(d.n) || !Array.isArray(d.shape) || !ArrayBuffer.isView(d.data))
    throw argError(fn, 'dataset', ds, 'a dataset (from imageDataset, vectorDataset or a reader such as mnist())');
  return d;
}

export function itemSize(ds: Dataset): number {
  return checkDataset('itemSize', ds).shape.reduce((a, b) => a * b, 1);
}

/** Validates and wraps NCHW bytes. */
export function imageDataset(data: Uint8Array, shape: readonly number[], o: { labels?: Int32Array; classes?: readonly string[]; source?: string } = {}): ImageDataset {
  const fn = 'imageDataset';
  if (!(data instanceof Uint8Array)) throw argError(fn, 'data', data, 'a Uint8Array of NCHW bytes');
  if (!Array.isArray(shape) || shape.length !== 3) throw argError(fn, 'shape', shape, '[C, H, W]');
  o = checkOptions(fn, 'options', o);
  if (o.labels !== undefined && !(o.labels instanceof Int32Array)) throw argError(fn, 'labels', o.labels, 'an Int32Array');
  shape.forEach((v, i) => checkInt(fn, `shape[${i}]`, v, 1));
  const per = shape[0] * shape[1] * shape[2];
  if (data.length % per !== 0) throw new ShapeError(`${fn}: ${data.length} bytes are not a whole number of [${shape.join(', ')}] images (${per} bytes each)`);
  const n = data.length / per;
  if (o.labels && o.labels.length !== n) throw new ShapeError(`${fn}: ${o.labels.length} labels for ${n} images`);
  return { kind: 'uint8', data, n, shape: [shape[0], shape[1], shape[2]], labels: o.labels, classes: o.classes, source: o.source ?? '<memory>' };
}

/** A float dataset from a tensor [N, ...] (copied out of the tensor; the tensor is not kept). */
export function vectorDataset(x: Tensor | Float32Array, o: { shape?: readonly number[]; labels?: Int32Array; source?: string } = {}): VectorDataset {
  const fn = 'vectorDataset';
  o = checkOptions(fn, 'options', o);
  if (o.labels !== undefined && !(o.labels instanceof Int32Array)) throw argError(fn, 'labels', o.labels, 'an Int32Array');
  let data: Float32Array, shape: number[];
  if (x instanceof Float32Array) {
    shape = o.shape === undefined ? [1] : checkIntArray(fn, 'shape', o.shape, { min: 1 });
    data = x;
  } else {
    if (!(x instanceof Tensor)) throw argError(fn, 'x', x, 'a tensor [N, ...] or a Float32Array');
    x.assertLive(fn, 'x');
    if (x.ndim < 1) throw argError(fn, 'x', x, 'a tensor [N, ...]');
    shape = x.shape.slice(1);
    data = x.dtype === 'float32' ? (x.dataSync() as Float32Array) : Float32Array.from(x.dataSync());
  }
  const per = shape.reduce((a, b) => a * b, 1);
  if (per < 1 || data.length % per !== 0) throw new ShapeError(`${fn}: ${data.length} values are not a whole number of items of shape [${shape.join(', ')}]`);
  const n = data.length / per;
  if (o.labels && o.labels.length !== n) throw new ShapeError(`${fn}: ${o.labels.length} labels for ${n} items`);
  return { kind: 'float32', data, n, shape, labels: o.labels, source: o.source ?? '<memory>' };
}

/**
 * Pads every image with a constant border: `pad` on all sides, or [top, bottom, left, right].
 * MNIST's 28x28 → 32x32 is `padImages(ds, 2)` (the size U-Nets with three downsamplings need).
 */
export function padImages(ds: ImageDataset, pad: number | readonly [number, number, number, number], value = 0): ImageDataset {
  const fn = 'padImages';
  if (checkDataset(fn, ds).kind !== 'uint8') throw argError(fn, 'dataset', ds, 'an image dataset (uint8)');
  if (typeof pad !== 'number' && !(Array.isArray(pad) && pad.length === 4)) throw argError(fn, 'pad', pad, 'a number or [top, bottom, left, right]');
  const [t, b, l, r] = typeof pad === 'number' ? [pad, pad, pad, pad] : pad;
  [t, b, l, r].forEach((v, i) => checkInt(fn, `pad[${i}]`, v, 0));
  checkInt(fn, 'value', value, 0, 255);
  const [C, H, W] = ds.shape;
  const H2 = H + t + b, W2 = W + l + r;
  const out = new Uint8Array(ds.n * C * H2 * W2).fill(value);
  for (let i = 0; i < ds.n * C; i++)
    for (let y = 0; y < H; y++) {
      const src = (i * H + y) * W;
      out.set(ds.data.subarray(src, src + W), (i * H2 + y + t) * W2 + l);
    }
  return { ...ds, data: out, shape: [C, H2, W2] };
}

/** Images [start, end) (a view of the same bytes). */
export function sliceDataset<D extends Dataset>(ds: D, start: number, end?: number): D {
  checkDataset('sliceDataset', ds);
  end ??= ds.n;
  checkInt('sliceDataset', 'start', start, 0, ds.n);
  checkInt('sliceDataset', 'end', end, start, ds.n);
  const per = itemSize(ds);
  return { ...ds, n: end - start, data: ds.data.subarray(start * per, end * per), labels: ds.labels?.subarray(start, end) } as D;
}
