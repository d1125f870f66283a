// SPDX-License-Identifier: MIT
// The score-error study: its statistics (t-intervals), its metric against the exact oracle (zero
// for the true score, lambda c^2 for a score off by c), the whole --quick pipeline through the
// CLI (files, cells, intervals, every objective lowering the error it is scored by), and the
// errors a bad option gets.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as lc from '../../src/index.js';
import { main } from '../../src/cli/main.js';
import { VPSDE } from '../../src/sde/vp.js';
import { DoubleWellSDE } from '../../src/sde/doublewell.js';
import { meanInterval, tQuantile975 } from '../../src/study/stats.js';
import { mixtureTask } from '../../src/study/mixture_task.js';
import { scoreError, T_BANDS } from '../../src/study/score_error_metric.js';
import { scoreErrorStudy } from '../../src/study/score_error.js';
import { SCORE_ERROR_OBJECTIVES } from '../../src/study/score_error_objectives.js';
import type { CellResult } from '../../src/study/score_error_run.js';
import { lcssSweep, SWEEP_DRAWS, SWEEP_ESTIMATORS, SWEEP_RATIOS } from '../../src/study/lcss_sweep.js';
import type { Summary } from '../../src/study/score_error_report.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lcss-score-error-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stats', () => {
  it('t-intervals: table values, mean -/+ t sd / sqrt(n), non-finite values left out', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(2)).toBe(4.303);
    expect(Math.abs(tQuantile975(60) - 2.0)).toBeLessThan(0.002);
    const iv = meanInterval([1, 2, 3, NaN]);
    expect(iv.n).toBe(3);
    expect(iv.mean).toBe(2);
    expect(iv.sd).toBeCloseTo(1, 12);
    expect(iv.hi - iv.mean).toBeCloseTo(4.303 / Math.sqrt(3), 12);
    expect(Number.isNaN(meanInterval([5]).lo)).toBe(true);
    expect(() => tQuantile975(0)).toThrow(/tQuantile975: argument 'df' got 0, expected an integer >= 1/);
  });
});

