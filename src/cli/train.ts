// SPDX-License-Identifier: MIT
import { mkdirSync, readFileSync } from 'node:fs';
import { ArgumentError } from '../errors.js';
import { PRESET_NAMES, resolveConfig, parseValue, TOP_KEYS, type TrainConfig } from '../train/config.js';
import { train } from '../train/trainer.js';
import { device } from '../tensor/device.js';
import { startDashboard, type Dashboard } from '../dashboard/server.js';
import { fileError } from '../io/atomic.js';
import { parseArgs, type CommandSpec } from './args.js';
import { rank as lc_rank } from '../distributed/process_group.js';

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'train a score model (LCSS by default) and leave checkpoints, metrics, samples and plots in --out',
  usage: 'lcss train [--preset NAME] [--config FILE] [options] [--a.b VALUE ...]',
  dotted: true,
  configKeys: TOP_KEYS,
  options: {
    preset: { type: 'string', arg: 'NAME', default: 'checkerboard', help: `starting configuration: ${PRESET_NAMES.join(', ')}` },
    config: { type: 'string', arg: 'FILE', help: 'JSON file merged over the preset' },
    data: { type: 'string', arg: 'NAME', help: 'dataset: checkerboard, 8gaussians, swissroll, moons, rings, pinwheel, 2spirals, mnist, cifar10, png, idx' },
    loss: { type: 'string', arg: 'NAME', help: 'objective: lcss, dsm, ssm, ssm-vr, fdssm, exact' },
    sde: { type: 'string', arg: 'NAME', help: 'SDE: ve, vp, subvp, doublewell' },
    model: { type: 'string', arg: 'NAME', help: 'model config name (see src/models/configs.ts)' },
    steps: { type: 'number', arg: 'N', integer: true, min: 1, help: 'training steps' },
    'batch-size': { type: 'number', arg: 'N', integer: true, min: 1, help: 'batch size' },
    lr: { type: 'number', arg: 'LR', min: 0, help: 'learning rate' },
    seed: { type: 'number', arg: 'N', integer: true, min: 0, help: 'seed of every random stream' },
    out: { type: 'string', arg: 'DIR', help: 'output directory' },
    device: { type: 'string', arg: 'NAME', help: 'where to train: cpu (default), cuda or cuda:N (an addon built with nvcc, on a machine with a GPU)' },
    resume: { type: 'boolean', help: 'continue from the newest valid checkpoint in --out (damaged ones are skipped and named)' },
    restart: { type: 'boolean', help: 'start over from step 0 in an --out that holds a run, removing its checkpoints and metrics' },
    'no-eval': { type: 'boolean', help: 'skip sampling evaluations' },
    plain: { type: 'boolean', help: 'plain log lines instead of a progress bar' },
    quiet: { type: 'boolean', help: 'no progress output' },
    distributed: { type: 'boolean', help: 'one rank of a data-parallel job: run under mpirun -np N or srun (MPI); --batch-size is the global batch' },
    'dist-timeout': { type: 'number', arg: 'S', min: 0, help: 'seconds a rank waits for the others before failing and naming the missing ones (default 300)' },
    dashboard: { type: 'boolean', help: 'serve the live dashboard of this run on 127.0.0.1 while it trains (URL printed)' },
    'dashboard-port': { type: 'number', arg: 'N', integer: true, min: 0, help: 'port of --dashboard (default: a free one)' },
    'dry-run': { type: 'boolean', help: 'print the resolved config and exit' },
  },
  examples: [
    'lcss train                                   # LCSS on the checkerboard, a few minutes on a CPU',
    'lcss train --loss dsm --out runs/cb-dsm',
    'lcss train --preset mnist --steps 5000 --loss.estimator antithetic',
    'lcss train --sde doublewell --data 8gaussians --out runs/dw   # an SDE DSM cannot train',
    'lcss train --out runs/cb --resume',
    'lcss train --preset mnist --device cuda',
    'mpirun -np 4 npx lcss train --distributed --preset mnist   # data-parallel over 4 processes',
  ],
};

const SHORT: Record<string, (c: Record<string, unknown>, v: string | number) => void> = {
  data: (c, v) => (c['data.name'] = v),
  loss: (c, v) => (c['loss.name'] = v),
  sde: (c, v) => (c['sde.name'] = v),
  model: (c, v) => (c.model = v),
  steps: (c, v) => (c.steps = v),
  'batch-size': (c, v) => (c.batchSize = v),
  lr: (c, v) => (c['optim.lr'] = v),
  seed: (c, v) => (c.seed = v),
  out: (c, v) => (c.out = v),
};

