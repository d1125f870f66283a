// SPDX-License-Identifier: MIT
// `lcss study checkerboard` (sample quality of every objective on the Checkerboard) and `lcss
// study score-error` (score error against an exact oracle, gradient noise, time and memory). The
// two share one option table; an option meant for the other study is an error naming it.
import { ArgumentError } from '../errors.js';
import { checkerboardStudy, STUDY_DEFAULT_SEEDS, STUDY_OBJECTIVES } from '../study/checkerboard.js';
import { scoreErrorStudy, SCORE_ERROR_DEFAULTS } from '../study/score_error.js';
import { SCORE_ERROR_OBJECTIVES } from '../study/score_error_objectives.js';
import { lcssSweep } from '../study/lcss_sweep.js';
import { parseArgs, type CommandSpec } from './args.js';

const STUDIES = ['checkerboard', 'score-error', 'lcss-sweep'] as const;
type Study = (typeof STUDIES)[number];
/** Options only some studies read. */
const ONLY: Record<string, readonly Study[]> = {
  samples: ['checkerboard'], 'sampling-steps': ['checkerboard'], seed: ['checkerboard'],
  dims: ['score-error', 'lcss-sweep'], seeds: ['checkerboard', 'score-error', 'lcss-sweep'], quick: ['score-error'], 'batch-size': ['score-error', 'lcss-sweep'],
  sde: ['score-error'], 'exact-max-dim': ['score-error'], components: ['score-error'], 'eval-n': ['score-error', 'lcss-sweep'],
  evals: ['score-error', 'lcss-sweep'], objectives: ['checkerboard', 'score-error'],
};

export const studySpec: CommandSpec = {
  name: 'study',
  summary: 'compare the objectives: checkerboard (the same MLP and budget: loss curves, samples, metrics), score-error (error against the exact score of Gaussian mixtures, gradient noise, time, memory) or lcss-sweep (LCSS over rho, estimator and K, scored as score-error)',
  usage: 'lcss study checkerboard|score-error|lcss-sweep [--steps N] [--out DIR] [--objectives LIST] [...]',
  options: {
    steps: { type: 'number', arg: 'N', integer: true, min: 1, help: `training steps per objective (checkerboard 3000, score-error ${SCORE_ERROR_DEFAULTS.steps})` },
    out: { type: 'string', arg: 'DIR', help: 'output directory (default runs/study-<name>; a rerun replaces the study there)' },
    objectives: { type: 'string', arg: 'LIST', help: `objectives to compare (checkerboard: ${STUDY_OBJECTIVES.join(',')}; score-error: ${SCORE_ERROR_OBJECTIVES.join(',')})` },
    seed: { type: 'number', arg: 'N', integer: true, min: 0, default: 0, help: 'checkerboard: the first seed (the runs use seed, seed + 1, ...)' },
    samples: { type: 'number', arg: 'N', integer: true, min: 1, default: 2000, help: 'checkerboard: samples per objective for the metrics' },
    'sampling-steps': { type: 'number', arg: 'N', integer: true, min: 1, default: 500, help: 'checkerboard: reverse-SDE steps' },
    quick: { type: 'boolean', help: 'score-error: a small version of the whole pipeline (seconds)' },
    dims: { type: 'string', arg: 'LIST', help: `score-error: data dimensions (default ${SCORE_ERROR_DEFAULTS.dims.join(',')})` },
    seeds: { type: 'number', arg: 'N', integer: true, min: 1, help: `seeds per objective (checkerboard ${STUDY_DEFAULT_SEEDS}, the same set for every objective: mean, 95% t-interval and a pairwise ranking) or per cell (score-error ${SCORE_ERROR_DEFAULTS.seeds})` },
    'batch-size': { type: 'number', arg: 'N', integer: true, min: 2, help: `score-error: batch size (default ${SCORE_ERROR_DEFAULTS.batchSize})` },
    sde: { type: 'string', arg: 'NAME', help: 'score-error: vp (default), ve or subvp' },
    components: { type: 'number', arg: 'K', integer: true, min: 1, help: 'score-error: mixture components (default 8 at D = 2, 16 above)' },
    'exact-max-dim': { type: 'number', arg: 'D', integer: true, min: 0, help: 'score-error: run the exact trace only up to this D (default 16)' },
    evals: { type: 'number', arg: 'N', integer: true, min: 1, help: `score-error: evaluations per cell (default ${SCORE_ERROR_DEFAULTS.evals})` },
    'eval-n': { type: 'number', arg: 'N', integer: true, min: 2, help: `score-error: fresh draws per t band per evaluation (default ${SCORE_ERROR_DEFAULTS.evalN})` },
  },
  examples: ['lcss study checkerboard', 'lcss study checkerboard --steps 500 --objectives lcss,dsm --seeds 5', 'lcss study score-error --quick',
    'lcss study score-error --dims 2,16 --objectives lcss,dsm,ssm-vr --seeds 5', 'lcss study lcss-sweep --dims 16 --steps 300'],
};

