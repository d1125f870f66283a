// SPDX-License-Identifier: MIT
// The Tensor: a strided view (shape, strides, offset) of a Storage, with autograd metadata.
// Ops are free functions in src/ops (one file per op family); the ops layer's entry
// (src/ops/index.ts) also attaches them as methods, so `x.add(y).relu()` and
// `lc.relu(lc.add(x, y))` are the same call.
import { AutogradError, DisposedError, ArgumentError, DTypeError, LcssError, ShapeError, show } from '../errors.js';
import { attributeError } from '../api.js';
import { native, kernels } from '../native.js';
import type { Device } from './device.js';
import { CPU } from './device.js';
import { isFloat, typedArrayFor, type AnyTypedArray, type DType } from './dtype.js';
import { TENSOR } from './is_tensor.js';
import { LeafNode, type Node } from './node.js';
import { track, untrack, type Scope } from './scope.js';
import { checkShape, contiguousStrides, isContiguous, numel, viewProblem } from './shape.js';
import { Storage } from './storage.js';

let nextId = 1;

export type NestedArray = number | boolean | NestedArray[];


/** Saved aliases collected without dispose() (their graph became garbage) release their storage. */
const savedAliases = new FinalizationRegistry<Storage>((storage) => {
  if (!storage.dead) storage.release();
});

export class Tensor {
  readonly id = nextId++;
  readonly _isTensor = true;
  /** The brand scope.ts recognises tensors by (it cannot import this class). */
  readonly [TENSOR] = true;
  /** Autograd node: the op that produced this tensor, or the leaf accumulator of a parameter. */
  node: Node | null = null;
  /** Gradient accumulated by backward() (leaves only). */
  grad: Tensor | null = null;
  /** Optional name (parameters carry their path in the module tree). */
  name?: string;
  _scope: Scope | null = null;
  /** For tensors saved for backward: the storage version when saved. */
  _savedVersion = -1;
  /** Called after backward() has accumulated this leaf's gradient (registerPostAccumulateGradHook). */
  _gradHooks: ((t: Tensor) => void)[] | null = null;
  private _disposed = false;

  constructor(
    readonly storage: Storage,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    /** Internal tensors (saved for backward) are neither counted nor scoped. */
    readonly internal = false,
  ) {
    // Every view is checked against its storage, so no op (and no user of Tensor.view) can build
    // a tensor that makes a kernel read or write outside its memory.
    if (!(storage instanceof Storage)) throw new ArgumentError(`Tensor: argument 'storage' got ${show(storage)}, expected a Storage`);
    if (storage.dead) throw new DisposedError('Tensor: the storage was already freed (every tensor on it was disposed)');
    const bad = viewProblem(shape, strides, offset, storage.numel);
    if (bad) throw new ShapeError(`Tensor.view: ${bad}`);
    storage.retain();
    if (!internal) track(this);
  }

  /** A new contiguous tensor with uninitialised contents. */
  static empty(shape: readonly number[], dtype: DType = 'float32', device: Device = CPU): Tensor {
    checkShape('Tensor.empty', 'shape', shape);
    return new Tensor(new Storage(dtype, numel(shape), device), [...shape], contiguousStrides(shape), 0);
  }

  /**
   * Calls `fn(this)` each time backward() has accumulated this leaf's gradient into `.grad`: its
   * value for the current backward pass is then final, which is when a data-parallel wrapper can
   * start reducing it while backward goes on with the rest of the graph. Returns the remover.
   */
  registerPostAccumulateGradHook(fn: (t: Tensor) => void): () => void {
    if (typeof fn !== 'function') throw new ArgumentError(`Tensor.registerPostAccumulateGradHook: argument 'fn' got ${show(fn)}, expected a function`);
    (this._gradHooks ??= []).push(fn);
    return () => {
      const i = this._gradHooks?.indexOf(fn) ?? -1;
      if (i >= 0) this._gradHooks!.splice(i, 1);
    };
  }

  /**
   * A view of the same storage (no copy): any shape, strides (negative allowed) and offset whose
   * every element lies inside the storage; anything else is a ShapeError.
   */
  static view(base: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    if (!(base instanceof Tensor)) throw new ArgumentError(`Tensor.view: argument 'base' got ${show(base)}, expected a Tensor`);
    base.assertLive('Tensor.view', 'base');
    if (!Array.isArray(shape) || !Array.isArray(strides))
      throw new ShapeError(`Tensor.view: shape and strides must be arrays, got ${show(shape)} and ${show(strides)}`);
    return new Tensor(base.storage, [...shape], [...strides], offset);
  }

