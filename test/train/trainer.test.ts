// SPDX-License-Identifier: MIT
// The training loop end to end on toy data (seconds): loss decreases, resume is bit-exact, a
// process killed while writing a checkpoint resumes from the last complete one, configs are strict.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { latestCheckpoint, loadCheckpoint, resolveConfig, train } from '../../src/train/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lcss-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const tiny = (out: string, over: Record<string, unknown> = {}) =>
  resolveConfig('checkerboard', undefined, {
    steps: 60, batchSize: 128, logEvery: 10, ckptEvery: 30, evalEvery: 0, out,
    'sampling.n': 200, 'sampling.steps': 100, 'optim.warmup': 0, ...over,
  });

function snapshot(r: Awaited<ReturnType<typeof train>>): number[] {
  const out: number[] = [];
  for (const p of r.components.model.parameters()) out.push(...p.dataSync());
  for (const s of r.components.ema.shadow) out.push(...s.dataSync());
  for (const t of r.components.opt.state().tensors.values()) out.push(...t.dataSync());
  return out;
}

describe('trainer', () => {
  it('trains: the loss goes down and every output is written', async () => {
    const out = tmp();
    const n0 = lc.numTensors();
    const r = await train(tiny(out, { steps: 150, 'loss.name': 'dsm', 'optim.lr': 3e-3 }), { quiet: true });
    const recs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const losses = recs.filter((q) => typeof q.loss === 'number').map((q) => q.loss as number);
    expect(losses.length).toBe(15);
    expect(losses.slice(-3).reduce((a, b) => a + b) / 3).toBeLessThan(0.8 * losses[0]);
    expect(recs.at(-1).eval.inside).toBeGreaterThan(0);
    const files = readdirSync(out);
    for (const f of ['config.json', 'loss.png', 'summary.json', 'samples-0000150.png']) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('ckpt-')).length).toBe(3);  // keepCkpts
    r.dispose();
    expect(lc.numTensors()).toBe(n0);
  });

  it('resumes bit-exactly: N steps straight == N/2, resume, N/2', async () => {
    const a = tmp(), b = tmp();
    const straight = await train(tiny(a), { quiet: true, noEval: true });
    const sa = snapshot(straight);
    straight.dispose();
    const half = await train(tiny(b, { steps: 30 }), { quiet: true, noEval: true });
    half.dispose();
    const rest = await train(tiny(b), { quiet: true, noEval: true, resume: true });
    const sb = snapshot(rest);
    rest.dispose();
    expect(sb.length).toBe(sa.length);
    expect(sb).toEqual(sa);
    // the metrics of the resumed run continue the first half's
    const steps = readFileSync(join(b, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect(steps).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('refuses to resume a run with a different objective', async () => {
    const out = tmp();
    (await train(tiny(out, { steps: 30 }), { quiet: true, noEval: true })).dispose();
    await expect(train(tiny(out, { 'loss.name': 'dsm' }), { quiet: true, noEval: true, resume: true })).rejects.toThrow(/different loss/);
  });

  it('a process killed while writing a checkpoint resumes from the last complete one', async () => {
    const out = tmp();
    const script = `
      import { resolveConfig, train } from ${JSON.stringify(new URL('../../src/train/index.ts', import.meta.url).pathname)};
      const cfg = resolveConfig('checkerboard', undefined, { steps: 60, batchSize: 64, logEvery: 10, ckptEvery: 20, evalEvery: 0, out: ${JSON.stringify(out)} });
      await train(cfg, { quiet: true, noEval: true });`;
    // Every file write pauses (test/helpers/slow_writes.mjs); kill the writer during the second checkpoint.
    const slow = new URL('../helpers/slow_writes.mjs', import.meta.url).href;
    const child = spawn(process.execPath, ['--import', slow, '--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, LCSS_SLOW_WRITES_MS: '150' }, stdio: 'pipe',
    });
    const killed = await new Promise<boolean>((resolve) => {
      const timer = setInterval(() => {
        const names = readdirSync(out);
        if (names.includes('ckpt-0000000020.safetensors') && names.some((n) => n.includes('.tmp-'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(true);
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        resolve(false);
      });
    });
    await new Promise((r) => child.on('exit', r));
    expect(killed).toBe(true);
    expect(latestCheckpoint(out)).toMatch(/ckpt-0000000020/);
    const r = await train(resolveConfig('checkerboard', undefined, { steps: 60, batchSize: 64, logEvery: 10, ckptEvery: 20, evalEvery: 0, out }), { quiet: true, noEval: true, resume: true });
    expect(r.step).toBe(60);
    r.dispose();
    const ck = loadCheckpoint(latestCheckpoint(out)!);
    expect(ck.step).toBe(60);
    ck.dispose();
    expect(readdirSync(out).some((n) => n.includes('.tmp-'))).toBe(false);
  }, 120_000);

  it('rejects unknown and invalid config entries with the path named', () => {
    expect(() => resolveConfig('checkerboard', { bogus: 1 })).toThrow(/unknown key "bogus"/);
    expect(() => resolveConfig('checkerboard', undefined, { 'optim.lrr': 1 })).toThrow(/optim.lrr/);
    expect(() => resolveConfig('checkerboard', undefined, { steps: -1 })).toThrow(/steps got -1/);
    expect(() => resolveConfig('nope')).toThrow(/unknown preset "nope"/);
  });
});
