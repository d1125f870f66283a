// SPDX-License-Identifier: MIT
// Batching: dataset → [B, ...item] float tensors, shuffled per epoch, with optional horizontal
// flips and uniform dequantisation, resumable bit for bit from a small position record.
//
// Randomness is addressed, not streamed: epoch e owns a block of the Philox counter space of the
// loader's seed starting at `rng.offset` (its base): first its permutation (ceil(N/4) counters),
// then, for batch b, B flip uniforms and B·item dequantisation uniforms at fixed offsets
// base + perm + b·perBatch. Batch (e, b) is therefore a pure function of (seed, base, b): a position
// {epoch, index, rng} is all a checkpoint needs to resume exactly, and any batch can be rebuilt
// on its own (`batchAt`).
//
// Prefetching (the async iterator): when batch k is handed out, building batch k+1 (index gather,
// flips, the dequantisation draw and the scaling, into a typed array) is queued with
// setImmediate. It runs in the first turn the consumer gives the event loop: while the consumer
// awaits something between steps (`await loss.data()`, which on CUDA waits for the step's
// kernels, checkpoint and log writes, the trainer's yield between steps). It does NOT overlap a
// synchronous CPU step: the CPU kernels run on the JS thread (and their own pool), and no JS runs
// until they return. Only the final copy into a tensor happens at hand-out. `stats` counts how
// often the next batch was ready when asked for.
import { argError, checkInt } from '../errors.js';
import { tensor, rand, randperm, type RandomKey } from '../ops/index.js';
import type { DeviceLike } from '../tensor/device.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { itemSize, type Dataset } from './dataset.js';

export interface LoaderOptions {
  batchSize: number;
  /** Seed of the loader's Philox stream (default 0). */
  seed?: number;
  /** Reshuffle every epoch (default true); false keeps dataset order. */
  shuffle?: boolean;
  /** Drop the last incomplete batch of an epoch (default true: every step sees the same shape). */
  dropLast?: boolean;
  /** Flip each image left-right with probability ½ (items [C, H, W] only). */
  hflip?: boolean;
  /** 8-bit data is mapped to '[-1,1]' (default) or '[0,1]'. Float data is passed through. */
  range?: '[-1,1]' | '[0,1]';
  /**
   * Uniform dequantisation of 8-bit data as in score_sde: v = (byte + u)/256, u ~ U(0, 1), before
   * the range map; without it v = byte/255. Needed for likelihoods (bits/dim) of discrete data.
   */
  dequantize?: boolean;
  dtype?: 'float32' | 'float64';
  device?: DeviceLike;
}

/** Where the next batch comes from: batch `index` of `epoch`, whose random block starts at `rng`. */
export interface LoaderPosition {
  epoch: number;
  index: number;
  rng: RandomKey;
}

export interface Batch {
  /** [B, ...item] data. */
  x: Tensor;
  /** [B] int32 labels, when the dataset has labels. */
  labels?: Tensor;
  /** Dataset indices of the rows. */
  indices: Int32Array;
  /** The position this batch was built from. */
  position: LoaderPosition;
}

interface Prepared {
  x: Float32Array | Float64Array;
  labels?: Int32Array;
  indices: Int32Array;
  position: LoaderPosition;
}

