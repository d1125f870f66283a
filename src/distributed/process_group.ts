// SPDX-License-Identifier: MIT
// The processes of a data-parallel job and the collectives between them: init, rank, worldSize,
// allReduce, broadcast, barrier, broadcastObject, abort, finalize.
//
// The transport is MPI (native/dist), joined only when a launcher (mpirun, srun) started this
// process as one of several. Otherwise the world is this process alone and every collective is the
// identity, so code written for N ranks runs unchanged on one, with nothing to install.
// Collectives return Promises: the communication runs on the addon's own thread while this one
// computes, and a collective that some rank never reaches rejects with a DistributedError naming
// that rank after the timeout, instead of hanging the job.
import { argError, checkFinite, checkInt, checkKnownKeys, checkOptions, DistributedError, LcssError, show } from '../errors.js';
import { native } from '../native.js';
import { DTYPE_CODE } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { detectLaunch, type Launch } from './launcher.js';

export interface World {
  rank: number;
  size: number;
  /** rank among the processes on this machine, and how many there are */
  localRank: number;
  localSize: number;
  /** 'mpi', or 'local' for a world of one process */
  backend: 'mpi' | 'local';
  /** the MPI library's own version string ('' for a local world) */
  library: string;
  launcher: Launch['launcher'] | null;
  /** how CUDA tensors travel: 'nccl', or why they are staged on the host ('' for a local world) */
  deviceTransport: string;
}

export interface InitOptions {
  /** Seconds any collective may wait for the other ranks before it fails naming them (default:
   * LCSS_DIST_TIMEOUT, else 300). */
  timeout?: number;
}

let world: World | null = null;
let finalized = false;

/** The timeout of init() when none is given: LCSS_DIST_TIMEOUT seconds, else 300. */
export function defaultTimeout(): number {
  const v = process.env.LCSS_DIST_TIMEOUT;
  if (v === undefined || v === '') return 300;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new DistributedError(`distributed.init: LCSS_DIST_TIMEOUT is ${show(v)}, expected a number of seconds > 0`);
  return n;
}

/**
 * Joins the job this process was launched into (idempotent). Under mpirun or srun with more than one
 * task: MPI, with the launcher's rank and size checked against MPI's own. Otherwise a local world of
 * one. Throws DistributedError when several processes were launched but lcss cannot join them (an
 * addon built without MPI: the message says what to install).
 */
export function init(options: InitOptions = {}): World {
  const fn = 'distributed.init';
  const o = checkOptions(fn, 'options', options) as InitOptions;
  checkKnownKeys(fn, 'options', o, ['timeout']);
  const timeout = o.timeout === undefined ? defaultTimeout() : checkFinite(fn, 'timeout', o.timeout, { min: 0, minExclusive: true });
  if (world) {
    if (world.backend === 'mpi') native.distSetTimeout(timeout);
    return { ...world };
  }
  if (finalized) throw new DistributedError(`${fn}: the job was finalized; a process can join one job only`);
  const launch = detectLaunch();
  if (!launch || launch.size === 1) {
    world = { rank: 0, size: 1, localRank: 0, localSize: 1, backend: 'local', library: '', launcher: launch?.launcher ?? null, deviceTransport: '' };
    return { ...world };
  }
  const info = native.distInfo();
  if (!info.mpi)
    throw new DistributedError(`${fn}: this process is rank ${launch.rank} of ${launch.size} started by ${launch.launcher}, but ${info.compiledBy}`);
  let w: ReturnType<typeof native.distInit>;
  try {
    w = native.distInit(timeout);
  } catch (e) {
    throw new DistributedError(`${fn}: MPI did not start: ${(e as Error).message.replace(/^lcss\.\w+: /, '')}`);
  }
  if (w.size !== launch.size || w.rank !== launch.rank)
    throw new DistributedError(`${fn}: ${launch.launcher} started this process as rank ${launch.rank} of ${launch.size}, but MPI sees rank ${w.rank} of ${w.size}: the launcher belongs to another MPI than the one lcss was built with (${info.compiledBy})`);
  world = { ...w, backend: 'mpi', launcher: launch.launcher, deviceTransport: native.distInfo().deviceTransport };
  // MPI must be finalised before the process exits, or the launcher reports the rank as failed
  process.once('exit', () => finalize());
  return { ...world };
}

