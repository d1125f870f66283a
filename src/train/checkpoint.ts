// SPDX-License-Identifier: MIT
// Training checkpoints as safetensors files: model, EMA and optimizer tensors under the prefixes
// `model.`, `ema.`, `optim.`, and as string metadata the step, the RNG states, the config and any
// other JSON state (a data loader's position, say). Files are named ckpt-<step>.safetensors,
// written atomically (see atomic.ts), the last `keep` are kept, and latestCheckpoint() returns the
// newest file that validates, so a run killed mid-write resumes from the previous checkpoint.
import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { argError, checkFunction, checkInt, checkKnownKeys, checkOptions, show } from '../errors.js';
import type { RandomKey } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { DataFormatError } from '../io/errors.js';
import { fileError, removeOrphanTemps } from '../io/atomic.js';
import { CHECKSUM_KEY, inspectSafetensors, LEGACY_CHECKSUM_KEY, readSafetensors, readSafetensorsRaw, writeSafetensors } from '../io/safetensors.js';

export const CHECKPOINT_FORMAT = 'lcss-checkpoint/1';
const NAME = /^ckpt-(\d{10})\.safetensors$/;
const GROUPS = ['model', 'ema', 'optim'] as const;
type Group = (typeof GROUPS)[number];

type TensorMap = Map<string, Tensor> | Record<string, Tensor>;
type RngLike = RandomKey | { getState(): RandomKey };

export interface CheckpointState {
  /** Training step (a non-negative integer; names the file). */
  step: number;
  /** Model parameters and buffers (Module.stateDict()). */
  model: TensorMap;
  /** EMA copy of the parameters. */
  ema?: TensorMap;
  /** Optimizer state tensors (moments, step counts as 0-d tensors...). */
  optim?: TensorMap;
  /** Random generators or their states, by name (stored as JSON). */
  rng?: Record<string, RngLike>;
  /** The run's configuration (any JSON value). */
  config?: unknown;
  /** Any other JSON state to resume with (e.g. { loader: loader.position() }). */
  state?: unknown;
}

export interface SaveOptions {
  /** Keep this many newest checkpoints in the directory, deleting older ones (default 3; 0 keeps all). */
  keep?: number;
}

export interface Checkpoint {
  path: string;
  step: number;
  model: Map<string, Tensor>;
  ema: Map<string, Tensor>;
  optim: Map<string, Tensor>;
  rng: Record<string, RandomKey>;
  config: unknown;
  state: unknown;
  /** The raw string metadata of the file. */
  metadata: Record<string, string>;
  /** Frees every tensor of the checkpoint. */
  dispose(): void;
}

export function checkpointPath(dir: string, step: number): string {
  if (typeof dir !== 'string') throw argError('checkpointPath', 'dir', dir, 'a folder path');
  checkInt('checkpointPath', 'step', step, 0, 9_999_999_999);
  return join(dir, `ckpt-${String(step).padStart(10, '0')}.safetensors`);
}

/** Checkpoint files of `dir` by name, oldest step first (not validated). */
export function listCheckpoints(dir: string): { path: string; step: number }[] {
  if (typeof dir !== 'string') throw argError('listCheckpoints', 'dir', dir, 'a folder path');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = NAME.exec(n);
    return m ? [{ path: join(dir, n), step: Number(m[1]) }] : [];
  }).sort((a, b) => a.step - b.step);
}

function entries(fn: string, group: Group, m: TensorMap | undefined): [string, Tensor][] {
  if (m === undefined) return [];
  if (!(m instanceof Map) && (typeof m !== 'object' || m === null)) throw argError(fn, group, m, 'a Map or object of tensors');
  return (m instanceof Map ? [...m] : Object.entries(m)).map(([k, t]) => [`${group}.${k}`, t]);
}

function json(fn: string, arg: string, v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (e) {
    throw argError(fn, arg, v, `a JSON-serialisable value (${(e as Error).message})`);
  }
  if (s === undefined) throw argError(fn, arg, v, 'a JSON-serialisable value');
  return s;
}

