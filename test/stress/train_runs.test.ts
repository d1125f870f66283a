// SPDX-License-Identifier: MIT
// Repeated short `lcss train` runs, as separate processes, over several objectives, SDEs and data
// sets, with evaluation (sampling, metrics, plots) and checkpoints on: every run must exit 0 with
// no signal, and leave its summary and final checkpoint. This is the workload that died with
// SIGSEGV on its 4th run when the thread pool ran chunks twice. The count is LCSS_STRESS_RUNS
// (default 8; CI runs 20, the sanitizer suite 2).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = new URL('../../dist/src/cli/bin.js', import.meta.url).pathname;
const runs = Number(process.env.LCSS_STRESS_RUNS ?? 8);
const dir = mkdtempSync(join(tmpdir(), 'lcss-stress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// objective x SDE x data, cycled; the doublewell SDE has no Gaussian kernel, so DSM is not paired with it
const combos: string[][] = [
  ['--loss', 'lcss', '--sde', 'vp', '--data', 'checkerboard'],
  ['--loss', 'dsm', '--sde', 've', '--data', '8gaussians'],
  ['--loss', 'lcss', '--sde', 'doublewell', '--data', '8gaussians'],
  ['--loss', 'ssm', '--sde', 'subvp', '--data', 'moons'],
  ['--loss', 'fdssm', '--sde', 'vp', '--data', 'swissroll'],
  ['--loss', 'lcss', '--sde', 've', '--data', 'rings', '--loss.estimator', 'antithetic'],
  ['--loss', 'ssm-vr', '--sde', 'vp', '--data', 'pinwheel'],
  ['--loss', 'exact', '--sde', 'vp', '--data', '2spirals'],
];

describe(`${runs} consecutive lcss train runs with evaluation`, () => {
  it('never crash, and each leaves a summary and its last checkpoint', () => {
    const failures: string[] = [];
    for (let i = 0; i < runs; i++) {
      const out = join(dir, `run-${i}`);
      const args = [bin, 'train', ...combos[i % combos.length], '--steps', '120', '--batch-size', '128', '--evalEvery', '60',
        '--ckptEvery', '60', '--sampling.n', '256', '--sampling.steps', '40', '--seed', String(i), '--plain', '--out', out];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000 });
      if (r.status !== 0 || r.signal) {
        failures.push(`run ${i} (${combos[i % combos.length].join(' ')}): exit ${r.status} signal ${r.signal}\n${r.stderr.slice(-2000)}`);
        continue;
      }
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      if (summary.step !== 120) failures.push(`run ${i}: summary.json says step ${summary.step}`);
      if (!readdirSync(out).some((f) => /^ckpt-0*120\.safetensors$/.test(f))) failures.push(`run ${i}: no step-120 checkpoint in ${readdirSync(out).join(', ')}`);
      if (!existsSync(join(out, 'metrics.jsonl'))) failures.push(`run ${i}: no metrics.jsonl`);
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  });
});
