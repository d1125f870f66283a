// SPDX-License-Identifier: MIT
// Where the time goes: a kernel profiler at the addon boundary. Every tensor op reaches the
// native code through `native.<entry>(...)` (one op, one entry), so timing each entry call gives a
// per-kernel breakdown with nothing added to the ops. While profiling, the addon's functions are
// replaced by timing wrappers on the same object; when it stops the originals come back, so the
// profiler costs nothing when off. Whatever is not inside a native call (JS op dispatch, shape
// logic, autograd bookkeeping, allocation) is reported as the remainder of the wall time.
//
// CPU kernels run synchronously, so their times are exact. CUDA launches return before the GPU
// finishes: pass `{ synchronize: true }` to wait after each call (slower, but attributes time to
// the kernel that spent it).
import { native, Unary, Binary, Reduce, type NativeAddon, type NativePoolStats } from './native.js';
import { ArgumentError, checkBool, checkFunction, checkKnownKeys, checkOptions } from './errors.js';

export interface KernelStat {
  /** entry name, with the op for unary/binary/reduce entries (e.g. "binary:add") */
  name: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  /** share of the profiled wall time */
  fraction: number;
}

/**
 * How the profiled stretch used the kernel thread pool: the differences of its counters over the
 * stretch (NativePoolStats says what each counts), and the workers' busy share of the wall time.
 */
export interface PoolReport extends Omit<NativePoolStats, 'workerChunks'> {
  /** workerBusyMs / (wall x (threads - 1)): how much of the stretch the other cores did work (0 with one thread) */
  workerUtilisation: number;
}

export interface ProfileReport {
  wallMs: number;
  /** the kernel thread pool over the same stretch */
  pool: PoolReport;
  /** time inside native calls */
  nativeMs: number;
  kernels: KernelStat[];
  /** a fixed-width table, largest total first */
  table(top?: number): string;
}

export interface ProfileOptions {
  /** wait for CUDA work after each call so that GPU time is attributed to its kernel */
  synchronize?: boolean;
}

// Entries that are bookkeeping, not kernels: not timed, not wrapped.
const UNTIMED = new Set(['getNumThreads', 'setNumThreads', 'cpuIsa', 'cpuMemoryStats', 'cudaBuilt', 'cudaDeviceCount',
  'cudaStatus', 'cudaDeviceInfo', 'cudaMemoryStats', 'cudaResetPeak', 'cpuResetPeak', 'poolStats', 'poolWorkerChunks', 'poolTiming']);

const invert = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [v, k])) as Record<number, string>;
const OP_NAMES: Record<string, Record<number, string>> = { unary: invert(Unary), binary: invert(Binary), reduce: invert(Reduce) };

interface Active { stats: Map<string, { calls: number; ms: number }>; t0: number; originals: Map<string, unknown>; syncDevices: number; pool0: NativePoolStats }
let active: Active | null = null;

/** Starts recording every native call; throws if a profile is already running. */
export function startProfile(options: ProfileOptions = {}): void {
  startProfileFor('startProfile', options);
}

/** startProfile on behalf of the public function `op` (named in its errors). */
function startProfileFor(op: string, options: ProfileOptions | undefined): void {
  const opts = checkOptions(op, 'options', options);
  checkKnownKeys(op, 'options', opts, ['synchronize']);
  if (opts.synchronize !== undefined) checkBool(op, 'synchronize', opts.synchronize);
  if (active) throw new ArgumentError(`${op}: a profile is already running (call stopProfile first)`);
  // devices to wait for after each call (none on a CPU-only build or machine)
  const syncDevices = opts.synchronize && native.cudaBuilt() ? native.cudaDeviceCount() : 0;
  native.poolTiming(true);  // the pool's timers run only inside a profile (they cost ~0.7 us a region)
  const a: Active = { stats: new Map(), t0: performance.now(), originals: new Map(), syncDevices, pool0: native.poolStats() };
  const target = native as unknown as Record<string, unknown>;
  for (const key of Object.keys(target)) {
    const f = target[key];
    if (typeof f !== 'function' || UNTIMED.has(key)) continue;
    a.originals.set(key, f);
    const names = OP_NAMES[key];
    const fn = f as (...args: unknown[]) => unknown;
    target[key] = function timed(...args: unknown[]) {
      const t = performance.now();
      try {
        const r = fn.apply(native, args);
        if (a.syncDevices && key !== 'cudaSynchronize') {
          const sync = a.originals.get('cudaSynchronize') as NativeAddon['cudaSynchronize'];
          for (let d = 0; d < a.syncDevices; d++) sync.call(native, d);
        }
        return r;
      } finally {
        const name = names ? `${key}:${names[args[0] as number] ?? args[0]}` : key;
        const s = a.stats.get(name);
        const dt = performance.now() - t;
        if (s) { s.calls++; s.ms += dt; } else a.stats.set(name, { calls: 1, ms: dt });
      }
    };
  }
  active = a;
}

