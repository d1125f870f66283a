// SPDX-License-Identifier: MIT
// The training loop shared by every objective: one tidy per step (forward, loss, backward, Adam,
// EMA), JSONL metrics, progress, periodic evaluation with the EMA weights, and atomic checkpoints
// that carry everything a bit-exact resume needs (model, EMA, optimiser moments, generator states,
// data position, config). The loop yields to the event loop between steps and can be cancelled.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, show } from '../errors.js';
import { backward } from '../autograd/engine.js';
import { lineChart } from '../eval/plot.js';
import { noGrad } from '../autograd/mode.js';
import { copy_ } from '../ops/inplace.js';
import { tidy } from '../tensor/scope.js';
import { defaultDevice, withDefaultDevice, type DeviceLike } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import { buildComponents, type Components } from './build.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { drawSamples, evaluateDigits, evaluateToy } from './evaluate.js';
import { fmt, formatDuration, Progress } from './progress.js';

export interface TrainOptions {
  /** continue from the latest checkpoint in config.out (true) or from this checkpoint file */
  resume?: boolean | string;
  signal?: AbortSignal;
  /** no progress output */
  quiet?: boolean;
  /** plain log lines even on a TTY */
  plain?: boolean;
  /** skip evaluations (tests) */
  noEval?: boolean;
  /** called with every metrics record as it is written */
  onMetrics?: (record: Record<string, unknown>) => void;
  /**
   * Device of the run ('cpu', 'cuda', 'cuda:N'; default: the current default device): the model,
   * optimiser state, batches and noise are created there. Not part of the config, so a checkpoint
   * resumes on any device.
   */
  device?: DeviceLike;
}

export interface TrainResult {
  step: number;
  /** mean loss over the last logging window */
  loss: number;
  seconds: number;
  itPerSec: number;
  lastEval?: Record<string, number>;
  out: string;
  /** the trained components (dispose them when done: result.dispose()) */
  components: Components;
  dispose(): void;
}

/** Keys whose change would make a resumed run a different run. */
const IDENTITY_KEYS = ['data', 'batchSize', 'model', 'sde', 'loss', 'optim', 'ema', 'seed'] as const;

function emaMap(c: Components): Map<string, Tensor> {
  return new Map(c.model.namedParameters().map(([n], i) => [n, c.ema.shadow[i]]));
}

function save(cfg: TrainConfig, c: Components, step: number): string {
  return saveCheckpoint(cfg.out, {
    step,
    model: c.model.stateDict(),
    ema: emaMap(c),
    optim: c.opt.state().tensors,
    rng: { loss: c.generators.loss, dropout: c.generators.dropout },
    config: cfg,
    state: { data: c.data.state(), optimStep: c.opt.stepCount, emaUpdates: c.ema.numUpdates },
  }, { keep: cfg.keepCkpts });
}

function restore(cfg: TrainConfig, c: Components, path: string): number {
  const ck = loadCheckpoint(path);
  try {
    const old = ck.config as Record<string, unknown>;
    const diffs = IDENTITY_KEYS.filter((k) => JSON.stringify(old?.[k]) !== JSON.stringify((cfg as unknown as Record<string, unknown>)[k]));
    if (diffs.length)
      throw new ArgumentError(`resume: ${path} was trained with a different ${diffs.join(', ')} (checkpoint: ${diffs.map((k) => `${k}=${show(old?.[k])}`).join('; ')}); use a new --out to start another run`);
    c.model.loadStateDict(ck.model);
    const shadow = emaMap(c);
    noGrad(() => {
      for (const [n, t] of shadow) {
        const src = ck.ema.get(n);
        if (!src) throw new ArgumentError(`resume: ${path} has no EMA entry for ${n}`);
        copy_(t, src);
      }
    });
    const st = ck.state as { data: unknown; optimStep: number; emaUpdates: number };
    c.opt.loadState({ step: st.optimStep, tensors: ck.optim });
    c.ema.numUpdates = st.emaUpdates;
    c.generators.loss.setState(ck.rng.loss);
    c.generators.dropout.setState(ck.rng.dropout);
    c.data.restore(st.data);
    return ck.step;
  } finally {
    ck.dispose();
  }
}

/** Reads metrics.jsonl, keeping records up to `step` (a resumed run redoes the later ones). */
function readMetrics(file: string, upTo = Infinity): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r.step === 'number' && r.step <= upTo) out.push(r);
    } catch {
      /* a line cut by a crash */
    }
  }
  return out;
}

function plotLoss(file: string, records: Record<string, unknown>[], title: string): void {
  const pts = records.filter((r) => typeof r.loss === 'number');
  if (pts.length < 2) return;
  lineChart({ name: 'loss', x: pts.map((r) => r.step as number), y: pts.map((r) => r.loss as number) }, { title, xLabel: 'step', yLabel: 'loss' }).save(file);
}

/** Draws samples with the EMA weights and evaluates them; writes samples PNG. */
export async function evaluateRun(cfg: TrainConfig, c: Components, step: number, signal?: AbortSignal): Promise<Record<string, number>> {
  c.ema.store();
  c.ema.copyTo();
  c.model.train(false);
  try {
    const shape = [cfg.sampling.n ?? (c.data.kind === 'toy' ? 2000 : 64), ...c.data.itemShape];
    const t0 = Date.now();
    const { x, nfe } = await drawSamples({ sde: cfg.sde, score: c.score, shape, sampling: cfg.sampling, seed: cfg.seed * 7919 + 5 + step, signal });
    try {
      const r = c.data.kind === 'toy' ? evaluateToy(x, c.data.toy!) : c.data.images && cfg.data.name === 'mnist' ? evaluateDigits(x, c.data.range) : null;
      const name = join(cfg.out, `samples-${String(step).padStart(7, '0')}.png`);
      if (r) r.plot.save(name);
      else {
        const { imageGrid } = await import('../eval/plot.js');
        imageGrid(x.shape[0] > 64 ? x.narrow(0, 0, 64) : x, { range: c.data.range }).save(name);
      }
      return { ...(r?.metrics ?? {}), nfe, sampleSeconds: (Date.now() - t0) / 1000 };
    } finally {
      x.dispose();
    }
  } finally {
    c.ema.restore();
    c.model.train(true);
  }
}