/** Writes `state` as dir/ckpt-<step>.safetensors (atomically) and prunes to the newest `keep`. */
export function saveCheckpoint(dir: string, state: CheckpointState, o: SaveOptions = {}): string {
  const fn = 'saveCheckpoint';
  if (typeof dir !== 'string' || !dir) throw argError(fn, 'dir', dir, 'a folder path');
  if (!state || typeof state !== 'object') throw argError(fn, 'state', state, 'an object {step, model, ema?, optim?, rng?, config?, state?}');
  const step = checkInt(fn, 'state.step', state.step, 0, 9_999_999_999);
  const keep = checkInt(fn, 'keep', o.keep ?? 3, 0);
  const tensors = new Map<string, Tensor>([...entries(fn, 'model', state.model), ...entries(fn, 'ema', state.ema), ...entries(fn, 'optim', state.optim)]);
  const rng: Record<string, RandomKey> = {};
  if (state.rng !== undefined && (state.rng === null || typeof state.rng !== 'object')) throw argError(fn, 'state.rng', state.rng, 'an object of generators or {seed, offset} states');
  for (const [k, g] of Object.entries(state.rng ?? {})) {
    if (!g || typeof g !== 'object') throw argError(fn, `rng.${k}`, g, 'a Generator or a {seed, offset} state');
    const s = typeof (g as { getState?: unknown }).getState === 'function' ? (g as { getState(): RandomKey }).getState() : (g as RandomKey);
    rng[k] = { seed: checkInt(fn, `rng.${k}.seed`, s?.seed, 0), offset: checkInt(fn, `rng.${k}.offset`, s?.offset, 0) };
  }
  const metadata: Record<string, string> = {
    'lcss.format': CHECKPOINT_FORMAT,
    'lcss.step': String(step),
    'lcss.rng': JSON.stringify(rng),
    'lcss.config': json(fn, 'config', state.config ?? null),
    'lcss.state': json(fn, 'state', state.state ?? null),
  };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw fileError(fn, dir, e);
  }
  removeOrphanTemps(dir);
  const path = checkpointPath(dir, step);
  writeSafetensors(path, tensors, { metadata });
  if (keep > 0) {
    // the newest `keep` by step stay; the file just written is never removed
    const all = listCheckpoints(dir);
    for (const c of all.slice(0, Math.max(0, all.length - keep))) {
      if (c.path === path) continue;
      try {
        unlinkSync(c.path);
      } catch {
        /* removed by someone else */
      }
    }
  }
  return path;
}

function checkFormat(fn: string, path: string, meta: Record<string, string>): number {
  if (meta['lcss.format'] !== CHECKPOINT_FORMAT)
    throw new DataFormatError(`${fn}: ${path} at byte 8: expected metadata lcss.format = ${CHECKPOINT_FORMAT}, got ${JSON.stringify(meta['lcss.format'])} (not an lcss checkpoint)`, path, 8);
  const step = Number(meta['lcss.step']);
  if (!Number.isSafeInteger(step) || step < 0) throw new DataFormatError(`${fn}: ${path} at byte 8: metadata lcss.step ${JSON.stringify(meta['lcss.step'])} is not a step number`, path, 8);
  return step;
}

function parseJson(fn: string, path: string, meta: Record<string, string>, key: string): unknown {
  if (meta[key] === undefined) return null;
  try {
    return JSON.parse(meta[key]);
  } catch (e) {
    throw new DataFormatError(`${fn}: ${path} at byte 8: metadata ${key} is not JSON (${(e as Error).message})`, path, 8);
  }
}

export interface LoadOptions {
  /**
   * 'require' (default): the file must carry a whole-file checksum and match it, so an edited
   * header (swapped offsets, a changed RNG state or data position) or flipped data is refused.
   * 'any': also accept a file with only the data checksum of an older lcss (its data is verified,
   * its header cannot be); a file with no checksum at all is still refused.
   */
  verify?: 'require' | 'any';
}

function isKey(v: unknown): v is RandomKey {
  const k = v as RandomKey;
  return !!k && typeof k === 'object' && Number.isSafeInteger(k.seed) && k.seed >= 0 && Number.isSafeInteger(k.offset) && k.offset >= 0;
}

