// SPDX-License-Identifier: MIT
// Summary of bench/doublewell_vs_vp.sh: the last evaluation of every run (metrics.jsonl) and, per
// SDE, the mean and 95 % t-interval over seeds of sliced W1, MMD² and the samples' NLL, with
// Welch's verdict per metric (src/study/parity.ts, the MNIST parity study's arithmetic and table).
//   node dist/bench/doublewell_vs_vp.js OUT SEEDS      (OUT/doublewell-s<seed>, OUT/vp-s<seed>)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parityMarkdown, summarizeParity, type ParityMetric } from '../src/study/parity.js';

const METRICS: ParityMetric[] = [
  { key: 'sw', label: 'sliced W1 ↓', higherIsBetter: false, digits: 3 },
  { key: 'mmd2', label: 'MMD² ↓', higherIsBetter: false, digits: 5 },
  { key: 'nll', label: 'NLL of the samples ↓ (nats)', higherIsBetter: false, digits: 3 },
];

function lastEval(dir: string): Record<string, number> {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) throw new Error(`doublewell_vs_vp: ${file} is missing (did the run fail? see ${dir}.log)`);
  const evals = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { eval?: Record<string, number> })
    .filter((r) => r.eval);
  if (!evals.length) throw new Error(`doublewell_vs_vp: ${file} holds no evaluation`);
  return evals[evals.length - 1].eval!;
}

const [out, seedList] = process.argv.slice(2);
if (!out || !seedList) throw new Error('usage: node dist/bench/doublewell_vs_vp.js OUT SEEDS (e.g. runs/doublewell_vs_vp 0,1,2)');
const seeds = seedList.split(',').map(Number);
const runs = ['doublewell', 'vp'].flatMap((sde) => seeds.map((seed) => ({ objective: sde, seed, ...lastEval(join(out, `${sde}-s${seed}`)) })));
const s = summarizeParity(runs, ['doublewell', 'vp'], METRICS);
console.log(parityMarkdown(s));
console.log(METRICS.map((m) => `- ${m.label} per seed: ${s.objectives.map((o) => `${o} ${s.metrics[m.key][o].values.map((v) => v.toFixed(m.digits)).join(', ')}`).join('; ')}`).join('\n'));
