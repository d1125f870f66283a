// SPDX-License-Identifier: MIT
// Summary of bench/doublewell_vs_vp.sh: the last evaluation of every run (metrics.jsonl), per SDE
// the mean and 95 % t-interval over seeds of MMD², sliced W1 and the samples' NLL, and per metric
// whether Welch's test separates the double well from VP (src/study: the same arithmetic as the
// checkerboard and score-error studies).
//   node dist/bench/doublewell_vs_vp.js OUT SEEDS      (OUT/doublewell-s<seed>, OUT/vp-s<seed>)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rankPairs, rankingSentence } from '../src/study/ranking.js';
import { meanInterval } from '../src/study/stats.js';

const METRICS = [
  { key: 'sw', label: 'sliced W1 ↓', digits: 3 },
  { key: 'mmd2', label: 'MMD² ↓', digits: 5 },
  { key: 'nll', label: 'NLL of the samples ↓ (nats)', digits: 3 },
] as const;
const SDES = ['doublewell', 'vp'] as const;

function lastEval(dir: string): Record<string, number> {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) throw new Error(`doublewell_vs_vp: ${file} is missing (did the run fail? see ${dir}.log)`);
  const evals = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: number; eval?: Record<string, number> })
    .filter((r) => r.eval);
  if (!evals.length) throw new Error(`doublewell_vs_vp: ${file} holds no evaluation`);
  return { ...evals[evals.length - 1].eval!, step: evals[evals.length - 1].step };
}

function main() {
  const [out, seedList] = process.argv.slice(2);
  if (!out || !seedList) throw new Error('usage: node dist/bench/doublewell_vs_vp.js OUT SEEDS (e.g. runs/doublewell_vs_vp 0,1,2)');
  const seeds = seedList.split(',').map(Number);
  const values = new Map<string, Map<string, number[]>>();  // metric -> sde -> per-seed values
  for (const m of METRICS) values.set(m.key, new Map(SDES.map((s) => [s, [] as number[]])));
  for (const sde of SDES)
    for (const seed of seeds) {
      const e = lastEval(join(out, `${sde}-s${seed}`));
      for (const m of METRICS) values.get(m.key)!.get(sde)!.push(e[m.key]);
    }
  const fmt = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines = [`| SDE (LCSS, ${seeds.length} seeds) | ${METRICS.map((m) => m.label).join(' | ')} |`, `|---|${METRICS.map(() => '---').join('|')}|`];
  for (const sde of SDES) {
    const cells = METRICS.map((m) => {
      const iv = meanInterval(values.get(m.key)!.get(sde)!);
      return `${fmt(iv.mean, m.digits)} [${fmt(iv.lo, m.digits)}, ${fmt(iv.hi, m.digits)}]`;
    });
    lines.push(`| ${sde} | ${cells.join(' | ')} |`);
  }
  lines.push('', 'Per seed:', '');
  for (const m of METRICS)
    lines.push(`- ${m.label}: ${SDES.map((s) => `${s} ${values.get(m.key)!.get(s)!.map((v) => fmt(v, m.digits)).join(', ')}`).join('; ')}`);
  lines.push('');
  for (const m of METRICS) lines.push(`- ${rankingSentence(m.label, rankPairs(values.get(m.key)!, false))}`);
  console.log(lines.join('\n'));
}

main();
