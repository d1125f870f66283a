// SPDX-License-Identifier: MIT
// Deterministic memory: tidy() frees every tensor created inside it except what it returns or
// keep()s, and releases the autograd nodes (and the tensors they saved) that nothing kept can
// reach. numTensors()/memory() make leaks visible; a native finalizer is only the backstop.
import { ArgumentError, show } from '../errors.js';
import { native } from '../native.js';
import { isTensor } from './is_tensor.js';
import type { Node } from './node.js';
import { storageBytes, storageBytesByDevice } from './storage.js';
// Types only: tensor.ts imports this file, so tensors are recognised with isTensor.
import type { Tensor } from './tensor.js';

export interface Scope {
  tensors: Set<Tensor>;
  nodes: Node[];
  kept: Tensor[];
}

const stack: Scope[] = [];
let live = 0;

export function currentScope(): Scope | null {
  return stack.length ? stack[stack.length - 1] : null;
}

/** Called by the Tensor constructor for user-visible tensors. */
export function track(t: Tensor): void {
  live++;
  const s = currentScope();
  if (s) {
    s.tensors.add(t);
    t._scope = s;
  }
}

/** Called by Tensor.dispose(). */
export function untrack(t: Tensor): void {
  live--;
  if (t._scope) t._scope.tensors.delete(t);
  t._scope = null;
}

export function trackNode(n: Node): void {
  const s = currentScope();
  if (s) {
    s.nodes.push(n);
    n.scope = s;
  }
}

/** Collects the tensors inside a value returned from tidy (tensor, array, plain object, Map). */
function collect(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (!v || typeof v !== 'object' || depth > 8) return;
  if (isTensor(v)) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collect(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collect(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, out, depth + 1);
}

function endScope(s: Scope, keep: Set<Tensor>): void {
  const parent = currentScope();
  for (const t of [...s.tensors]) {
    if (keep.has(t)) {
      s.tensors.delete(t);
      if (parent) {
        parent.tensors.add(t);
        t._scope = parent;
      } else {
        t._scope = null;
      }
    } else {
      t.dispose();
    }
  }
  // Autograd nodes made in this scope survive only if a kept tensor's graph reaches them.
  const reach = new Set<Node>();
  const todo: Node[] = [];
  for (const t of [...keep, ...s.kept]) if (t.node && t.node.scope === s) todo.push(t.node);
  while (todo.length) {
    const n = todo.pop()!;
    if (reach.has(n)) continue;
    reach.add(n);
    for (const i of n.inputs) if (i && i.scope === s && !reach.has(i)) todo.push(i);
    // tensors saved for backward keep their own graph alive (second derivatives go through them)
    for (const t of n.saved ?? []) if (t.node && t.node.scope === s && !reach.has(t.node)) todo.push(t.node);
  }
  for (const n of s.nodes) {
    if (reach.has(n)) {
      n.scope = parent;
      if (parent) parent.nodes.push(n);
    } else {
      n.release();
    }
  }
}

/**
 * Runs fn and frees every tensor it created except those it returns (in a tensor, array, plain
 * object or Map) or passes to keep(). fn must be synchronous: await inside a tidy would let other
 * code's tensors be freed with it.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError(`tidy: argument 'fn' got ${typeof fn}, expected a function`);
  const s: Scope = { tensors: new Set(), nodes: [], kept: [] };
  stack.push(s);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    endScope(s, new Set());
    throw e;
  }
  stack.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    endScope(s, new Set());
    throw new ArgumentError('tidy: fn returned a Promise; tidy only takes synchronous functions (use one tidy per step)');
  }
  const keepSet = new Set<Tensor>();
  collect(result, keepSet);
  endScope(s, keepSet);
  return result;
}

/** Exempts a tensor from every enclosing tidy: it lives until disposed. */
export function keep<T extends Tensor>(t: T): T {
  if (!isTensor(t)) throw new ArgumentError(`keep: argument 't' got ${show(t)}, expected a Tensor`);
  if (t._scope) {
    t._scope.tensors.delete(t);
    t._scope.kept.push(t);
    t._scope = null;
  }
  return t;
}

/** Disposes tensors found in a tensor, array, plain object or Map. */
export function dispose(v: unknown): void {
  const s = new Set<Tensor>();
  collect(v, s);
  for (const t of s) t.dispose();
}

/** Number of live (not disposed) user-visible tensors. */
export function numTensors(): number {
  return live;
}

export interface MemoryInfo {
  numTensors: number;
  /** Bytes held by live storages (tensors and tensors saved for backward). */
  numBytes: number;
  /** numBytes per device ('cpu', 'cuda:0', ...). */
  byDevice: Record<string, number>;
  /** The CPU caching allocator: live, cached and peak bytes. */
  cpu: ReturnType<typeof native.cpuMemoryStats>;
  /** The CUDA caching allocator of each GPU, by index (empty without one). */
  cuda: ReturnType<typeof native.cpuMemoryStats>[];
}

function cudaDevices(): number {
  return native.cudaBuilt() ? native.cudaDeviceCount() : 0;
}

export function memory(): MemoryInfo {
  const cuda = Array.from({ length: cudaDevices() }, (_, i) => native.cudaMemoryStats(i));
  return { numTensors: live, numBytes: storageBytes(), byDevice: storageBytesByDevice(), cpu: native.cpuMemoryStats(), cuda };
}

/** Restarts the CPU allocator's high-water mark (memory().cpu.peakAllocatedBytes) at the bytes in use now. */
export function resetPeakMemory(): void {
  native.cpuResetPeak();
}

/** Returns cached CPU blocks to the OS and cached GPU blocks to the driver (never inside a step loop). */
export function emptyCache(): void {
  native.cpuEmptyCache();
  if (cudaDevices() > 0) native.cudaEmptyCache(-1);
}