describe('the weighted score error', () => {
  it('is 0 for the exact score and sigmaBar^2 c^2 for a score off by c in every coordinate', () => {
    const sde = new VPSDE();
    const task = mixtureTask(3, 4, sde);
    const start = lc.numTensors();
    try {
      expect(scoreError(task.pt.scoreFn, task, sde, 64, 1).overall).toBe(0);
      const c = 0.5;
      const off = scoreError((x, t) => lc.add(task.pt.score(x, t), c), task, sde, 64, 1);
      // each band's error is c^2 times the mean of sigmaBar(t)^2 over its t: between its ends' values
      T_BANDS.forEach(([lo, hi], i) => {
        const [a, b] = lc.tidy(() => Array.from(sde.sigmaBar(lc.tensor([lo, hi])).dataSync()));
        expect(off.bands[i]).toBeGreaterThan(c * c * a * a * 0.999);
        expect(off.bands[i]).toBeLessThan(c * c * b * b * 1.001);
      });
    } finally {
      task.dispose();
    }
    expect(lc.numTensors()).toBe(start);
  });

  it('needs an SDE with a Gaussian kernel', () => {
    expect(() => mixtureTask(2, 8, new DoubleWellSDE())).toThrow(/mixtureTask: argument 'sde' got "doublewell", expected an affine SDE/);
  });
});

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    return { code: await main(argv), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('lcss study score-error --quick', () => {
  it('trains every objective on 3 seeds at D = 2 and 16 and writes the table, JSON and charts', async () => {
    const out = join(dir, 'quick');
    const start = lc.numTensors();
    const r = await run('study', 'score-error', '--quick', '--out', out);
    expect(r.code).toBe(0);
    expect(lc.numTensors()).toBe(start);
    for (const f of ['results.md', 'results.json', 'error-steps-D2.png', 'error-seconds-D2.png', 'error-steps-D16.png', 'error-seconds-D16.png'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cells: CellResult[]; summary: Summary[] };
    // every objective (exact too: D <= 16) x 2 dims x 3 seeds
    expect(json.cells.length).toBe(SCORE_ERROR_OBJECTIVES.length * 2 * 3);
    for (const s of json.summary) {
      expect(s.seeds).toBe(3);
      expect(s.final.lo).toBeLessThanOrEqual(s.final.mean);
      expect(s.final.hi).toBeGreaterThanOrEqual(s.final.mean);
      expect(s.msPerStep.mean).toBeGreaterThan(0);
      expect(s.stepPeakMiB.mean).toBeGreaterThan(0);
      expect(s.diverged).toBe(0);
      // what every objective minimises is this error (up to a constant): 40 steps must lower it
      const cells = json.cells.filter((c) => c.D === s.D && c.objective === s.objective);
      const before = cells.reduce((a, c) => a + c.curve[0].overall, 0) / cells.length;
      expect(s.final.mean, `${s.objective} at D = ${s.D}`).toBeLessThan(before);
      for (const c of cells) expect(c.curve.map((p) => p.step)).toEqual([0, 20, 40]);
    }
    expect(r.out).toMatch(/\| 16 \| exact \|/);
  });

  it('rejects bad options with the function or flag, the argument, what it got and what it expects', async () => {
    await expect(scoreErrorStudy({ dims: [0], out: join(dir, 'bad') })).rejects.toThrow(/scoreErrorStudy: argument 'dims' got \[0\], expected a non-empty list of integers in \[1, 4096\]/);
    await expect(scoreErrorStudy({ objectives: ['lcs'], out: join(dir, 'bad') })).rejects.toThrow(/argument 'objectives': got "lcs", expected a list of lcss, /);
    await expect(scoreErrorStudy({ sde: 'doublewell' as never, out: join(dir, 'bad') })).rejects.toThrow(/scoreErrorStudy: argument 'sde' got "doublewell", expected 'vp', 've' or 'subvp'/);
    await expect(scoreErrorStudy({ seeds: 0, out: join(dir, 'bad') })).rejects.toThrow(/scoreErrorStudy: argument 'seeds' got 0/);
    await expect(scoreErrorStudy({ steps: 5, evals: 6, out: join(dir, 'bad') })).rejects.toThrow(/scoreErrorStudy: argument 'evals' got 6, expected at most steps \(5\)/);
    await expect(scoreErrorStudy({ stpes: 5 } as never)).rejects.toThrow(/scoreErrorStudy: .*stpes/);
    await expect(run('study', 'score-error', '--dims', '2,x')).rejects.toThrow(/lcss study score-error: --dims got "2,x", expected a comma-separated list of integers >= 1/);
    await expect(run('study', 'score-error', '--sde', 'doublewell')).rejects.toThrow(/--sde got "doublewell", expected vp, ve or subvp/);
    await expect(run('study', 'score-error', '--objectives', 'lcss,foo')).rejects.toThrow(/--objectives got "foo"/);
    await expect(run('study', 'checkerboard', '--dims', '2')).rejects.toThrow(/--dims is an option of `lcss study score-error` and `lcss study lcss-sweep`/);
    await expect(run('study', 'score')).rejects.toThrow(/expected the study name 'checkerboard', 'score-error' or 'lcss-sweep', got "score"/);
  });
});

describe('lcss study lcss-sweep', () => {
  it('runs every (rho, estimator, K) cell and tabulates them', async () => {
    const out = join(dir, 'sweep');
    const r = await lcssSweep({ D: 2, seeds: 2, steps: 3, evals: 1, evalN: 8, gradRepeats: 2, hidden: 8, out });
    const n = SWEEP_RATIOS.length * SWEEP_ESTIMATORS.length * SWEEP_DRAWS.length;
    expect(r.cells.length).toBe(2 * n);
    expect(r.table.split('\n').filter((l) => l.startsWith('| 2 | ρ=')).length).toBe(n);
    expect(r.table).toMatch(/\| 2 \| ρ=0.01 antithetic K=4 \|/);
    expect(existsSync(join(out, 'results.json'))).toBe(true);
    await expect(lcssSweep({ D: 0 })).rejects.toThrow(/lcssSweep: argument 'D' got 0/);
  });
});
