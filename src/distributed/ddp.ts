// SPDX-License-Identifier: MIT
// Synchronous data parallelism for any Module: parameters and buffers start equal on every rank
// (broadcast from rank 0), and after each backward pass every parameter's gradient is the mean of
// the ranks' gradients, so every rank takes the same optimiser step.
//
// Gradients are reduced in buckets of about `bucketCapMB`, in the reverse of the parameters' order
// (roughly the order backward finishes them). A bucket starts reducing, on the communication
// thread, the moment backward has accumulated the last gradient in it (a post-accumulate hook),
// while backward goes on with the layers before it: communication overlaps compute. Buckets start
// in the same order on every rank (bucket i never before bucket i - 1), as MPI requires.
// synchronize() starts whatever backward did not reach (parameters without a gradient this step
// reduce zeros, so every rank reduces the same buffers) and waits for all of them.
import { argError, checkFinite, checkKnownKeys, checkOptions, DistributedError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../ops/index.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { allReduce, broadcast, currentWorld } from './process_group.js';

const FIRST_BUCKET = 1 << 20;

export interface DataParallelOptions {
  /** Target bucket size in MB (default 25, as PyTorch's DDP; the first bucket holds at most 1 MB):
   * larger buckets mean fewer, more efficient collectives but later starts. */
  bucketCapMB?: number;
}

export interface DataParallelStats {
  buckets: number;
  /** gradient bytes reduced per step */
  bytesPerStep: number;
  /** milliseconds synchronize() spent waiting for communication, summed over steps */
  waitMs: number;
  /** buckets started by backward's hooks (overlapped) vs by synchronize(), summed over steps */
  startedInBackward: number;
  startedAtSync: number;
  steps: number;
}

interface Bucket {
  params: Tensor[];
  bytes: number;
  ready: number;
  started: Promise<void> | null;
}

export class DistributedDataParallel {
  readonly module: Module;
  readonly stats: DataParallelStats;
  private readonly buckets: Bucket[] = [];
  private readonly bucketOf = new Map<Tensor, number>();
  private readonly seen = new Set<Tensor>();
  private readonly removers: (() => void)[] = [];
  private next = 0;  // the next bucket to start
  private inFlight: Promise<void>[] = [];
  private disposed = false;

  constructor(module: Module, options: DataParallelOptions = {}) {
    const fn = 'DistributedDataParallel';
    if (!module || typeof (module as Module).parameters !== 'function') throw argError(fn, 'module', module, 'an nn.Module');
    const o = checkOptions(fn, 'options', options) as DataParallelOptions;
    checkKnownKeys(fn, 'options', o, ['bucketCapMB']);
    const cap = checkFinite(fn, 'bucketCapMB', o.bucketCapMB ?? 25, { min: 0, minExclusive: true }) * (1 << 20);
    if (!currentWorld()) throw new DistributedError(`${fn}: call lc.distributed.init() first`);
    this.module = module;
    const params = module.parameters().filter((p) => p.requiresGrad);
    const devices = new Set(params.map((p) => String(p.device)));
    if (devices.size > 1) throw argError(fn, 'module', `parameters on ${[...devices].join(' and ')}`, 'a module on one device');
    // reverse order: the output layers' gradients are ready first
    let cur: Bucket | null = null;
    for (const p of [...params].reverse()) {
      const bytes = p.size * (p.dtype === 'float64' ? 8 : 4);
      // the first bucket is small (1 MB, as PyTorch's DDP does): the output layers' gradients start
      // moving early even when the whole model would fit one bucket
      const limit = this.buckets.length <= 1 ? Math.min(cap, FIRST_BUCKET) : cap;
      if (!cur || cur.bytes + bytes > limit || cur.params[0].dtype !== p.dtype) {
        cur = { params: [], bytes: 0, ready: 0, started: null };
        this.buckets.push(cur);
      }
      cur.params.push(p);
      cur.bytes += bytes;
      this.bucketOf.set(p, this.buckets.length - 1);
    }
    this.stats = { buckets: this.buckets.length, bytesPerStep: params.reduce((s, p) => s + p.size * (p.dtype === 'float64' ? 8 : 4), 0), waitMs: 0, startedInBackward: 0, startedAtSync: 0, steps: 0 };
    if ((currentWorld()?.size ?? 1) > 1)
      for (const p of params) this.removers.push(p.registerPostAccumulateGradHook((t) => this.onGrad(t)));
  }

  /** Makes every rank's parameters and buffers rank 0's (call once before training). */
  async synchronizeParameters(): Promise<void> {
    this.assertLive('synchronizeParameters');
    const all = [...this.module.parameters(), ...this.module.namedBuffers().map(([, b]) => b)];
    // one collective per dtype
    for (const dtype of ['float32', 'float64', 'int32'] as const) {
      const ts = all.filter((t) => t.dtype === dtype);
      if (ts.length) await broadcast(ts, { label: `broadcast of the ${dtype} parameters` });
    }
  }

  private onGrad(p: Tensor): void {
    if (this.disposed || this.seen.has(p)) return;
    this.seen.add(p);
    const b = this.buckets[this.bucketOf.get(p)!];
    b.ready++;
    this.launchReady(false);
  }

  private launch(i: number, atSync: boolean): void {
    const b = this.buckets[i];
    const grads = b.params.map((p) => p.grad!);
    b.started = allReduce(grads, { op: 'mean', label: `gradient all-reduce of bucket ${i} of ${this.buckets.length}` });
    b.started.catch(() => {});  // observed by synchronize(); never an unhandled rejection
    this.inFlight.push(b.started);
    if (atSync) this.stats.startedAtSync++;
    else this.stats.startedInBackward++;
  }

  private launchReady(atSync: boolean): void {
    while (this.next < this.buckets.length && this.buckets[this.next].ready === this.buckets[this.next].params.length)
      this.launch(this.next++, atSync);
  }

  /**
   * Waits until every parameter's gradient is the mean over the ranks (after backward, before the
   * optimiser step). Rejects with a DistributedError if a collective fails or times out.
   */
  async synchronize(): Promise<void> {
    this.assertLive('synchronize');
    const t0 = performance.now();
    if ((currentWorld()?.size ?? 1) > 1) {
      // gradients backward did not produce this step are zeros, so every rank reduces the same layout
      for (const b of this.buckets)
        for (const p of b.params)
          if (!this.seen.has(p)) {
            if (!p.grad) p.grad = keep(zeros([...p.shape], { dtype: p.dtype, device: p.device }));
            this.seen.add(p);
            b.ready++;
          }
      this.launchReady(true);
      const flights = this.inFlight;
      this.inFlight = [];
      this.resetStep();
      const results = await Promise.allSettled(flights);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
    }
    this.stats.waitMs += performance.now() - t0;
    this.stats.steps++;
  }

  private resetStep(): void {
    this.seen.clear();
    this.next = 0;
    for (const b of this.buckets) {
      b.ready = 0;
      b.started = null;
    }
  }

  private assertLive(fn: string): void {
    if (this.disposed) throw new DistributedError(`DistributedDataParallel.${fn}: the wrapper was disposed`);
  }

  /** Removes the gradient hooks (the module itself is not disposed). */
  dispose(): void {
    this.disposed = true;
    for (const r of this.removers) r();
    this.removers.length = 0;
  }
}