function intList(flag: string, v: string, study = 'score-error'): number[] {
  const parts = v.split(',');
  if (!parts.every((p) => /^\s*\d+\s*$/.test(p) && Number(p) >= 1))
    throw new ArgumentError(`lcss study ${study}: --${flag} got ${JSON.stringify(v)}, expected a comma-separated list of integers >= 1 (e.g. 2,16,64)`);
  return parts.map(Number);
}

export async function runStudy(argv: string[]): Promise<number> {
  const { opts, positional } = parseArgs(studySpec, argv);
  const name = positional[0];
  if (!(STUDIES as readonly (string | undefined)[]).includes(name))
    throw new ArgumentError(`lcss study: expected the study name 'checkerboard', 'score-error' or 'lcss-sweep', got ${name === undefined ? 'nothing' : JSON.stringify(name)}`);
  if (positional.length > 1) throw new ArgumentError(`lcss study: got ${JSON.stringify(positional.slice(1).join(' '))} after the study name, expected options (--name value)`);
  for (const [flag, studies] of Object.entries(ONLY))
    if (!studies.includes(name as Study) && opts[flag] !== undefined && opts[flag] !== studySpec.options[flag].default)
      throw new ArgumentError(`lcss study ${name}: --${flag} is an option of ${studies.map((x) => `\`lcss study ${x}\``).join(' and ')}, not of this study`);
  const num = (k: string) => (opts[k] === undefined ? undefined : Number(opts[k]));
  if (name === 'lcss-sweep') {
    const dims = opts.dims === undefined ? [16] : intList('dims', String(opts.dims), 'lcss-sweep');
    if (dims.length !== 1) throw new ArgumentError(`lcss study lcss-sweep: --dims got ${JSON.stringify(String(opts.dims))}, expected one dimension (the sweep runs at one D)`);
    const r = await lcssSweep({
      D: dims[0], seeds: num('seeds'), steps: num('steps'), batchSize: num('batch-size'), evals: num('evals'), evalN: num('eval-n'),
      out: opts.out === undefined ? undefined : String(opts.out), log: (l) => console.error(l),
    });
    console.log(r.table);
    return 0;
  }
  const objectives = opts.objectives === undefined ? undefined : String(opts.objectives).split(',');
  if (name === 'checkerboard') {
    for (const o of objectives ?? []) if (!(STUDY_OBJECTIVES as readonly string[]).includes(o)) throw new ArgumentError(`lcss study: unknown objective ${JSON.stringify(o)} (${STUDY_OBJECTIVES.join(', ')})`);
    const r = await checkerboardStudy({
      steps: opts.steps === undefined ? 3000 : Number(opts.steps), out: opts.out === undefined ? 'runs/study-checkerboard' : String(opts.out), objectives,
      seed: Number(opts.seed), seeds: num('seeds'), samples: Number(opts.samples), samplingSteps: Number(opts['sampling-steps']), log: (l) => console.error(l), quiet: true,
    });
    console.log(r.table);
    console.error(`wrote ${r.out}: losses.png, loss-*.png, samples-*.png, results.md, results.json`);
    return 0;
  }
  for (const o of objectives ?? [])
    if (!(SCORE_ERROR_OBJECTIVES as readonly string[]).includes(o)) throw new ArgumentError(`lcss study score-error: --objectives got ${JSON.stringify(o)}, expected a comma-separated list of ${SCORE_ERROR_OBJECTIVES.join(', ')}`);
  const sde = opts.sde === undefined ? undefined : String(opts.sde);
  if (sde !== undefined && !['vp', 've', 'subvp'].includes(sde)) throw new ArgumentError(`lcss study score-error: --sde got ${JSON.stringify(sde)}, expected vp, ve or subvp (an SDE with the Gaussian kernel the exact score needs)`);
  const r = await scoreErrorStudy({
    quick: !!opts.quick, out: opts.out === undefined ? undefined : String(opts.out), objectives,
    dims: opts.dims === undefined ? undefined : intList('dims', String(opts.dims)),
    steps: num('steps'), seeds: num('seeds'), batchSize: num('batch-size'), components: num('components'), exactMaxDim: num('exact-max-dim'),
    evals: num('evals'), evalN: num('eval-n'), sde: sde as 'vp' | 've' | 'subvp' | undefined, log: (l) => console.error(l),
  });
  console.log(r.table);
  console.error(`wrote ${r.out}: ${r.files.join(', ')}`);
  return 0;
}
