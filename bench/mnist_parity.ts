// SPDX-License-Identifier: MIT
// Aggregates the MNIST parity study (bench/mnist_parity.sh, issue 15): reads, for every objective
// and seed, the trainer's summary (runs/.../<obj>-s<seed>/summary.json) and the evaluation
// (runs/.../eval-<obj>-s<seed>.json), and writes the markdown table (results.md) and a JSON (summary.json) with the per-seed
// values, the intervals, the Welch verdicts, the calibration and the evaluation settings.
//   node dist/bench/mnist_parity.js --runs runs/mnist_parity --out bench/results/mnist_parity [--seeds 0,1,2] [--objectives lcss,dsm]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parityMarkdown, summarizeParity, type ParityRun } from '../src/study/parity.js';

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`mnist_parity: --${name} is required`);
  return v;
}

const readJson = (p: string): Record<string, unknown> => {
  if (!existsSync(p)) throw new Error(`mnist_parity: ${p} is missing (did the train and eval stages finish?)`);
  return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
};

const runsDir = arg('runs');
const outDir = arg('out');
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const objectives = arg('objectives', 'lcss,dsm').split(',') as [string, string];

const runs: (ParityRun & { evalSeconds?: number; sampleSeconds?: number; likelihoodSeconds?: number; finalLoss: number; likelihoodNfe?: number })[] = [];
let evalArgs: string | undefined;
for (const objective of objectives)
  for (const seed of seeds) {
    const tr = readJson(join(runsDir, `${objective}-s${seed}`, 'summary.json'));
    const ev = readJson(join(runsDir, `eval-${objective}-s${seed}.json`));
    const timing = existsSync(join(runsDir, `eval-${objective}-s${seed}.time.json`)) ? readJson(join(runsDir, `eval-${objective}-s${seed}.time.json`)) : {};
    evalArgs ??= timing.args as string | undefined;
    runs.push({
      objective, seed,
      steps: tr.step as number, trainSeconds: tr.seconds as number, finalLoss: tr.loss as number,
      fid: ev.fid as number, kid: ev.kid as number, is: ev.is as number, bpd: ev.bpd as number,
      likelihoodNfe: ev.likelihoodNfe as number | undefined,
      sampleSeconds: ev.sampleSeconds as number | undefined, likelihoodSeconds: ev.likelihoodSeconds as number | undefined,
      evalSeconds: timing.evalSeconds as number | undefined,
    });
  }

const summary = summarizeParity(runs, objectives);
const calibrationPath = join(runsDir, 'calibration.json');
const calibration = existsSync(calibrationPath) ? readJson(calibrationPath) : null;
const floorPath = join(runsDir, 'real-floor.json');
const realFloor = existsSync(floorPath) ? readJson(floorPath) : null;
const md = parityMarkdown(summary);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ calibration, evalArgs, realFloor, runs, ...summary }, null, 2) + '\n');
writeFileSync(join(outDir, 'results.md'), md);
console.log(md);
if (realFloor) console.log(`real-data floor: ${JSON.stringify(realFloor)}`);
// the per-seed rows, to read the spread behind each interval
for (const r of runs)
  console.log(`${r.objective} s${r.seed}: steps ${r.steps}, train ${r.trainSeconds.toFixed(0)} s, loss ${r.finalLoss.toFixed(2)}, FID ${r.fid.toFixed(1)}, KID ${r.kid.toFixed(1)}, IS ${r.is.toFixed(2)}, bpd ${r.bpd.toFixed(3)} (NFE ${r.likelihoodNfe}), eval ${r.evalSeconds ?? '?'} s`);