  /** An internal alias that keeps the storage (and the autograd identity) alive for backward. */
  static saved(t: Tensor): Tensor {
    const a = new Tensor(t.storage, t.shape, t.strides, t.offset, true);
    a.node = t.node;
    a._savedVersion = t.storage.version;
    // A graph nobody can reach any more (its outputs disposed or dropped) is garbage-collected
    // with its saved aliases; each one then gives its storage reference back, so the memory of a
    // disposed parameter or activation is freed rather than pinned by a dead graph.
    savedAliases.register(a, t.storage, a);
    return a;
  }

  get dtype(): DType {
    return this.storage.dtype;
  }
  get device(): Device {
    return this.storage.device;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return numel(this.shape);
  }
  get numel(): number {
    return numel(this.shape);
  }
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  get disposed(): boolean {
    return this._disposed;
  }

  get requiresGrad(): boolean {
    return this.node !== null;
  }

  /** Marks a leaf as needing gradients (float tensors only). */
  set requiresGrad(on: boolean) {
    this.#setRequiresGrad('requiresGrad', on);
  }

  /** Sets requiresGrad and returns this, for chaining. */
  requiresGrad_(on = true): this {
    this.#setRequiresGrad('requiresGrad_', on);
    return this;
  }

  #setRequiresGrad(op: string, on: unknown): void {
    if (typeof on !== 'boolean') throw new ArgumentError(`${op}: argument 'on' got ${show(on)}, expected true or false`);
    if (on === this.requiresGrad) return;
    if (this.node && !this.node.isLeaf)
      throw new AutogradError(`${op}: tensor ${this.id} is the output of '${this.node.name}'; only leaves can change it (use detach())`);
    if (on) {
      if (!isFloat(this.dtype)) throw new DTypeError(`${op}: only float tensors can require gradients (got ${this.dtype})`);
      this.node = new LeafNode(this);
    } else {
      this.node = null;
    }
  }

  get isLeaf(): boolean {
    return this.node === null || this.node.isLeaf;
  }

  /** Name of the op that produced this tensor, or null for leaves. */
  get gradFn(): string | null {
    return this.node && !this.node.isLeaf ? this.node.name : null;
  }

  assertLive(op: string, arg = 'input'): void {
    if (this._disposed)
      throw new DisposedError(`${op}: argument '${arg}' is a disposed tensor (id ${this.id}, shape [${this.shape.join(', ')}]); it was freed by dispose() or by the tidy() that created it`);
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    if (!this.internal) untrack(this);
    else savedAliases.unregister(this);
    this.storage.release();
    // The graph behind this tensor stays reachable from the nodes of tensors computed from it (their
    // edges hold it); dropping our own reference lets it, and the tensors it saved for backward, be
    // collected once nothing downstream needs it, rather than live as long as this JS object.
    if (!this.internal) this.node = null;
    if (this.grad && !this.internal) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** Contents in row-major order, as a new typed array (blocks until the data is available). */
  dataSync(): AnyTypedArray {
    this.assertLive('dataSync');
    const n = this.size;
    if (this.isContiguous) return typedArrayFor(this.dtype, native.read(this.storage.buffer, this.offset, n));
    const tmp = new Storage(this.dtype, n, this.device);
    tmp.retain();
    try {
      kernels.copy({ y: { buffer: tmp.buffer, offset: 0, shape: this.shape, strides: contiguousStrides(this.shape) }, x: { buffer: this.storage.buffer, offset: this.offset, shape: this.shape, strides: this.strides } });
      return typedArrayFor(this.dtype, native.read(tmp.buffer, 0, n));
    } finally {
      tmp.release();
    }
  }

  /**
   * Contents in row-major order, as a new typed array, without blocking the event loop: the copy
   * (a device-to-host copy on CUDA, which first waits for the device) runs on the libuv threadpool.
   * The values are those at the time of the call: an op that writes into this tensor's storage
   * afterwards waits for the copy, and dispose() during it is safe (the copy frees the memory).
   */
  async data(): Promise<AnyTypedArray> {
    try {
      this.assertLive('data');
      const n = this.size;
      const dtype = this.dtype;
      let pending: Promise<ArrayBuffer>;
      if (this.isContiguous) {
        pending = native.readAsync(this.storage.buffer, this.offset, n);
      } else {
        // gathered into a contiguous temporary first (synchronously, like any op); releasing it at
        // once is safe: its free is deferred until the copy has read it
        const tmp = new Storage(dtype, n, this.device);
        tmp.retain();
        try {
          kernels.copy({
            y: { buffer: tmp.buffer, offset: 0, shape: this.shape, strides: contiguousStrides(this.shape) },
            x: { buffer: this.storage.buffer, offset: this.offset, shape: this.shape, strides: this.strides },
          });
          pending = native.readAsync(tmp.buffer, 0, n);
        } finally {
          tmp.release();
        }
      }
      return typedArrayFor(dtype, await pending);
    } catch (e) {
      throw dataError(e);
    }
  }

  /** Nested JS arrays (a number or boolean for a 0-d tensor). */
  toArray(): NestedArray {
    const d = this.dataSync();
    const conv = this.dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
    if (this.ndim === 0) return conv(d[0]);
    const build = (dim: number, off: number): NestedArray[] => {
      const out: NestedArray[] = [];
      const step = numel(this.shape.slice(dim + 1));
      for (let i = 0; i < this.shape[dim]; i++)
        out.push(dim === this.ndim - 1 ? conv(d[off + i]) : build(dim + 1, off + i * step));
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    this.assertLive('item');
    if (this.size !== 1) throw new ArgumentError(`item: tensor has ${this.size} elements (shape [${this.shape.join(', ')}]), expected exactly 1`);
    return this.dataSync()[0];
  }

  toString(): string {
    if (this._disposed) return `Tensor(disposed, shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

// An error of data() names data; one that a kernel recorded and this read-back reported (a CUDA
// index error: "index_select: index 7 is out of range ...") keeps that op's name in brackets.
function dataError(e: unknown): unknown {
  if (e instanceof LcssError) {
    const m = /^([\w.$-]+): /.exec(e.message);
    if (m && !['data', 'readAsync', 'read', 'copy'].includes(m[1])) {
      const old = e.message;
      e.message = `data: ${old.slice(m[0].length)} (in ${m[1]})`;
      if (typeof e.stack === 'string') e.stack = e.stack.replace(old, e.message);
    }
  }
  return attributeError('data', e);
}

function formatNumber(v: number, dtype: DType, sci: boolean, dec: number): string {
  if (dtype === 'bool') return v ? 'true' : 'false';
  if (dtype === 'int32') return String(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  return sci ? v.toExponential(4) : v.toFixed(dec);
}

function formatTensor(t: Tensor): string {
  const d = t.dataSync();
  const vals = Array.from(d as ArrayLike<number>);
  const finite = vals.filter((v) => Number.isFinite(v)).map(Math.abs);
  const maxAbs = finite.length ? Math.max(...finite) : 0;
  const minAbs = finite.filter((v) => v > 0).reduce((a, b) => Math.min(a, b), Infinity);
  const sci = isFloat(t.dtype) && (maxAbs >= 1e6 || (minAbs < 1e-4 && minAbs !== Infinity));
  const ints = isFloat(t.dtype) && vals.every((v) => !Number.isFinite(v) || Number.isInteger(v));
  const dec = ints ? 0 : 4;
  const strs = vals.map((v) => {
    const s = formatNumber(v, t.dtype, sci, dec);
    return ints && !sci && isFloat(t.dtype) && Number.isFinite(v) ? s + '.' : s;
  });
  const width = Math.max(0, ...strs.map((s) => s.length));
  const edge = 3;
  const summarise = t.size > 1000;
  const rec = (dim: number, off: number, indent: string): string => {
    if (t.ndim === 0) return strs[0];
    const n = t.shape[dim];
    const step = numel(t.shape.slice(dim + 1));
    const idx = summarise && n > 2 * edge ? [...Array(edge).keys(), -1, ...Array.from({ length: edge }, (_, i) => n - edge + i)] : [...Array(n).keys()];
    if (dim === t.ndim - 1) return '[' + idx.map((i) => (i < 0 ? '...' : strs[off + i].padStart(width))).join(', ') + ']';
    const sep = ',' + '\n'.repeat(t.ndim - dim - 1) + indent + ' ';
    return '[' + idx.map((i) => (i < 0 ? '...' : rec(dim + 1, off + i * step, indent + ' '))).join(sep) + ']';
  };
  const extras: string[] = [];
  if (t.dtype !== 'float32') extras.push(`dtype=${t.dtype}`);
  if (t.device.type !== 'cpu') extras.push(`device=${t.device}`);
  if (t.gradFn) extras.push(`gradFn=${t.gradFn}`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  const body = rec(0, 0, '       ');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
