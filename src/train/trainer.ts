// SPDX-License-Identifier: MIT
// The training loop shared by every objective: one tidy per step (forward, loss, backward, Adam,
// EMA), JSONL metrics, progress, periodic evaluation with the EMA weights, and atomic checkpoints
// that carry everything a bit-exact resume needs (model, EMA, optimiser moments, generator states,
// data position, config). The loop yields to the event loop between steps and can be cancelled.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { argError, ArgumentError, checkBool, checkFunction, checkInt, checkKnownKeys, checkOptions, show } from '../errors.js';
import { backward } from '../autograd/engine.js';
import { renderChart } from '../eval/plot.js';
import { lossChartSpec } from '../eval/run_charts.js';
import { noGrad } from '../autograd/mode.js';
import { copy_ } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import { defaultDevice, withDefaultDevice, type DeviceLike } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import { buildComponents, type Components } from './build.js';
import { DataFormatError } from '../io/errors.js';
import { atomicWriteFile, fileError } from '../io/atomic.js';
import { listCheckpoints, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { CHECKSUM_KEY, inspectSafetensors, LEGACY_CHECKSUM_KEY } from '../io/safetensors.js';
import { validateConfig, type TrainConfig } from './config.js';
import { drawSamples, evaluateDigits, evaluateToy } from './evaluate.js';
import { fmt, formatDuration, Progress } from './progress.js';
import { DataParallelRun, rankDevice, type DistributedTrainOptions } from './data_parallel.js';

export interface TrainOptions {
  /**
   * Continue from the newest valid checkpoint in config.out (true: damaged ones are skipped, each
   * logged with its reason) or from this checkpoint file.
   */
  resume?: boolean | string;
  /**
   * Start over from step 0 in a folder that already holds a run, removing its checkpoints and
   * metrics first. Without it, training into such a folder is refused (its saved work would be
   * overwritten), and so is a resume that finds only damaged checkpoints.
   */
  restart?: boolean;
  signal?: AbortSignal;
  /** no progress output */
  quiet?: boolean;
  /** plain log lines even on a TTY */
  plain?: boolean;
  /** skip evaluations (tests) */
  noEval?: boolean;
  /** called with every metrics record as it is written */
  onMetrics?: (record: Record<string, unknown>) => void;
  /** called after every step (a spawned training forwards it to the host thread) */
  onProgress?: (p: { step: number; total: number; loss: number; itPerSec: number }) => void;
  /**
   * Device of the run ('cpu', 'cuda', 'cuda:N'; default: the current default device): the model,
   * optimiser state, batches and noise are created there. Not part of the config, so a checkpoint
   * resumes on any device.
   */
  device?: DeviceLike;
  /**
   * Train as one rank of a data-parallel job (started by mpirun or srun; alone otherwise):
   * config.batchSize is the global batch, each rank trains on its shard, gradients are averaged
   * across ranks, and rank 0 alone writes the run folder. true, or { timeout, bucketCapMB }.
   */
  distributed?: boolean | DistributedTrainOptions;
}

export interface TrainResult {
  step: number;
  /** mean loss over the last logging window */
  loss: number;
  seconds: number;
  itPerSec: number;
  lastEval?: Record<string, number>;
  out: string;
  /** ranks that trained it (1 unless distributed) */
  worldSize: number;
  /** the trained components (dispose them when done: result.dispose()) */
  components: Components;
  dispose(): void;
}

/** Keys whose change would make a resumed run a different run. */
const IDENTITY_KEYS = ['data', 'batchSize', 'model', 'sde', 'loss', 'optim', 'ema', 'seed'] as const;

function emaMap(c: Components): Map<string, Tensor> {
  return new Map(c.model.namedParameters().map(([n], i) => [n, c.ema.shadow[i]]));
}

function save(cfg: TrainConfig, c: Components, step: number, worldSize = 1): string {
  return saveCheckpoint(cfg.out, {
    step,
    model: c.model.stateDict(),
    ema: emaMap(c),
    optim: c.opt.state().tensors,
    rng: { loss: c.generators.loss, dropout: c.generators.dropout },
    config: cfg,
    state: { data: c.data.state(), optimStep: c.opt.stepCount, emaUpdates: c.ema.numUpdates, worldSize },
  }, { keep: cfg.keepCkpts });
}

function isKey(v: unknown): v is { seed: number; offset: number } {
  const k = v as { seed: number; offset: number };
  return !!k && typeof k === 'object' && Number.isSafeInteger(k.seed) && k.seed >= 0 && Number.isSafeInteger(k.offset) && k.offset >= 0;
}

/**
 * Loads the checkpoint at `path` into the components and returns its step. Everything is checked
 * before anything is changed, so a checkpoint refused here leaves the components as built: a
 * DataFormatError means the file is damaged (the caller may try an older one); an ArgumentError
 * means it belongs to another run.
 */
function restore(cfg: TrainConfig, c: Components, path: string, progress: Progress): number {
  const ck = loadLegacyAware(path, progress);
  const bad = (what: string) => new DataFormatError(`train: ${path} at byte 8: ${what}`, path, 8);
  try {
    const old = ck.config as Record<string, unknown> | null;
    if (!old || typeof old !== 'object') throw bad(`metadata lcss.config is ${show(old)}, expected the run's configuration`);
    const diffs = IDENTITY_KEYS.filter((k) => JSON.stringify(old[k]) !== JSON.stringify((cfg as unknown as Record<string, unknown>)[k]));
    if (diffs.length)
      throw new ArgumentError(`train: cannot resume from ${path}: it was trained with a different ${diffs.join(', ')} (checkpoint: ${diffs.map((k) => `${k}=${show(old[k])}`).join('; ')}); use a new --out to start another run`);
    const st = ck.state as { data?: unknown; optimStep?: unknown; emaUpdates?: unknown } | null;
    if (!st || typeof st !== 'object') throw bad(`metadata lcss.state is ${show(st)}, expected {data, optimStep, emaUpdates}`);
    for (const k of ['optimStep', 'emaUpdates'] as const)
      if (!Number.isSafeInteger(st[k]) || (st[k] as number) < 0) throw bad(`metadata lcss.state.${k} is ${show(st[k])}, expected a non-negative integer`);
    for (const g of ['loss', 'dropout']) if (!isKey(ck.rng[g])) throw bad(`metadata lcss.rng has no valid "${g}" generator state (got ${show(ck.rng[g])})`);
    const shadow = emaMap(c);
    for (const n of shadow.keys()) if (!ck.ema.has(n)) throw bad(`no EMA entry for parameter ${n}`);
    c.model.loadStateDict(ck.model);
    noGrad(() => {
      for (const [n, t] of shadow) copy_(t, ck.ema.get(n)!);
    });
    c.opt.loadState({ step: st.optimStep as number, tensors: ck.optim });
    c.ema.numUpdates = st.emaUpdates as number;
    c.generators.loss.setState(ck.rng.loss);
    c.generators.dropout.setState(ck.rng.dropout);
    c.data.restore(st.data);
    return ck.step;
  } finally {
    ck.dispose();
  }
}

/**
 * loadCheckpoint with the whole-file checksum required; a checkpoint of lcss before 0.3, which
 * carries only a checksum of its data, is still resumed (its header cannot be verified: said in
 * the log), so upgrading in the middle of a run loses nothing. The next checkpoint is new-style.
 */
function loadLegacyAware(path: string, progress: Progress) {
  const meta = inspectSafetensors(path).metadata;
  if (meta[CHECKSUM_KEY] === undefined && meta[LEGACY_CHECKSUM_KEY] !== undefined) {
    const ck = loadCheckpoint(path, { verify: 'any' });
    progress.log(`${path} was written by an older lcss: its data checksum matches, but its header (step, generator states, data position) cannot be verified`);
    return ck;
  }
  return loadCheckpoint(path);
}

/**
 * Where a run in `cfg.out` starts: the step of the checkpoint restored (0 when none), after the
 * checks that keep saved work safe. Logs every checkpoint it skips and why.
 */
function resumePoint(cfg: TrainConfig, c: Components, o: TrainOptions, progress: Progress): { start: number; from: string | null } {
  const existing = listCheckpoints(cfg.out);
  if (typeof o.resume === 'string') return { start: restore(cfg, c, o.resume, progress), from: o.resume };
  if (o.resume) {
    const skipped: string[] = [];
    for (const { path } of [...existing].reverse()) {
      try {
        return { start: restore(cfg, c, path, progress), from: path };
      } catch (e) {
        if (!(e instanceof DataFormatError)) throw e;
        const why = e.message.replace(/^\w+: /, '');
        skipped.push(why);
        progress.log(`skipping damaged checkpoint: ${why}`);
      }
    }
    if (existing.length && !o.restart)
      throw new DataFormatError(`train: cannot resume: none of the ${existing.length} checkpoints in ${cfg.out} is usable (${skipped.join('; ')}); pass restart (--restart) to start over from step 0`, cfg.out, -1);
    if (!existing.length) progress.log(`no checkpoint in ${cfg.out}: starting from step 0`);
  } else if (existing.length && !o.restart) {
    throw new ArgumentError(`train: ${cfg.out} already holds a run (checkpoints up to step ${existing.at(-1)!.step}); pass resume (--resume) to continue it, restart (--restart) to start over, or choose another out folder`);
  }
  if (existing.length) {
    // starting over: the old run's checkpoints would otherwise outrank the new run's on a later resume
    for (const f of [...existing.map((e) => e.path), join(cfg.out, 'metrics.jsonl'), join(cfg.out, 'summary.json')]) rmSync(f, { force: true });
    progress.log(`restart: removed the ${existing.length} checkpoints and the metrics of the previous run in ${cfg.out}`);
  }
  return { start: 0, from: null };
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

/** loss.png: the dashboard's loss chart of this run, as a PNG. */
async function plotLoss(file: string, records: Record<string, unknown>[], title: string): Promise<void> {
  if (records.filter((r) => typeof r.loss === 'number').length < 2) return;
  (await renderChart(lossChartSpec([{ name: 'loss', records }], { title }))).save(file);
}

/** Draws samples with the EMA weights and evaluates them; writes samples PNG. */
export async function evaluateRun(cfg: TrainConfig, c: Components, step: number, signal?: AbortSignal): Promise<Record<string, number>> {
  validateConfig(cfg as unknown as Record<string, unknown>);
  if (!c || typeof c !== 'object' || !c.ema || !c.model || typeof c.score !== 'function' || !c.data)
    throw argError('evaluateRun', 'components', c, 'the components of a run (buildComponents(config), or train(...).components)');
  checkInt('evaluateRun', 'step', step, 0);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw argError('evaluateRun', 'signal', signal, 'an AbortSignal');
  c.ema.store();
  c.ema.copyTo();
  c.model.train(false);
  try {
    const shape = [cfg.sampling.n ?? (c.data.kind === 'toy' ? 2000 : 64), ...c.data.itemShape];
    const t0 = Date.now();
    const { x, nfe } = await drawSamples({ sde: cfg.sde, score: c.score, shape, sampling: cfg.sampling, seed: cfg.seed * 7919 + 5 + step, signal });
    try {
      const r = c.data.kind === 'toy' ? await evaluateToy(x, c.data.toy!) : c.data.images && cfg.data.name === 'mnist' ? evaluateDigits(x, c.data.range) : null;
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
  const fn = 'train';
  validateConfig(cfg as unknown as Record<string, unknown>);
  const opts = checkOptions(fn, 'options', o) as TrainOptions;
  checkKnownKeys(fn, 'options', opts, ['resume', 'restart', 'signal', 'quiet', 'plain', 'noEval', 'onMetrics', 'onProgress', 'device', 'distributed']);
  if (opts.distributed !== undefined && typeof opts.distributed !== 'boolean' && (typeof opts.distributed !== 'object' || opts.distributed === null))
    throw argError(fn, 'distributed', opts.distributed, 'true, false or { timeout, bucketCapMB }');
  if (opts.resume !== undefined && typeof opts.resume !== 'boolean' && (typeof opts.resume !== 'string' || !opts.resume))
    throw argError(fn, 'resume', opts.resume, 'true, false or a checkpoint path');
  for (const k of ['restart', 'quiet', 'plain', 'noEval'] as const) if (opts[k] !== undefined) checkBool(fn, k, opts[k]);
  if (opts.onMetrics !== undefined) checkFunction(fn, 'onMetrics', opts.onMetrics);
  if (opts.onProgress !== undefined) checkFunction(fn, 'onProgress', opts.onProgress);
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw argError(fn, 'signal', opts.signal, 'an AbortSignal');
  const dev = opts.distributed ? rankDevice(opts.device ?? defaultDevice()) : (opts.device ?? defaultDevice());
  return withDefaultDevice(dev, () => trainOnDefaultDevice(cfg, opts));
}

async function trainOnDefaultDevice(cfg: TrainConfig, o: TrainOptions): Promise<TrainResult> {
  const c = buildComponents(cfg);
  let dp: DataParallelRun | null = null;
  try {
    if (o.distributed) dp = DataParallelRun.join('train', cfg.batchSize, c, o.distributed);
  } catch (e) {
    dispose(c);
    throw e;
  }
  // rank 0 alone writes the run folder; the other ranks compute and say nothing
  const main = !dp || dp.isMain;
  const worldSize = dp?.world.size ?? 1;
  const metricsFile = join(cfg.out, 'metrics.jsonl');
  const progress = new Progress(cfg.steps, { quiet: o.quiet || !main, plain: o.plain });
  let start = 0;
  try {
    const decide = (): number => {
      try {
        mkdirSync(cfg.out, { recursive: true });
      } catch (e) {
        throw fileError('train', cfg.out, e);
      }
      const r = resumePoint(cfg, c, o, progress);
      if (r.from) {
        // nothing in out has been touched yet: a resume past the end refuses without harm
        if (r.start >= cfg.steps)
          throw new ArgumentError(`train: the run in ${cfg.out} already reached step ${r.start} (${r.from}) and steps is ${cfg.steps}; raise steps (--steps) above ${r.start} to train further`);
        progress.log(`resumed from ${r.from} at step ${r.start}`);
      }
      return r.start;
    };
    start = dp ? await dp.start(c, decide) : decide();
    if (dp && main) progress.log(`data-parallel over ${worldSize} ranks (${dp.world.backend}${dp.world.library ? `: ${dp.world.library.split(',')[0]}` : ''}): ${cfg.batchSize / worldSize} of the global batch of ${cfg.batchSize} per rank, ${dp.ddp.stats.buckets} gradient bucket${dp.ddp.stats.buckets > 1 ? 's' : ''}`);
  } catch (e) {
    dp?.dispose();
    dispose(c);
    throw e;
  }
  // the metrics file holds exactly the steps done so far; both files are replaced atomically, so a
  // kill here leaves the old ones
  const kept = main ? readMetrics(metricsFile, start) : [];
  if (main) {
    atomicWriteFile(metricsFile, kept.map((r) => JSON.stringify(r) + '\n').join(''), 'train');
    atomicWriteFile(join(cfg.out, 'config.json'), JSON.stringify(cfg, null, 2) + '\n', 'train');
  }
  const record = (r: Record<string, unknown>) => {
    if (!main) return;
    appendFileSync(metricsFile, JSON.stringify(r) + '\n');
    kept.push(r);
    o.onMetrics?.(r);
  };

  const t0 = Date.now();
  let winSum = 0, winN = 0, winStart = Date.now(), lastLoss = NaN, lastEval: Record<string, number> | undefined;
  let step = start;
  let tFirst = 0, announced = false, stopped = false;
  progress.log(`training ${cfg.loss.name} on ${cfg.data.name} (${cfg.model}, ${cfg.sde.name} SDE): steps ${start + 1}..${cfg.steps}, ${c.model.numParameters().toLocaleString('en-US')} parameters, out ${cfg.out}`);
  try {
    while (step < cfg.steps) {
      // ranks stop together, at a step they agreed on (finishStep), or one would wait for the others
      if (dp ? stopped : o.signal?.aborted) break;
      step++;
      const x = c.data.next();
      let value: number;
      try {
        value = tidy(() => {
          c.opt.zeroGrad();
          const xs = dp ? dp.shard(x) : x;
          const l = c.loss((xt: Tensor, t: Tensor | null) => c.score(xt, t!), xs);  // time-conditioned: t is always given
          backward(l);
          if (!dp) {
            c.opt.step();
            c.ema.update();
          }
          return l.item();
        });
      } finally {
        x.dispose();
      }
      if (dp) {
        // the gradient buckets started during backward; wait for them, then take the same step everywhere
        const agreed = await dp.finishStep(value, !!o.signal?.aborted);
        value = agreed.loss;
        stopped = agreed.stop;
        tidy(() => {
          c.opt.step();
          c.ema.update();
        });
      }
      if (!Number.isFinite(value)) throw new ArgumentError(`train: the loss became ${value} at step ${step}; lower optim.lr or raise optim.gradClip`);
      winSum += value;
      winN++;
      const itps = winN / Math.max((Date.now() - winStart) / 1000, 1e-9);
      progress.update(step, value, itps);
      o.onProgress?.({ step, total: cfg.steps, loss: value, itPerSec: itps });
      // the expected duration, said once the speed is known: a run of hours must not start silently
      if (step === start + 1) tFirst = Date.now();
      else if (!announced && step < cfg.steps && (step - start > 10 || Date.now() - tFirst > 15_000)) {
        announced = true;
        const measured = step - start - 1; // the first step (allocation, warm-up) is not typical
        const rate = measured / Math.max((Date.now() - tFirst) / 1000, 1e-9);
        const evals = o.noEval ? 0 : cfg.evalEvery > 0 ? Math.floor(cfg.steps / cfg.evalEvery) - Math.floor(step / cfg.evalEvery) + (cfg.steps % cfg.evalEvery ? 1 : 0) : 1;
        progress.log(`expected duration: about ${formatDuration((cfg.steps - step) / rate)} for the remaining ${cfg.steps - step} steps at ${rate.toFixed(1)} it/s (measured over ${measured} steps)${evals ? `, plus ${evals} evaluation${evals > 1 ? 's' : ''}` : ''}`);
      }
      if (step % cfg.logEvery === 0 || step === cfg.steps) {
        lastLoss = winSum / winN;
        const rec: Record<string, number> = { step, loss: lastLoss, lr: c.opt.currentLr(), gradNorm: c.opt.lastGradNorm, itPerSec: itps, seconds: (Date.now() - t0) / 1000 };
        if (dp) rec.worldSize = worldSize;
        record(rec);
        const eta = (cfg.steps - step) / Math.max(itps, 1e-9);
        progress.log(`step ${step}/${cfg.steps}  loss ${fmt(lastLoss)}  lr ${fmt(rec.lr)}  ${itps.toFixed(1)} it/s  ETA ${formatDuration(eta)}`);
        winSum = 0;
        winN = 0;
        winStart = Date.now();
      }
      if (main && (step % cfg.ckptEvery === 0 || step === cfg.steps)) save(cfg, c, step, worldSize);
      if (!o.noEval && ((cfg.evalEvery > 0 && step % cfg.evalEvery === 0) || step === cfg.steps)) {
        if (main) {
          progress.log(`evaluating at step ${step} (${cfg.sampling.method ?? 'pc'} sampler, ${cfg.sampling.n ?? ''} samples)...`);
          lastEval = await evaluateRun(cfg, c, step, o.signal);
          record({ step, eval: lastEval });
          progress.log(`eval ${Object.entries(lastEval).map(([k, v]) => `${k} ${fmt(v)}`).join('  ')}`);
          await plotLoss(join(cfg.out, 'loss.png'), kept, `${cfg.loss.name} on ${cfg.data.name}`);
        }
        await dp?.waitForMain('evaluation');
      }
      await new Promise<void>((r) => setImmediate(r));
    }
    if ((dp ? stopped : o.signal?.aborted) && step > start && step % cfg.ckptEvery !== 0 && main) {
      save(cfg, c, step, worldSize);
      progress.log(`cancelled at step ${step}; checkpoint saved`);
    }
  } finally {
    progress.done();
    dp?.dispose();
  }
  if (main) await plotLoss(join(cfg.out, 'loss.png'), kept, `${cfg.loss.name} on ${cfg.data.name}`);
  const seconds = (Date.now() - t0) / 1000;
  const summary = { step, loss: lastLoss, seconds, itPerSec: (step - start) / Math.max(seconds, 1e-9), lastEval, worldSize };
  if (main) atomicWriteFile(join(cfg.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n', 'train');
  return { ...summary, out: cfg.out, components: c, dispose: () => dispose(c) };
}

function dispose(c: Components): void {
  c.opt.zeroGrad();
  c.opt.dispose();
  c.ema.dispose();
  c.model.dispose();
}