/** Trains per `cfg`; resolves when done (or cancelled, after a final checkpoint). */
export async function train(cfg: TrainConfig, o: TrainOptions = {}): Promise<TrainResult> {
  return withDefaultDevice(o.device ?? defaultDevice(), () => trainOnDefaultDevice(cfg, o));
}

async function trainOnDefaultDevice(cfg: TrainConfig, o: TrainOptions): Promise<TrainResult> {
  mkdirSync(cfg.out, { recursive: true });
  const metricsFile = join(cfg.out, 'metrics.jsonl');
  const c = buildComponents(cfg);
  const progress = new Progress(cfg.steps, { quiet: o.quiet, plain: o.plain });
  let start = 0;
  try {
    if (o.resume) {
      const path = typeof o.resume === 'string' ? o.resume : latestCheckpoint(cfg.out);
      if (path) {
        start = restore(cfg, c, path);
        progress.log(`resumed from ${path} at step ${start}`);
      } else progress.log(`no checkpoint in ${cfg.out}: starting from step 0`);
    }
  } catch (e) {
    dispose(c);
    throw e;
  }
  // the metrics file holds exactly the steps done so far
  const kept = readMetrics(metricsFile, start);
  writeFileSync(metricsFile, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  writeFileSync(join(cfg.out, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  const record = (r: Record<string, unknown>) => {
    appendFileSync(metricsFile, JSON.stringify(r) + '\n');
    kept.push(r);
    o.onMetrics?.(r);
  };

  const t0 = Date.now();
  let winSum = 0, winN = 0, winStart = Date.now(), lastLoss = NaN, lastEval: Record<string, number> | undefined;
  let step = start;
  progress.log(`training ${cfg.loss.name} on ${cfg.data.name} (${cfg.model}, ${cfg.sde.name} SDE): steps ${start + 1}..${cfg.steps}, ${c.model.numParameters().toLocaleString('en-US')} parameters, out ${cfg.out}`);
  try {
    while (step < cfg.steps) {
      if (o.signal?.aborted) break;
      step++;
      const x = c.data.next();
      let value: number;
      try {
        value = tidy(() => {
          c.opt.zeroGrad();
          const l = c.loss((xt: Tensor, t: Tensor | null) => c.score(xt, t!), x);  // time-conditioned: t is always given
          backward(l);
          c.opt.step();
          c.ema.update();
          return l.item();
        });
      } finally {
        x.dispose();
      }
      if (!Number.isFinite(value)) throw new ArgumentError(`train: the loss became ${value} at step ${step}; lower optim.lr or raise optim.gradClip`);
      winSum += value;
      winN++;
      const itps = winN / Math.max((Date.now() - winStart) / 1000, 1e-9);
      progress.update(step, value, itps);
      if (step % cfg.logEvery === 0 || step === cfg.steps) {
        lastLoss = winSum / winN;
        const rec = { step, loss: lastLoss, lr: c.opt.currentLr(), gradNorm: c.opt.lastGradNorm, itPerSec: itps, seconds: (Date.now() - t0) / 1000 };
        record(rec);
        const eta = (cfg.steps - step) / Math.max(itps, 1e-9);
        progress.log(`step ${step}/${cfg.steps}  loss ${fmt(lastLoss)}  lr ${fmt(rec.lr)}  ${itps.toFixed(1)} it/s  ETA ${formatDuration(eta)}`);
        winSum = 0;
        winN = 0;
        winStart = Date.now();
      }
      if (step % cfg.ckptEvery === 0 || step === cfg.steps) save(cfg, c, step);
      if (!o.noEval && ((cfg.evalEvery > 0 && step % cfg.evalEvery === 0) || step === cfg.steps)) {
        progress.log(`evaluating at step ${step} (${cfg.sampling.method ?? 'pc'} sampler, ${cfg.sampling.n ?? ''} samples)...`);
        lastEval = await evaluateRun(cfg, c, step, o.signal);
        record({ step, eval: lastEval });
        progress.log(`eval ${Object.entries(lastEval).map(([k, v]) => `${k} ${fmt(v)}`).join('  ')}`);
        plotLoss(join(cfg.out, 'loss.png'), kept, `${cfg.loss.name} on ${cfg.data.name}`);
      }
      await new Promise<void>((r) => setImmediate(r));
    }
    if (o.signal?.aborted && step > start && step % cfg.ckptEvery !== 0) {
      save(cfg, c, step);
      progress.log(`cancelled at step ${step}; checkpoint saved`);
    }
  } finally {
    progress.done();
  }
  plotLoss(join(cfg.out, 'loss.png'), kept, `${cfg.loss.name} on ${cfg.data.name}`);
  const seconds = (Date.now() - t0) / 1000;
  const summary = { step, loss: lastLoss, seconds, itPerSec: (step - start) / Math.max(seconds, 1e-9), lastEval };
  writeFileSync(join(cfg.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return { ...summary, out: cfg.out, components: c, dispose: () => dispose(c) };
}

function dispose(c: Components): void {
  c.opt.zeroGrad();
  c.opt.dispose();
  c.ema.dispose();
  c.model.dispose();
}
