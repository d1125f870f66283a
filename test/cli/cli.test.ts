// SPDX-License-Identifier: MIT
// CLI smoke tests: every command and preset, run in-process on tiny budgets.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { PRESET_NAMES } from '../../src/train/config.js';
import { checkerboardStudy } from '../../src/study/checkerboard.js';
import * as lc from '../../src/index.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lcss-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI, returning its exit code and what it printed to stdout. */
async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const code = await main(argv);
    return { code, out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('lcss CLI', () => {
  it('prints help for the tool and every command', async () => {
    expect((await run('--help')).out).toMatch(/commands:[\s\S]*train[\s\S]*sample[\s\S]*eval[\s\S]*bench[\s\S]*study/);
    for (const c of ['train', 'sample', 'eval', 'bench', 'study']) expect((await run(c, '--help')).out).toMatch(new RegExp(`usage: lcss ${c}`));
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('rejects unknown or invalid options with a clear error', async () => {
    await expect(run('train', '--bogus', '1')).rejects.toThrow(/unknown option --bogus/);
    await expect(run('train', '--steps', 'many')).rejects.toThrow(/--steps expects a number/);
    await expect(run('train', '--loss', 'nope', '--dry-run')).rejects.toThrow(/makeLoss|loss.name|nope/);
    await expect(run('train', '--loss.sigmaRation', '0.1', '--steps', '1', '--out', join(dir, 'typo'))).rejects.toThrow(/sigmaRation/);
    await expect(run('sample')).rejects.toThrow(/--ckpt FILE or --run DIR/);
    await expect(run('bench', 'everything')).rejects.toThrow(/losses, kernels or stein/);
    await expect(run('study', 'moons')).rejects.toThrow(/checkerboard/);
    await expect(run('train', '--device', 'tpu', '--steps', '1', '--out', join(dir, 'tpu'))).rejects.toThrow(/device: got "tpu", expected 'cpu', 'cuda' or 'cuda:N'/);
    await expect(run('sample', '--device', 'gpu0', '--run', dir)).rejects.toThrow(/expected 'cpu', 'cuda'/);
    if (!lc.cuda.isAvailable()) {
      // no GPU here: the error says why (not built, or no device) before anything is written
      await expect(run('train', '--device', 'cuda', '--steps', '1', '--out', join(dir, 'nogpu'))).rejects.toThrow(/device: 'cuda' is not available/);
      expect(existsSync(join(dir, 'nogpu'))).toBe(false);
    }
  });

  it('resolves every preset', async () => {
    for (const p of PRESET_NAMES) {
      const { code, out } = await run('train', '--preset', p, '--dry-run');
      expect(code).toBe(0);
      expect(JSON.parse(out).preset).toBe(p);
    }
    // presets that need user data say where to put it
    await expect(run('train', '--preset', 'cifar10-ncsnpp-ve', '--steps', '1', '--out', join(dir, 'c10'), '--data.path', join(dir, 'missing'))).rejects.toThrow(/missing/);
  });

  it('trains, samples and evaluates the checkerboard preset', async () => {
    const out = join(dir, 'cb');
    expect((await run('train', '--steps', '40', '--batch-size', '128', '--out', out, '--evalEvery', '0', '--sampling.n', '200', '--sampling.steps', '100', '--quiet')).code).toBe(0);
    expect(existsSync(join(out, 'samples-0000040.png'))).toBe(true);
    expect((await run('sample', '--run', out, '--n', '300', '--out', join(dir, 'cb.png'), '--steps', '100', '--quiet')).code).toBe(0);
    expect(existsSync(join(dir, 'cb.png'))).toBe(true);
    const ev = await run('eval', '--run', out, '--n', '300', '--bpd', '40', '--json', join(dir, 'cb.json'));
    const m = JSON.parse(ev.out);
    for (const k of ['inside', 'mmd2', 'sw', 'nll', 'nllNats']) expect(Number.isFinite(m[k])).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'cb.json'), 'utf8')).step).toBe(40);
  });

  it('trains a different objective and SDE from flags', async () => {
    const out = join(dir, 'dw');
    expect((await run('train', '--sde', 'doublewell', '--loss', 'lcss', '--data', '8gaussians', '--steps', '10', '--batch-size', '64', '--out', out, '--no-eval', '--quiet')).code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.sde.name).toBe('doublewell');
    expect(cfg.data.name).toBe('8gaussians');
    // DSM needs the perturbation kernel: a non-affine SDE is refused with a reason
    await expect(run('train', '--sde', 'doublewell', '--loss', 'dsm', '--steps', '2', '--out', join(dir, 'dw-dsm'), '--no-eval', '--quiet')).rejects.toThrow(/kernel|affine/i);
  });

  it('takes a few MNIST steps with the mnist preset', async () => {
    const out = join(dir, 'mnist');
    expect((await run('train', '--preset', 'mnist', '--steps', '2', '--batch-size', '8', '--out', out, '--no-eval', '--quiet', '--ckptEvery', '2')).code).toBe(0);
    expect(existsSync(join(out, 'ckpt-0000000002.safetensors'))).toBe(true);
    // eval overrides the run's sampler (500-step PC) from the command line
    const ev = await run('eval', '--run', out, '--n', '16', '--method', 'pc', '--steps', '3', '--corrector', 'none');
    const m = JSON.parse(ev.out);
    expect(JSON.parse(m.sampler)).toMatchObject({ method: 'pc', steps: 3, corrector: 'none' });
    expect(m.nfe).toBe(3);
    for (const k of ['fid', 'kid', 'is']) expect(Number.isFinite(m[k]), k).toBe(true);
  });

  it('runs the losses benchmark, a kernel workload and the study on tiny budgets', async () => {
    const b = await run('bench', 'losses', '--dims', '2', '--reps', '1');
    expect(b.out).toMatch(/lcss/);
    expect(b.out).toMatch(/dsm/);
    // a step projected to need more memory than the budget is not run (the exact trace at D = 3072
    // was OOM-killed): it is extrapolated from partial traces, and the table says why
    const m = await run('bench', 'losses', '--dims', '32', '--reps', '1', '--memory-budget', '0.0001');
    expect(m.out).toMatch(/D=32 exact: not run \(needs ~[\d.]+ GiB, [\d.]+ GiB may be used\)/);
    await expect(run('bench', 'losses', '--memory-budget', '-1')).rejects.toThrow(/--memory-budget expects a positive number/);
    const k = await run('bench', 'kernels', '--workloads', 'W1', '--reps', '1');
    expect(k.out).toMatch(/W1/);
    // the Checkerboard study's quick path: 2 seeds per objective give a mean with a 95 % interval
    // per metric and a pairwise ranking (or "cannot rank") per metric, in the table and the JSON
    const s = await run('study', 'checkerboard', '--steps', '20', '--seeds', '2', '--objectives', 'lcss,dsm', '--samples', '100', '--sampling-steps', '100', '--out', join(dir, 'study'));
    expect(s.out).toMatch(/\| lcss \| 2 \| -?[\d.]+ \[-?[\d.]+, -?[\d.]+\] \|/);
    expect(s.out).toMatch(/\| dsm \| 2 \|/);
    expect(s.out).toMatch(/over seeds 0, 1;/);
    for (const m of ['inside cells', 'NLL', 'MMD²', 'sliced W1']) expect(s.out).toMatch(new RegExp(`\\*\\*${m}\\*\\*: .*(cannot rank lcss and dsm|(lcss|dsm) better than (dsm|lcss))`));
    expect(existsSync(join(dir, 'study', 'losses.png'))).toBe(true);
    expect(existsSync(join(dir, 'study', 'lcss', 'seed-1', 'metrics.jsonl'))).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, 'study', 'results.json'), 'utf8'));
    expect(json.seeds).toEqual([0, 1]);
    expect(json.rows.length).toBe(4);
    expect(json.summary.map((x: { objective: string; seeds: number }) => [x.objective, x.seeds])).toEqual([['lcss', 2], ['dsm', 2]]);
    expect(json.summary[0].metrics.finalLoss.lo).toBeLessThanOrEqual(json.summary[0].metrics.finalLoss.hi);
    expect(json.ranking.map((x: { metric: string }) => x.metric)).toEqual(['inside', 'nll', 'mmd2', 'sw']);
    for (const r of json.ranking) expect(r.pairs).toEqual([expect.objectContaining({ a: 'lcss', b: 'dsm' })]);
    for (const bad of ['0', '1.5', 'x'])
      await expect(run('study', 'checkerboard', '--seeds', bad, '--out', join(dir, 'bad'))).rejects.toThrow(new RegExp(`lcss study: --seeds expects (an integer|a number).*got "${bad}"`));
    await expect(run('study', 'checkerboard', '--seeds', '0')).rejects.toBeInstanceOf(lc.ArgumentError);
    await expect(checkerboardStudy({ seeds: 1.5, out: join(dir, 'bad') })).rejects.toThrow(/checkerboardStudy: argument 'seeds' got 1.5, expected an integer in \[1, 1000\]/);
  });
});
