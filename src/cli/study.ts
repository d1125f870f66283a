// SPDX-License-Identifier: MIT
import { ArgumentError } from '../errors.js';
import { checkerboardStudy, STUDY_OBJECTIVES } from '../study/checkerboard.js';
import { parseArgs, type CommandSpec } from './args.js';

export const studySpec: CommandSpec = {
  name: 'study',
  summary: 'the Checkerboard study: every objective trains the same MLP with the same budget; loss curves, samples and metrics',
  usage: 'lcss study checkerboard [--steps N] [--out DIR] [--objectives LIST]',
  options: {
    steps: { type: 'number', arg: 'N', integer: true, min: 1, default: 3000, help: 'training steps per objective' },
    out: { type: 'string', arg: 'DIR', default: 'runs/study-checkerboard', help: 'output directory (a rerun replaces the study there)' },
    objectives: { type: 'string', arg: 'LIST', default: STUDY_OBJECTIVES.join(','), help: 'objectives to compare' },
    seed: { type: 'number', arg: 'N', integer: true, min: 0, default: 0, help: 'seed' },
    samples: { type: 'number', arg: 'N', integer: true, min: 1, default: 2000, help: 'samples per objective for the metrics' },
    'sampling-steps': { type: 'number', arg: 'N', integer: true, min: 1, default: 500, help: 'reverse-SDE steps' },
  },
  examples: ['lcss study checkerboard', 'lcss study checkerboard --steps 500 --objectives lcss,dsm'],
};

export async function runStudy(argv: string[]): Promise<number> {
  const { opts, positional } = parseArgs(studySpec, argv);
  if (positional[0] !== 'checkerboard') throw new ArgumentError(`lcss study: expected the study name 'checkerboard', got ${positional[0] === undefined ? 'nothing' : JSON.stringify(positional[0])}`);
  const objectives = String(opts.objectives).split(',');
  for (const o of objectives) if (!(STUDY_OBJECTIVES as readonly string[]).includes(o)) throw new ArgumentError(`lcss study: unknown objective ${JSON.stringify(o)} (${STUDY_OBJECTIVES.join(', ')})`);
  const r = await checkerboardStudy({
    steps: Number(opts.steps), out: String(opts.out), objectives, seed: Number(opts.seed), samples: Number(opts.samples),
    samplingSteps: Number(opts['sampling-steps']), log: (l) => console.error(l), quiet: true,
  });
  console.log(r.table);
  console.error(`wrote ${r.out}: losses.png, loss-*.png, samples-*.png, results.md, results.json`);
  return 0;
}