/** Loads a checkpoint file (validated, checksum verified); its tensors are owned by the caller. */
export function loadCheckpoint(path: string, o: LoadOptions = {}): Checkpoint {
  const fn = 'loadCheckpoint';
  const opts = checkOptions(fn, 'options', o);
  checkKnownKeys(fn, 'options', opts, ['verify']);
  const verify = opts.verify ?? 'require';
  if (verify !== 'require' && verify !== 'any') throw argError(fn, 'verify', verify, "'require' or 'any'");
  if (verify === 'any') {
    const m = inspectSafetensors(path).metadata;
    if (m[CHECKSUM_KEY] === undefined && m[LEGACY_CHECKSUM_KEY] === undefined)
      throw new DataFormatError(`${fn}: ${path} at byte 8: has no checksum metadata, so its contents cannot be trusted`, path, 8);
  }
  const { tensors, metadata } = readSafetensors(path, { verify: verify === 'any' ? true : 'require' });
  const all = [...tensors.values()];
  const bad = (what: string) => new DataFormatError(`${fn}: ${path} at byte 8: ${what}`, path, 8);
  try {
    const step = checkFormat(fn, path, metadata);
    const named = NAME.exec(basename(path));
    if (named && Number(named[1]) !== step) throw bad(`metadata lcss.step ${step} does not match the file name's step ${Number(named[1])}`);
    const groups: Record<Group, Map<string, Tensor>> = { model: new Map(), ema: new Map(), optim: new Map() };
    for (const [name, t] of tensors) {
      const dot = name.indexOf('.');
      const g = name.slice(0, dot) as Group;
      if (dot < 1 || !GROUPS.includes(g)) throw bad(`tensor ${JSON.stringify(name)} is not under model., ema. or optim.`);
      groups[g].set(name.slice(dot + 1), t);
    }
    const rngJson = parseJson(fn, path, metadata, 'lcss.rng') ?? {};
    if (typeof rngJson !== 'object' || Array.isArray(rngJson)) throw bad(`metadata lcss.rng is ${show(rngJson)}, expected an object of {seed, offset} generator states`);
    const rng: Record<string, RandomKey> = Object.create(null);
    for (const [k, v] of Object.entries(rngJson as object)) {
      if (!isKey(v)) throw bad(`metadata lcss.rng[${JSON.stringify(k)}] is ${show(v)}, expected {seed, offset} with non-negative integers`);
      rng[k] = { seed: v.seed, offset: v.offset };
    }
    return {
      path, step, ...groups,
      rng,
      config: parseJson(fn, path, metadata, 'lcss.config'),
      state: parseJson(fn, path, metadata, 'lcss.state'),
      metadata,
      dispose: () => all.forEach((t) => t.dispose()),
    };
  } catch (e) {
    all.forEach((t) => t.dispose());
    throw e;
  }
}

/** Throws a DataFormatError saying why `c` is not a usable checkpoint. */
function checkCandidate(fn: string, c: { path: string; step: number }, verify: 'header' | 'full'): void {
  const head = inspectSafetensors(c.path).metadata;
  // full: the whole-file checksum, or an older lcss's data checksum (checked when present)
  const meta = verify === 'full' ? readSafetensorsRaw(c.path, { verify: head[CHECKSUM_KEY] !== undefined ? 'require' : true }).metadata : head;
  const step = checkFormat(fn, c.path, meta);
  if (step !== c.step) throw new DataFormatError(`${fn}: ${c.path} at byte 8: records step ${step} but is named for step ${c.step}`, c.path, 8);
  if (meta[CHECKSUM_KEY] === undefined && meta[LEGACY_CHECKSUM_KEY] === undefined)
    throw new DataFormatError(`${fn}: ${c.path} at byte 8: has no checksum metadata, so its contents cannot be trusted`, c.path, 8);
}

export interface LatestOptions {
  /**
   * 'header' (default): the header parses, its offsets tile the file exactly, the metadata is an
   * lcss checkpoint's and carries a checksum, which catches every truncated or half-written file
   * cheaply. 'full': also reads the whole file and checks its SHA-256 (catches bit rot and edits,
   * costs a full read per file).
   */
  verify?: 'header' | 'full';
  /** Told about each file skipped as invalid, newest first. */
  onSkip?: (path: string, error: Error) => void;
}

/** The newest checkpoint in `dir` that validates, or null. Never returns a temp or damaged file. */
export function latestCheckpoint(dir: string, o: LatestOptions = {}): string | null {
  const fn = 'latestCheckpoint';
  const opts = checkOptions(fn, 'options', o);
  checkKnownKeys(fn, 'options', opts, ['verify', 'onSkip']);
  const verify = opts.verify ?? 'header';
  if (verify !== 'header' && verify !== 'full') throw argError(fn, 'verify', verify, "'header' or 'full'");
  const onSkip = opts.onSkip === undefined ? undefined : checkFunction<(p: string, e: Error) => void>(fn, 'onSkip', opts.onSkip);
  for (const c of listCheckpoints(dir).reverse()) {
    try {
      checkCandidate(fn, c, verify);
      return c.path;
    } catch (e) {
      if (!(e instanceof DataFormatError)) throw e;
      onSkip?.(c.path, e);
    }
  }
  return null;
}
