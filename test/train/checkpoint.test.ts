// SPDX-License-Identifier: MIT
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { checkpointPath, latestCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { addonPath, transpileSrc } from './helpers/transpile.js';

const root = mkdtempSync(join(tmpdir(), 'lcss-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `run${n++}`);
  mkdirSync(d);
  return d;
};

function state(step: number) {
  return {
    step,
    model: { 'fc.weight': lc.tensor([[1, 2], [3, step]]), 'fc.bias': lc.tensor([0.5, -0.5]), 'norm.count': lc.tensor(Int32Array.from([step])) },
    ema: new Map([['fc.weight', lc.tensor([[1.5, 2], [3, 4]], { dtype: 'float64' })]]),
    optim: { 'fc.weight.m': lc.zeros([2, 2]), step: lc.scalar(step, 'int32'), 'mask': lc.tensor([true, false]) },
    rng: { train: new lc.Generator(7, 123 + step), noise: { seed: 9, offset: 2 ** 40 } },
    config: { lr: 2e-4, sde: 've', layers: [2, 2] },
    state: { loader: { epoch: 3, index: 4, rng: { seed: 1, offset: 55 } } },
  };
}

describe('checkpoints', () => {
  it('round-trips model, EMA and optimizer tensors, step, RNG states, config and extra state', () => {
    const start = lc.numTensors();
    const dir = freshDir();
    const path = lc.tidy(() => saveCheckpoint(dir, state(12)));
    expect(path).toBe(checkpointPath(dir, 12));
    expect(path.endsWith('ckpt-0000000012.safetensors')).toBe(true);
    const ck = loadCheckpoint(path);
    expect(ck.step).toBe(12);
    expect([...ck.model.keys()].sort()).toEqual(['fc.bias', 'fc.weight', 'norm.count']);
    expect(ck.model.get('fc.weight')!.toArray()).toEqual([[1, 2], [3, 12]]);
    expect(ck.model.get('norm.count')!.dtype).toBe('int32');
    expect(ck.ema.get('fc.weight')!.dtype).toBe('float64');
    expect(ck.optim.get('step')!.shape).toEqual([]);
    expect(ck.optim.get('mask')!.toArray()).toEqual([true, false]);
    expect(ck.rng).toEqual({ train: { seed: 7, offset: 135 }, noise: { seed: 9, offset: 2 ** 40 } });
    expect(ck.config).toEqual({ lr: 2e-4, sde: 've', layers: [2, 2] });
    expect(ck.state).toEqual({ loader: { epoch: 3, index: 4, rng: { seed: 1, offset: 55 } } });
    // a generator restored from the checkpoint continues the same stream
    const g = new lc.Generator();
    g.setState(ck.rng.train);
    const a = lc.tidy(() => Array.from(lc.rand([4], { generator: g }).dataSync()));
    const b = lc.tidy(() => Array.from(lc.rand([4], { generator: new lc.Generator(7, 135) }).dataSync()));
    expect(a).toEqual(b);
    ck.dispose();
    expect(lc.numTensors()).toBe(start);
  });

  it('keeps the newest N checkpoints', () => {
    const dir = freshDir();
    for (const s of [1, 2, 3, 4, 5]) lc.tidy(() => saveCheckpoint(dir, state(s * 100), { keep: 2 }));
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([400, 500]);
    lc.tidy(() => saveCheckpoint(dir, state(600), { keep: 0 }));
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([400, 500, 600]);
    expect(latestCheckpoint(dir)).toBe(checkpointPath(dir, 600));
    expect(latestCheckpoint(join(dir, 'missing'))).toBeNull();
  });

  it('latestCheckpoint skips truncated, foreign, misnamed and (with full verification) corrupted files', () => {
    const dir = freshDir();
    lc.tidy(() => saveCheckpoint(dir, state(10)));
    const good = checkpointPath(dir, 10);
    const bytes = readFileSync(good);
    writeFileSync(checkpointPath(dir, 20), bytes.subarray(0, bytes.length - 10)); // truncated
    writeSafetensors(checkpointPath(dir, 30), { w: { dtype: 'float32', shape: [1], data: new Float32Array(1) } }); // not a checkpoint
    copyFileSync(good, checkpointPath(dir, 40)); // says step 10 inside
    writeFileSync(join(dir, '.ckpt-0000000050.safetensors.tmp-999999-abc'), bytes); // a temp file
    const skipped: string[] = [];
    expect(latestCheckpoint(dir, { onSkip: (p, e) => skipped.push(`${p.slice(-26)}: ${e.message}`) })).toBe(good);
    expect(skipped.length).toBe(3);
    expect(skipped[0]).toMatch(/0000000040.*records step 10 but is named for step 40/);
    expect(skipped[1]).toMatch(/0000000030.*expected metadata lcss.format = lcss-checkpoint\/1, got undefined/);
    expect(skipped[2]).toMatch(/0000000020.*truncated by 10 bytes/);
    // bit rot in the newest valid file: only full verification notices
    rmSync(checkpointPath(dir, 40));
    lc.tidy(() => saveCheckpoint(dir, state(60), { keep: 0 }));
    const b60 = readFileSync(checkpointPath(dir, 60));
    b60[8 + Number(b60.readBigUInt64LE(0))] ^= 0x10; // a mantissa bit of model.fc.weight[0]
    writeFileSync(checkpointPath(dir, 60), b60);
    expect(latestCheckpoint(dir)).toBe(checkpointPath(dir, 60));
    expect(latestCheckpoint(dir, { verify: 'full' })).toBe(good);
    expect(() => loadCheckpoint(checkpointPath(dir, 60))).toThrow(/checksum mismatch/);
  });

  it('validates its arguments', () => {
    const dir = freshDir();
    expect(() => saveCheckpoint(dir, { ...state(1), step: -1 })).toThrow(/saveCheckpoint: argument 'state.step' got -1/);
    expect(() => saveCheckpoint(dir, { ...state(1), config: { f: 1n } })).toThrow(/argument 'config'.*JSON-serialisable/);
    expect(() => saveCheckpoint(dir, { ...state(1), rng: { g: { seed: -3, offset: 0 } } })).toThrow(/rng\.g\.seed/);
    expect(() => latestCheckpoint(dir, { verify: 'some' as never })).toThrow(/verify/);
  });

  it('a writer killed (SIGKILL) mid-write leaves the previous checkpoint intact and nothing that latestCheckpoint picks', async () => {
    const dir = freshDir();
    const js = transpileSrc(join(root, 'js'));
    const child = join(js, 'child.mjs');
    // checkpoint 1 complete; checkpoint 2 is 16 MiB of weights = 4 chunks, each write then pausing 3 s
    writeFileSync(child, `
      import { saveCheckpoint } from './src/train/checkpoint.js';
      import { tensor } from './src/ops/index.js';
      const dir = process.argv[2];
      const w = (n, v) => tensor(new Float32Array(n).fill(v));
      saveCheckpoint(dir, { step: 1, model: { w: w(1000, 1) }, config: { run: 'a' } });
      globalThis.lcssSlowWritesMs = 3000;  // test/helpers/slow_writes.mjs, preloaded
      process.stdout.write('writing 2\\n');
      saveCheckpoint(dir, { step: 2, model: { w: w(4 << 20, 2) } });
      process.stdout.write('done\\n');
    `);
    const slow = new URL('../helpers/slow_writes.mjs', import.meta.url).href;
    const proc = spawn(process.execPath, ['--import', slow, child, dir], { env: { ...process.env, LCSS_ADDON: addonPath }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code, sig) => r(sig ? -1 : code)));
    // wait until the temp file of checkpoint 2 holds its first chunk, then kill the writer
    const t0 = Date.now();
    let temp: string | undefined;
    while (Date.now() - t0 < 20_000) {
      temp = readdirSync(dir).find((f) => f.startsWith('.ckpt-0000000002.safetensors.tmp-'));
      if (temp && statSync(join(dir, temp)).size >= 4 << 20) break;
      if (proc.exitCode !== null) throw new Error(`child exited early: ${out}${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(out).toContain('writing 2');
    proc.kill('SIGKILL');
    expect(await exited).toBe(-1);
    expect(out).not.toContain('done');

    // the kill landed mid-write: a partial temp file, no checkpoint 2
    const size = statSync(join(dir, temp!)).size;
    expect(size).toBeGreaterThanOrEqual(4 << 20);
    expect(size).toBeLessThan(16 << 20);
    expect(existsSync(checkpointPath(dir, 2))).toBe(false);
    expect(latestCheckpoint(dir, { verify: 'full' })).toBe(checkpointPath(dir, 1));
    const ck = loadCheckpoint(checkpointPath(dir, 1));
    expect(ck.step).toBe(1);
    expect(ck.config).toEqual({ run: 'a' });
    expect(lc.tidy(() => ck.model.get('w')!.sum().item())).toBe(1000);
    ck.dispose();
    // even a partial file under a checkpoint's name (a non-atomic writer's leftover) is skipped
    copyFileSync(join(dir, temp!), checkpointPath(dir, 2));
    expect(latestCheckpoint(dir)).toBe(checkpointPath(dir, 1));
    rmSync(checkpointPath(dir, 2));
    // the next save removes the dead writer's temp file
    lc.tidy(() => saveCheckpoint(dir, state(3)));
    expect(readdirSync(dir).sort()).toEqual(['ckpt-0000000001.safetensors', 'ckpt-0000000003.safetensors']);
  });
});