/** Whether init() has run (and finalize() has not). */
export function isInitialized(): boolean {
  return world !== null;
}

function need(fn: string): World {
  if (!world) throw new DistributedError(`${fn}: call lc.distributed.init() first`);
  return world;
}

/** This process's rank (0 before init). */
export function rank(): number {
  return world?.rank ?? 0;
}

/** The number of processes in the job (1 before init). */
export function worldSize(): number {
  return world?.size ?? 1;
}

/** The world this process joined, or null before init. */
export function currentWorld(): World | null {
  return world ? { ...world } : null;
}

type Payload = Tensor | ArrayBufferView;

function pieces(fn: string, what: Payload | Payload[], floatOnly: boolean): { tensors: [number, number, number][]; arrays: ArrayBufferView[]; dtype: number; bytes: number } {
  const list = Array.isArray(what) ? what : [what];
  const tensors: [number, number, number][] = [], arrays: ArrayBufferView[] = [];
  let dtype = -1, bytes = 0;
  const setType = (i: number, code: number, name: string) => {
    if (dtype >= 0 && code !== dtype) throw argError(fn, `tensors[${i}]`, name, 'the same dtype as tensors[0] (one collective reduces one type)');
    dtype = code;
  };
  list.forEach((t, i) => {
    if (t instanceof Tensor) {
      t.assertLive(fn, `tensors[${i}]`);
      if (!t.isContiguous) throw argError(fn, `tensors[${i}]`, `a view with strides [${t.strides.join(', ')}]`, 'a contiguous tensor (collectives write in place)');
      if (floatOnly && t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'int32') throw argError(fn, `tensors[${i}]`, `dtype ${t.dtype}`, 'float32, float64 or int32');
      setType(i, DTYPE_CODE[t.dtype], t.dtype);
      tensors.push([t.storage.buffer as unknown as number, t.offset, t.size]);
      bytes += t.size * (t.dtype === 'float64' ? 8 : 4);
      t.storage.version++;  // written in place: a copy saved for backward must see the change
    } else if (ArrayBuffer.isView(t)) {
      const a = t as ArrayBufferView;
      const code = a instanceof Float32Array ? 0 : a instanceof Float64Array ? 1 : a instanceof Int32Array ? 2 : -1;
      if (floatOnly && code < 0) throw argError(fn, `tensors[${i}]`, a.constructor.name, 'a Float32Array, Float64Array or Int32Array');
      if (floatOnly) setType(i, code, a.constructor.name);
      arrays.push(a);
      bytes += a.byteLength;
    } else {
      throw argError(fn, `tensors[${i}]`, t, 'a Tensor or a typed array');
    }
  });
  return { tensors, arrays, dtype: Math.max(dtype, 0), bytes };
}

function mb(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

async function settle(fn: string, p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DistributedError || !(e instanceof LcssError)) throw e;
    throw new DistributedError(`${fn}: ${e.message.replace(/^(?:lcss\.)?distributed: /, '')}`);
  }
}

export interface AllReduceOptions {
  /** 'sum' (default) or 'mean' (the sum divided by the world size) */
  op?: 'sum' | 'mean';
  /** names the collective in errors (default 'allReduce') */
  label?: string;
}

/**
 * Sums (or averages) each tensor or typed array element-wise over every rank, in place. All must
 * share one dtype (float32, float64 or int32). Until the Promise settles, ops on these tensors wait
 * and freeing them is deferred; typed arrays must not be touched. CUDA tensors travel through a
 * host staging copy (MPI moves host memory; an NCCL transport would keep them on the device).
 */
