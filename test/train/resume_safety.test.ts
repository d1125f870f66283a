// SPDX-License-Identifier: MIT
// What a resume may and may not do to a run folder: damaged checkpoints are skipped for the
// previous valid one (and named), a folder of only damaged checkpoints is refused unless asked to
// start over, a resume past the end changes nothing, training over a run needs --resume or
// --restart, run files are replaced atomically (a kill mid-rewrite leaves the old metrics), and
// checkpoint metadata that parses but is malformed is a DataFormatError, not a TypeError.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as lc from '../../src/index.js';
import { DataFormatError } from '../../src/io/errors.js';
import { ArgumentError } from '../../src/errors.js';
import { latestCheckpoint, listCheckpoints, loadCheckpoint, resolveConfig, saveCheckpoint, train } from '../../src/train/index.js';
import { readSafetensorsRaw, writeSafetensors } from '../../src/io/safetensors.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lcss-resume-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const cfgFor = (out: string, steps: number) =>
  resolveConfig('checkerboard', undefined, { steps, batchSize: 32, logEvery: 5, ckptEvery: 10, evalEvery: 0, out, 'optim.warmup': 0 });

async function run(out: string, steps: number, o: Parameters<typeof train>[1] = {}) {
  const r = await train(cfgFor(out, steps), { quiet: true, noEval: true, ...o });
  const step = r.step;
  r.dispose();
  return step;
}

function flipByte(file: string, fromEnd: number): void {
  const b = readFileSync(file);
  b[b.length - fromEnd] ^= 0x10;
  writeFileSync(file, b);
}