export function configFromArgs(argv: string[]): { cfg: TrainConfig; opts: Record<string, string | number | boolean> } {
  const { opts, dotted, positional } = parseArgs(trainSpec, argv);
  if (positional.length) throw new ArgumentError(`lcss train: unexpected argument ${JSON.stringify(positional[0])}`);
  let file: Record<string, unknown> | undefined;
  if (opts.config) {
    try {
      file = JSON.parse(readFileSync(String(opts.config), 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ArgumentError(`lcss train: cannot read --config ${opts.config}: ${(e as Error).message}`);
    }
  }
  const over: Record<string, unknown> = {};
  for (const [k, fn] of Object.entries(SHORT)) if (opts[k] !== undefined) fn(over, opts[k] as string | number);
  for (const [k, v] of Object.entries(dotted)) over[k] = parseValue(v);
  // A new objective, SDE or dataset by name replaces the preset's section (mergeConfig), so the
  // preset's LCSS options never leak into, say, DSM. Without --out, such runs get their own dir.
  if (over.out === undefined && file?.out === undefined && (over['loss.name'] || over['data.name'] || over['sde.name'])) {
    const parts = [over['data.name'], over['loss.name'], over['sde.name']].filter((v) => v !== undefined);
    over.out = `runs/${String(opts.preset)}-${parts.join('-')}`;
  }
  let cfg: TrainConfig;
  try {
    cfg = resolveConfig(String(opts.preset), file, over);
  } catch (e) {
    throw asFlagError(e, over, opts.config);
  }
  return { cfg, opts };
}

/**
 * A config error about a key the user gave as a flag, in the flag's words: `unknown option
 * --loss.gama (did you mean --loss.gamma?)` rather than the config's `unknown key "loss.gama"`.
 */
function asFlagError(e: unknown, over: Record<string, unknown>, configFile: unknown): unknown {
  if (!(e instanceof ArgumentError)) return e;
  const m = /^config: unknown key "([^"]+)"(?: \(did you mean "([^"]+)"\?\))?; (.*)$/.exec(e.message);
  // the flag that made the key: --loss.gama for "loss.gama", --lossx.gamma for "lossx"
  const flag = m && Object.keys(over).find((k) => k === m[1] || k.startsWith(`${m[1]}.`));
  if (m && flag)
    return new ArgumentError(`lcss train: unknown option --${flag}${m[2] ? ` (did you mean --${m[2]}${flag.slice(m[1].length)}?)` : ''}; ${m[3]}`);
  if (m && configFile !== undefined) return new ArgumentError(`lcss train: --config ${String(configFile)}: ${e.message.slice('config: '.length)}`);
  const g = /^config: (\S+) got (.*)$/.exec(e.message);
  if (g && Object.prototype.hasOwnProperty.call(over, g[1])) return new ArgumentError(`lcss train: --${g[1]} got ${g[2]}`);
  return e;
}

export async function runTrain(argv: string[]): Promise<number> {
  const { cfg, opts } = configFromArgs(argv);
  if (opts['dry-run']) {
    console.log(JSON.stringify(cfg, null, 2));
    return 0;
  }
  const ac = new AbortController();
  const onSig = () => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: finishing the step and saving a checkpoint (Ctrl-C again to quit now)\n');
    ac.abort();
  };
  // a missing GPU is reported now, before anything is written
  const dev = opts.device === undefined ? undefined : device(String(opts.device));
  if (opts['dashboard-port'] !== undefined && !opts.dashboard) throw new ArgumentError('lcss train: --dashboard-port needs --dashboard');
  let dash: Dashboard | undefined;
  if (opts.dashboard) {
    try {
      mkdirSync(cfg.out, { recursive: true });
    } catch (e) {
      throw fileError('lcss train --out', cfg.out, e);
    }
    dash = await startDashboard({ runs: [cfg.out], port: Number(opts['dashboard-port'] ?? 0) }).catch((e: unknown) => {
      throw e instanceof ArgumentError ? new ArgumentError(e.message.replace(/^startDashboard: port/, 'lcss train: --dashboard-port')) : e;
    });
    console.error(`dashboard: ${dash.url}`);
  }
  process.on('SIGINT', onSig);
  // mpirun and srun pass a Ctrl-C on to the ranks as SIGTERM (srun: SIGINT): the same clean stop
  if (opts.distributed) process.on('SIGTERM', onSig);
  try {
    if (opts['dist-timeout'] !== undefined && !opts.distributed) throw new ArgumentError('lcss train: --dist-timeout needs --distributed');
    const distributed = opts.distributed ? (opts['dist-timeout'] !== undefined ? { timeout: Number(opts['dist-timeout']) } : true) : undefined;
    const r = await train(cfg, { device: dev, resume: !!opts.resume, restart: !!opts.restart, signal: ac.signal, plain: !!opts.plain, quiet: !!opts.quiet, noEval: !!opts['no-eval'], distributed });
    const lines = [`done: ${r.step} steps in ${r.seconds.toFixed(1)} s (${r.itPerSec.toFixed(1)} it/s), final loss ${r.loss.toFixed(4)}`];
    if (r.lastEval) lines.push(`metrics: ${Object.entries(r.lastEval).map(([k, v]) => `${k}=${+v.toPrecision(4)}`).join(' ')}`);
    lines.push(`outputs in ${r.out}: checkpoints, metrics.jsonl, loss.png, samples-*.png, summary.json`);
    if (!opts.quiet && !(distributed && lc_rank() !== 0)) console.error(lines.join('\n'));
    r.dispose();
    return 0;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    await dash?.close();
  }
}