export async function allReduce(tensors: Payload | Payload[], options: AllReduceOptions = {}): Promise<void> {
  const fn = 'distributed.allReduce';
  const o = checkOptions(fn, 'options', options) as AllReduceOptions;
  checkKnownKeys(fn, 'options', o, ['op', 'label']);
  const op = o.op ?? 'sum';
  if (op !== 'sum' && op !== 'mean') throw argError(fn, 'op', op, "'sum' or 'mean'");
  const w = need(fn);
  const p = pieces(fn, tensors, true);
  if (w.size === 1 || (!p.tensors.length && !p.arrays.length)) return;
  const what = `${o.label ?? 'allReduce'} (${mb(p.bytes)})`;
  await settle(fn, native.distSubmit({ kind: 0, dtype: p.dtype, average: op === 'mean', root: 0, tensors: p.tensors as never, arrays: p.arrays, what }));
}

/** Overwrites each tensor or typed array on every rank with rank `root`'s (default 0), in place. */
export async function broadcast(tensors: Payload | Payload[], options: { root?: number; label?: string } = {}): Promise<void> {
  const fn = 'distributed.broadcast';
  const o = checkOptions(fn, 'options', options) as { root?: number; label?: string };
  checkKnownKeys(fn, 'options', o, ['root', 'label']);
  const w = need(fn);
  const root = checkInt(fn, 'root', o.root ?? 0, 0, w.size - 1);
  const p = pieces(fn, tensors, false);
  if (w.size === 1 || (!p.tensors.length && !p.arrays.length)) return;
  await settle(fn, native.distSubmit({ kind: 1, dtype: 0, root, tensors: p.tensors as never, arrays: p.arrays, what: `${o.label ?? 'broadcast'} from rank ${root} (${mb(p.bytes)})` }));
}

/** Resolves once every rank has called barrier(). */
export async function barrier(options: { label?: string } = {}): Promise<void> {
  const fn = 'distributed.barrier';
  const o = checkOptions(fn, 'options', options) as { label?: string };
  checkKnownKeys(fn, 'options', o, ['label']);
  if (need(fn).size === 1) return;
  await settle(fn, native.distSubmit({ kind: 2, dtype: 0, root: 0, what: o.label ?? 'barrier' }));
}

/** Rank `root`'s value of a JSON-serialisable object, on every rank. */
export async function broadcastObject<T>(value: T, options: { root?: number; label?: string } = {}): Promise<T> {
  const fn = 'distributed.broadcastObject';
  const o = checkOptions(fn, 'options', options) as { root?: number; label?: string };
  checkKnownKeys(fn, 'options', o, ['root', 'label']);
  const w = need(fn);
  const root = checkInt(fn, 'root', o.root ?? 0, 0, w.size - 1);
  if (w.size === 1) return value;
  const label = o.label ?? 'broadcastObject';
  const bytes = w.rank === root ? new TextEncoder().encode(JSON.stringify(value) ?? 'null') : new Uint8Array(0);
  const len = new Float64Array([bytes.length]);
  await broadcast(len, { root, label: `${label} (length)` });
  const buf = w.rank === root ? bytes : new Uint8Array(len[0]);
  await broadcast(buf, { root, label });
  return w.rank === root ? value : (JSON.parse(new TextDecoder().decode(buf)) as T);
}

/**
 * Ends every process of the job at once (MPI_Abort) after printing `message` on this one; in a
 * local world, exits this process. For a rank that cannot go on: the others would otherwise wait
 * for it until their timeout.
 */
export function abort(code = 1, message?: string): never {
  checkInt('distributed.abort', 'code', code, 0, 255);
  if (message) process.stderr.write(`${message}\n`);
  if (world?.backend === 'mpi') native.distAbort(code);
  process.exit(code);
}

/** Leaves the job after every queued collective (called at exit; safe to call twice). */
export function finalize(): void {
  if (!world) return;
  const w = world;
  world = null;
  if (w.backend !== 'mpi') return;  // a local world holds nothing: init may start another
  finalized = true;
  native.distFinalize();
}