/** Stops recording, restores the addon's functions and returns the report. */
export function stopProfile(): ProfileReport {
  const a = active;
  if (!a) throw new ArgumentError('stopProfile: no profile is running (call startProfile first)');
  const target = native as unknown as Record<string, unknown>;
  for (const [k, f] of a.originals) target[k] = f;
  active = null;
  const wallMs = performance.now() - a.t0;
  const p1 = native.poolStats(), p0 = a.pool0;
  native.poolTiming(false);
  const d = (k: 'regions' | 'regionMs' | 'inlineRuns' | 'callerWaitMs' | 'workerBusyMs') => p1[k] - p0[k];
  const pool: PoolReport = {
    threads: p1.threads, regions: d('regions'), regionMs: d('regionMs'), inlineRuns: d('inlineRuns'),
    callerWaitMs: d('callerWaitMs'), workerBusyMs: d('workerBusyMs'),
    workerUtilisation: p1.threads > 1 && wallMs > 0 ? d('workerBusyMs') / (wallMs * (p1.threads - 1)) : 0,
  };
  const kernels: KernelStat[] = [...a.stats].map(([name, s]) => ({
    name, calls: s.calls, totalMs: s.ms, meanMs: s.ms / s.calls, fraction: wallMs > 0 ? s.ms / wallMs : 0,
  })).sort((x, y) => y.totalMs - x.totalMs);
  const nativeMs = kernels.reduce((s, k) => s + k.totalMs, 0);
  return { wallMs, pool, nativeMs, kernels, table: (top = 25) => formatTable(wallMs, nativeMs, kernels, top, pool) };
}

/** Runs `fn` (sync or async) under the profiler; the profile stops even when `fn` throws. */
export async function profile<T>(fn: () => T | Promise<T>, opts: ProfileOptions = {}): Promise<{ result: T; report: ProfileReport }> {
  checkFunction('profile', 'fn', fn);
  startProfileFor('profile', opts);
  let report: ProfileReport | null = null;
  try {
    const result = await fn();
    report = stopProfile();
    return { result, report };
  } finally {
    if (!report) stopProfile();
  }
}

export function isProfiling(): boolean {
  return active !== null;
}

function formatTable(wallMs: number, nativeMs: number, kernels: KernelStat[], top: number, pool: PoolReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`.padStart(7);
  const lines = [`${'kernel'.padEnd(34)} ${'calls'.padStart(8)} ${'total ms'.padStart(11)} ${'mean ms'.padStart(10)} ${'wall'.padStart(7)}`];
  for (const k of kernels.slice(0, top)) {
    lines.push(`${k.name.padEnd(34)} ${String(k.calls).padStart(8)} ${k.totalMs.toFixed(2).padStart(11)} ${k.meanMs.toFixed(4).padStart(10)} ${pct(k.fraction)}`);
  }
  if (kernels.length > top) {
    const rest = kernels.slice(top).reduce((s, k) => s + k.totalMs, 0);
    lines.push(`${`(${kernels.length - top} more kernels)`.padEnd(34)} ${''.padStart(8)} ${rest.toFixed(2).padStart(11)} ${''.padStart(10)} ${pct(rest / wallMs)}`);
  }
  const outside = Math.max(0, wallMs - nativeMs);
  lines.push(`${'outside native calls (JS, autograd)'.padEnd(34)} ${''.padStart(8)} ${outside.toFixed(2).padStart(11)} ${''.padStart(10)} ${pct(outside / wallMs)}`);
  lines.push(`${'wall'.padEnd(34)} ${''.padStart(8)} ${wallMs.toFixed(2).padStart(11)}`);
  if (pool.threads > 1) {
    lines.push(`thread pool (${pool.threads} threads): ${pool.regions} parallel regions, ${pool.regionMs.toFixed(1)} ms = ${pct(pool.regionMs / wallMs).trim()} of the wall; ` +
      `${pool.inlineRuns} calls ran on one thread; the caller waited ${pool.callerWaitMs.toFixed(1)} ms for workers; ` +
      `workers busy ${pool.workerBusyMs.toFixed(1)} ms = ${pct(pool.workerUtilisation).trim()} of the wall per worker`);
  }
  return lines.join('\n');
}