export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  /** Prefetch statistics of the async iterator: hits = next batch ready when requested. */
  readonly stats = { prefetchHits: 0, prefetchMisses: 0 };
  private readonly o: Required<Omit<LoaderOptions, 'device' | 'seed'>> & { device?: DeviceLike };
  private readonly item: number;
  private pos: LoaderPosition;
  private perm: { epoch: number; base: number; idx: Int32Array } | null = null;

  constructor(dataset: Dataset, o: LoaderOptions) {
    const fn = 'DataLoader';
    if (!dataset || (dataset.kind !== 'uint8' && dataset.kind !== 'float32')) throw argError(fn, 'dataset', dataset, 'an ImageDataset or VectorDataset');
    this.dataset = dataset;
    this.batchSize = checkInt(fn, 'batchSize', o?.batchSize, 1);
    const seed = checkInt(fn, 'seed', o.seed ?? 0, 0, Number.MAX_SAFE_INTEGER);
    this.o = {
      batchSize: this.batchSize, shuffle: o.shuffle ?? true, dropLast: o.dropLast ?? true, hflip: o.hflip ?? false,
      range: o.range ?? '[-1,1]', dequantize: o.dequantize ?? false, dtype: o.dtype ?? 'float32', device: o.device,
    };
    if (this.o.range !== '[-1,1]' && this.o.range !== '[0,1]') throw argError(fn, 'range', this.o.range, "'[-1,1]' or '[0,1]'");
    if (this.o.dtype !== 'float32' && this.o.dtype !== 'float64') throw argError(fn, 'dtype', this.o.dtype, "'float32' or 'float64'");
    if (this.o.hflip && dataset.shape.length !== 3) throw argError(fn, 'hflip', true, `items of shape [C, H, W] (this dataset's items are [${dataset.shape.join(', ')}])`);
    if (this.o.dequantize && dataset.kind !== 'uint8') throw argError(fn, 'dequantize', true, '8-bit image data (this dataset holds floats)');
    this.item = itemSize(dataset);
    this.batchesPerEpoch = this.o.dropLast ? Math.floor(dataset.n / this.batchSize) : Math.ceil(dataset.n / this.batchSize);
    if (this.batchesPerEpoch < 1)
      throw argError(fn, 'batchSize', this.batchSize, `at most the dataset size (${dataset.n}) when dropLast is true`);
    this.pos = { epoch: 0, index: 0, rng: { seed, offset: 0 } };
  }

  /** Counters one epoch uses: the permutation, then a fixed stride per batch. */
  private get permCounters(): number {
    return Math.ceil(this.dataset.n / 4);
  }
  private get perBatchCounters(): number {
    return Math.ceil(this.batchSize / 4) + Math.ceil((this.batchSize * this.item) / 4);
  }
  get countersPerEpoch(): number {
    return this.permCounters + this.batchesPerEpoch * this.perBatchCounters;
  }

  /** The position of the next batch (a copy: safe to store in a checkpoint as JSON). */
  position(): LoaderPosition {
    return { epoch: this.pos.epoch, index: this.pos.index, rng: { ...this.pos.rng } };
  }

  /** Continues from a position taken from position() (of a loader with the same dataset and options). */
  seek(p: LoaderPosition): void {
    const fn = 'DataLoader.seek';
    checkInt(fn, 'epoch', p?.epoch, 0);
    checkInt(fn, 'index', p.index, 0, this.batchesPerEpoch);
    checkInt(fn, 'rng.seed', p.rng?.seed, 0, Number.MAX_SAFE_INTEGER);
    checkInt(fn, 'rng.offset', p.rng.offset, 0, Number.MAX_SAFE_INTEGER);
    this.pos = this.normalise({ epoch: p.epoch, index: p.index, rng: { ...p.rng } });
  }

  private normalise(p: LoaderPosition): LoaderPosition {
    if (p.index < this.batchesPerEpoch) return p;
    return { epoch: p.epoch + 1, index: 0, rng: { seed: p.rng.seed, offset: p.rng.offset + this.countersPerEpoch } };
  }

  private permutation(p: LoaderPosition): Int32Array {
    const n = this.dataset.n;
    if (this.perm && this.perm.epoch === p.epoch && this.perm.base === p.rng.offset) return this.perm.idx;
    const idx = !this.o.shuffle ? Int32Array.from({ length: n }, (_, i) => i)
      : tidy(() => randperm(n, { key: p.rng }).dataSync() as Int32Array);
    this.perm = { epoch: p.epoch, base: p.rng.offset, idx };
    return idx;
  }

  /** Builds the batch at `p` as plain arrays (no tensors; pure function of p). */
  private prepare(p: LoaderPosition): Prepared {
    const { n, shape } = this.dataset;
    const B0 = this.batchSize, item = this.item;
    const perm = this.permutation(p);
    const start = p.index * B0, B = Math.min(B0, n - start);
    const indices = perm.slice(start, start + B);
    const base = p.rng.offset + this.permCounters + p.index * this.perBatchCounters;
    const flipKey = { seed: p.rng.seed, offset: base };
    const noiseKey = { seed: p.rng.seed, offset: base + Math.ceil(B0 / 4) };
    const flips = this.o.hflip ? tidy(() => rand([B], { key: flipKey, dtype: 'float64' }).dataSync()) : null;
    const noise = this.o.dequantize ? tidy(() => rand([B * item], { key: noiseKey }).dataSync() as Float32Array) : null;
    const x = this.o.dtype === 'float64' ? new Float64Array(B * item) : new Float32Array(B * item);
    const W = shape.length === 3 ? shape[2] : 1;
    const src = this.dataset.data;
    const signed = this.o.range === '[-1,1]';
    const isBytes = this.dataset.kind === 'uint8';
    for (let b = 0; b < B; b++) {
      const s0 = indices[b] * item, d0 = b * item;
      const flip = flips !== null && flips[b] < 0.5;
      for (let r = 0; r < item; r += W) {
        for (let c = 0; c < W; c++) {
          const s = s0 + r + (flip ? W - 1 - c : c), d = d0 + r + c;
          if (!isBytes) {
            x[d] = src[s];
            continue;
          }
          // dequantised: (byte + u)/256 ∈ [0, 1) (score_sde); plain: byte/255 ∈ [0, 1]
          const v = noise ? (src[s] + noise[d]) / 256 : src[s] / 255;
          x[d] = signed ? 2 * v - 1 : v;
        }
      }
    }
    const labels = this.dataset.labels ? Int32Array.from(indices, (i) => this.dataset.labels![i]) : undefined;
    return { x, labels, indices, position: { epoch: p.epoch, index: p.index, rng: { ...p.rng } } };
  }

  private toBatch(pr: Prepared): Batch {
    const B = pr.indices.length;
    const c = { dtype: this.o.dtype, device: this.o.device };
    const x = tensor(pr.x, { ...c, shape: [B, ...this.dataset.shape] });
    const labels = pr.labels ? tensor(pr.labels, { device: this.o.device, shape: [B] }) : undefined;
    return { x, labels, indices: pr.indices, position: pr.position };
  }

  /** The batch at a position, without moving the loader (tensors owned by the caller). */
  batchAt(p: LoaderPosition): Batch {
    return this.toBatch(this.prepare(this.normalise(p)));
  }

  /** The next batch (tensors owned by the caller); advances the position. */
  next(): Batch {
    const b = this.toBatch(this.prepare(this.pos));
    this.advance();
    return b;
  }

  private advance(): void {
    this.pos = this.normalise({ ...this.pos, index: this.pos.index + 1 });
  }

  /**
   * Async iteration with prefetch of the next batch (see the file comment for what overlaps).
   * Yields `steps` batches (default: to the end of the current epoch); each yielded batch is
   * disposed when the next is requested or the loop ends, so clone() what must outlive a step.
   */
  async *batches(o: { steps?: number } = {}): AsyncGenerator<Batch, void, unknown> {
    const steps = o.steps ?? this.batchesPerEpoch - this.pos.index;
    checkInt('DataLoader.batches', 'steps', steps, 0);
    let cur: Batch | null = null;
    let pending: { ready: boolean; value?: Prepared; error?: unknown; done: Promise<void> } | null = null;
    const schedule = (p: LoaderPosition) => {
      const job: NonNullable<typeof pending> = { ready: false, done: Promise.resolve() };
      job.done = new Promise<void>((resolve) =>
        setImmediate(() => {
          try {
            job.value = this.prepare(p);
          } catch (e) {
            job.error = e;
          }
          job.ready = true;
          resolve();
        }),
      );
      return job;
    };
    try {
      for (let k = 0; k < steps; k++) {
        let pr: Prepared;
        if (pending) {
          if (pending.ready) this.stats.prefetchHits++;
          else this.stats.prefetchMisses++;
          await pending.done;
          if (pending.error) throw pending.error;
          pr = pending.value!;
          pending = null;
          // the loop body may have called seek()/next(): then the prefetched batch is stale
          if (!samePosition(pr.position, this.pos)) pr = this.prepare(this.pos);
        } else pr = this.prepare(this.pos);
        releaseBatch(cur);
        cur = this.toBatch(pr);
        keep(cur.x);
        if (cur.labels) keep(cur.labels);
        this.advance();
        if (k + 1 < steps) pending = schedule(this.pos);
        yield cur;
      }
    } finally {
      releaseBatch(cur);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.batches();
  }

  /** Synchronous form of batches() (no prefetch), with the same ownership rule. */
  *take(steps: number): Generator<Batch, void, unknown> {
    checkInt('DataLoader.take', 'steps', steps, 0);
    let cur: Batch | null = null;
    try {
      for (let k = 0; k < steps; k++) {
        releaseBatch(cur);
        cur = this.next();
        keep(cur.x);
        if (cur.labels) keep(cur.labels);
        yield cur;
      }
    } finally {
      releaseBatch(cur);
    }
  }
}

function samePosition(a: LoaderPosition, b: LoaderPosition): boolean {
  return a.epoch === b.epoch && a.index === b.index && a.rng.seed === b.rng.seed && a.rng.offset === b.rng.offset;
}

function releaseBatch(b: Batch | null): void {
  b?.x.dispose();
  b?.labels?.dispose();
}