describe('resume keeps saved work safe', () => {
  it('skips a damaged newest checkpoint for the previous valid one', async () => {
    const out = tmp();
    expect(await run(out, 30)).toBe(30);
    const files = listCheckpoints(out).map((c) => c.path);
    expect(files.length).toBe(3);
    flipByte(files[2], 100);  // step 30: bit rot in the data
    expect(await run(out, 40, { resume: true })).toBe(40);
    // steps 21..40 were redone from the step-20 checkpoint: the metrics hold each step once
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect(steps).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
  });

  it('refuses a folder whose checkpoints are all damaged, unless asked to start over', async () => {
    const out = tmp();
    await run(out, 20);
    for (const c of listCheckpoints(out)) truncateSync(c.path, 100);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    const err = await run(out, 30, { resume: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as Error).message).toMatch(/^train: cannot resume: none of the 2 checkpoints in .* is usable \(.*ckpt-0000000020\.safetensors at byte 100: .*truncated.*; pass restart \(--restart\) to start over from step 0$/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(metrics);  // nothing touched
    expect(await run(out, 10, { resume: true, restart: true })).toBe(10);
    expect(listCheckpoints(out).map((c) => c.step)).toEqual([10]);
  });

  it('a resume past the end refuses before touching any file', async () => {
    const out = tmp();
    await run(out, 20);
    const before = Object.fromEntries(readdirSync(out).map((n) => [n, readFileSync(join(out, n)).toString('base64')]));
    const err = await run(out, 10, { resume: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArgumentError);
    expect((err as Error).message).toMatch(/already reached step 20 .* and steps is 10; raise steps \(--steps\) above 20/);
    expect(Object.fromEntries(readdirSync(out).map((n) => [n, readFileSync(join(out, n)).toString('base64')]))).toEqual(before);
  });

  it('training into a folder that holds a run needs resume or restart', async () => {
    const out = tmp();
    await run(out, 10);
    await expect(run(out, 10)).rejects.toThrow(/already holds a run \(checkpoints up to step 10\); pass resume \(--resume\) to continue it, restart \(--restart\)/);
    expect(await run(out, 10, { restart: true })).toBe(10);
  });

  it('a kill while the resume rewrites metrics.jsonl leaves the old metrics', async () => {
    const out = tmp();
    await run(out, 20);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    expect(metrics.trim().split('\n').length).toBe(4);
    const script = `
      import { resolveConfig, train } from ${JSON.stringify(new URL('../../src/train/index.ts', import.meta.url).pathname)};
      const cfg = resolveConfig('checkerboard', undefined, { steps: 40, batchSize: 32, logEvery: 5, ckptEvery: 10, evalEvery: 0, out: ${JSON.stringify(out)}, 'optim.warmup': 0 });
      await train(cfg, { quiet: true, noEval: true, resume: true });`;
    const slow = new URL('../helpers/slow_writes.mjs', import.meta.url).href;
    // every write pauses 400 ms: the kill lands while the metrics' replacement is being written
    const child = spawn(process.execPath, ['--import', slow, '--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, LCSS_SLOW_WRITES_MS: '400' }, stdio: 'pipe',
    });
    const killed = await new Promise<boolean>((resolve) => {
      const timer = setInterval(() => {
        if (readdirSync(out).some((n) => n.startsWith('.metrics.jsonl.tmp-'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(true);
        }
      }, 5);
      child.on('exit', () => {
        clearInterval(timer);
        resolve(false);
      });
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));
    expect(killed).toBe(true);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(metrics);
  }, 60_000);

  it('the CLI names each skipped checkpoint and why, and refuses the all-damaged folder with exit 2', () => {
    const out = tmp();
    const bin = new URL('../../dist/src/cli/bin.js', import.meta.url).pathname;
    const cli = (...a: string[]) => spawnSync(process.execPath, [bin, 'train', '--steps', '20', '--batch-size', '32', '--ckptEvery', '10', '--logEvery', '10', '--no-eval', '--plain', '--out', out, ...a], { encoding: 'utf8' });
    expect(cli().status).toBe(0);
    truncateSync(listCheckpoints(out)[1].path, 50);
    const r = cli('--steps', '30', '--resume');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/skipping damaged checkpoint: .*ckpt-0000000020\.safetensors at byte 50: expected a \d+-byte JSON header .*truncated/);
    expect(r.stderr).toMatch(/resumed from .*ckpt-0000000010\.safetensors at step 10/);
    for (const c of listCheckpoints(out)) truncateSync(c.path, 50);
    const all = cli('--steps', '40', '--resume');
    expect(all.status).toBe(2);
    expect(all.stderr).not.toMatch(/\n\s+at /);  // no stack trace
    expect(all.stderr).toMatch(/cannot resume: none of the 3 checkpoints .* is usable/);
    const again = cli('--steps', '40', '--resume', '--restart');
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/restart: removed the 3 checkpoints and the metrics of the previous run/);
  }, 60_000);
});

/** Rewrites a checkpoint as lcss before the whole-file checksum wrote it: a SHA-256 of the data only. */
function asLegacy(file: string): void {
  const { arrays, metadata } = readSafetensorsRaw(file);
  const { 'lcss.checksum': _, ...rest } = metadata;
  writeSafetensors(file, arrays, { metadata: rest, checksum: false });
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  header.__metadata__['lcss.sha256'] = createHash('sha256').update(bytes.subarray(8 + n)).digest('hex');
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(file, Buffer.concat([len, Buffer.from(json), bytes.subarray(8 + n)]));
}

describe('checkpoints of an older lcss (data-only checksum)', () => {
  it('are resumed, with a line saying their header cannot be verified; a file with no checksum is not', async () => {
    const out = tmp();
    await run(out, 20);
    for (const c of listCheckpoints(out)) asLegacy(c.path);
    const newest = listCheckpoints(out).at(-1)!.path;
    expect(() => loadCheckpoint(newest)).toThrow(/only the data-only checksum of an older lcss; re-save it/);
    const ck = loadCheckpoint(newest, { verify: 'any' });
    expect(ck.step).toBe(20);
    ck.dispose();
    // the trainer's log lines go to stderr
    const logs: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (logs.push(String(chunk)), true));
    let r;
    try {
      r = await train(cfgFor(out, 30), { noEval: true, plain: true, resume: true });
    } finally {
      spy.mockRestore();
    }
    expect(r.step).toBe(30);
    r.dispose();
    expect(logs.join('')).toMatch(/ckpt-0000000020\.safetensors was written by an older lcss: its data checksum matches, but its header .* cannot be verified/);
    expect(logs.join('')).toMatch(/resumed from .*ckpt-0000000020\.safetensors at step 20/);
    // the run continued in the new format
    expect(readSafetensorsRaw(listCheckpoints(out).at(-1)!.path, { verify: 'require' }).metadata['lcss.checksum']).toMatch(/^[0-9a-f]{64}$/);
    // a legacy file whose data was flipped is still caught by its data checksum
    const older = listCheckpoints(out).find((c) => c.step === 20)!.path;
    flipByte(older, 5);
    expect(() => loadCheckpoint(older, { verify: 'any' })).toThrow(/checksum mismatch/);
    // and one with no checksum at all is refused even with 'any'
    const { arrays, metadata } = readSafetensorsRaw(newest, { verify: false });
    const { 'lcss.sha256': __, ...bare } = metadata;
    writeSafetensors(newest, arrays, { metadata: bare, checksum: false });
    expect(() => loadCheckpoint(newest, { verify: 'any' })).toThrow(/has no checksum metadata, so its contents cannot be trusted/);
  });
});

describe('checkpoint metadata is validated', () => {
  const model = () => new Map([['w', lc.keep(lc.ones([2]))]]);

  it('malformed but checksummed metadata is a DataFormatError naming the key', () => {
    const out = tmp();
    const bad = (name: string, meta: Record<string, string>) => {
      const p = join(out, name);
      writeSafetensors(p, { 'model.w': { dtype: 'float32', shape: [1], data: Float32Array.from([1]) } }, { metadata: { 'lcss.format': 'lcss-checkpoint/1', 'lcss.step': '3', ...meta } });
      return p;
    };
    const cases: [string, Record<string, string>, RegExp][] = [
      ['rng-array', { 'lcss.rng': '[1,2]' }, /lcss\.rng is \[1, 2\], expected an object/],
      ['rng-nan', { 'lcss.rng': '{"loss":{"seed":-1,"offset":0}}' }, /lcss\.rng\["loss"\] is .* expected \{seed, offset\} with non-negative integers/],
      ['rng-json', { 'lcss.rng': '{' }, /lcss\.rng is not JSON/],
      ['step', { 'lcss.step': 'x' }, /lcss\.step "x" is not a step number/],
    ];
    for (const [name, meta, re] of cases) {
      let err: unknown;
      try {
        loadCheckpoint(bad(`${name}.safetensors`, meta)).dispose();
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(DataFormatError);
      expect((err as Error).message, name).toMatch(re);
    }
    const misnamed = bad('ckpt-0000000007.safetensors', {});
    expect(() => loadCheckpoint(misnamed)).toThrow(/lcss\.step 3 does not match the file name's step 7/);
  });

  it('an edited RNG state or data position is refused by the checksum; a checkpoint without one is not trusted', () => {
    const out = tmp();
    const m = model();
    const p = saveCheckpoint(out, { step: 5, model: m, rng: { loss: { seed: 1, offset: 64 } }, state: { data: 12 } });
    const bytes = readFileSync(p).toString('latin1');
    writeFileSync(p, Buffer.from(bytes.replace('\\"offset\\":64', '\\"offset\\":65'), 'latin1'));  // same length
    expect(() => loadCheckpoint(p)).toThrow(DataFormatError);
    expect(() => loadCheckpoint(p)).toThrow(/checksum mismatch/);
    expect(latestCheckpoint(out, { verify: 'full' })).toBeNull();
    const q = join(out, 'ckpt-0000000006.safetensors');
    const { arrays, metadata } = readSafetensorsRaw(saveCheckpoint(tmp(), { step: 6, model: m }));
    const { 'lcss.checksum': _, ...rest } = metadata;
    writeSafetensors(q, arrays, { metadata: rest, checksum: false });
    expect(() => loadCheckpoint(q)).toThrow(/has no lcss\.checksum metadata .* cannot be trusted/);
    const skipped: string[] = [];
    expect(latestCheckpoint(out, { onSkip: (f, e) => skipped.push(`${f}: ${e.message}`) })).toBe(p);  // header check: p's header is intact
    expect(skipped.join()).toMatch(/ckpt-0000000006.* has no checksum metadata/);
    m.forEach((t) => t.dispose());
  });
});
