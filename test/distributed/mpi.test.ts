// SPDX-License-Identifier: MIT
// Data-parallel training on real MPI processes (mpirun, one thread per rank): N ranks with global
// batch B take the same steps as one process with batch B, a checkpoint resumes on another number
// of ranks, and a rank that hangs or dies ends the job with an error that names it, in seconds.
// Needs Open MPI (CI installs openmpi-bin and libopenmpi-dev) and an addon built against it; skipped
// otherwise, with the reason printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { listCheckpoints, loadCheckpoint } from '../../src/train/checkpoint.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'dist/src/cli/bin.js');
const fixtures = join(root, 'test/distributed/fixtures');
const hasMpirun = spawnSync('sh', ['-c', 'command -v mpirun'], { encoding: 'utf8' }).status === 0;
const built = native.distInfo().mpi;
const why = !hasMpirun ? 'mpirun not found (apt-get install openmpi-bin)' : !built ? native.distInfo().compiledBy : '';
if (why) console.warn(`skipping the MPI tests: ${why}`);

const dir = mkdtempSync(join(tmpdir(), 'lcss-mpi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  out: string;
  ms: number;
}

/** `mpirun -np n node ...args` (n = 0: the plain process, no launcher) */
function launch(n: number, args: string[], env: Record<string, string> = {}): Run {
  const t0 = Date.now();
  const base = { ...process.env, LCSS_NUM_THREADS: '1', OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1', ...env };
  const cmd = n ? ['mpirun', '-np', String(n), ...Object.keys(env).flatMap((k) => ['-x', k]), process.execPath, ...args] : [process.execPath, ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env: base, timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, ms: Date.now() - t0 };
}

function train(n: number, out: string, ...extra: string[]): Run {
  const r = launch(n, [bin, 'train', '--out', out, '--no-eval', '--plain', '--seed', '3', '--logEvery', '10', ...(n ? ['--distributed'] : []), ...extra]);
  if (r.status !== 0) console.error(r.out);
  return r;
}

/** The model, EMA and optimiser tensors of the newest checkpoint in `out`. */
function finalState(out: string): Map<string, Float32Array | Float64Array> {
  const ck = loadCheckpoint(listCheckpoints(out).at(-1)!.path);
  const m = new Map<string, Float32Array | Float64Array>();
  for (const [group, tensors] of [['model', ck.model], ['ema', ck.ema], ['optim', ck.optim]] as const)
    for (const [k, t] of tensors) m.set(`${group}.${k}`, t.dataSync() as Float32Array);
  ck.dispose();
  return m;
}

/** Largest difference between two runs' tensors, relative to the tensor's largest magnitude. */
function maxRelDiff(a: Map<string, Float32Array | Float64Array>, b: Map<string, Float32Array | Float64Array>): number {
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  let worst = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    const scale = Math.max(1e-6, ...Array.from(x, Math.abs));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  }
  return worst;
}

describe.skipIf(!!why)('data-parallel training on MPI', () => {
  it('float64: 2 and 3 ranks (one bucket, and a bucket per tensor) end on the parameters of one process', () => {
    const one = JSON.parse(launch(0, [join(fixtures, 'ddp_f64.mjs')]).out.split('\n')[0]);
    for (const [n, mb] of [[2, '25'], [3, '0.0002']] as const) {
      const r = launch(n, [join(fixtures, 'ddp_f64.mjs')], { BUCKET_MB: mb });
      expect(r.status, r.out).toBe(0);
      const many = JSON.parse(r.out.split('\n')[0]);
      expect(many.stats.buckets).toBe(mb === '25' ? 1 : 4);
      expect(many.stats.startedInBackward).toBe(6 * many.stats.buckets);  // every bucket overlapped backward
      let worst = 0;
      one.params.forEach((p: number[], i: number) => p.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - many.params[i][j])))));
      // the mean of per-rank means differs from one mean only in rounding
      expect(worst).toBeLessThan(1e-14);
    }
  });

  for (const [loss, data] of [['lcss', 'checkerboard'], ['dsm', 'moons']] as const)
    it(`lcss train --distributed: ${loss} on ${data}, 2 ranks take the steps of one process (same batches, same noise)`, () => {
      const a = join(dir, `${loss}-1`), b = join(dir, `${loss}-2`);
      expect(train(0, a, '--loss', loss, '--data', data, '--steps', '30').status).toBe(0);
      expect(train(2, b, '--loss', loss, '--data', data, '--steps', '30').status).toBe(0);
      // float32 sums in another order: a few ulp per step, compounding through Adam
      expect(maxRelDiff(finalState(a), finalState(b))).toBeLessThan(2e-4);
      const rec = readFileSync(join(b, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const ref = readFileSync(join(a, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rec.at(-1).worldSize).toBe(2);
      rec.forEach((r, i) => expect(r.loss).toBeCloseTo(ref[i].loss, 4));  // the logged loss is the whole batch's
      expect(JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8')).worldSize).toBe(2);
    });

  it('a checkpoint of 2 ranks resumes on 1, and one of 1 rank on 2, continuing the same run', () => {
    const straight = join(dir, 'straight'), twoThenOne = join(dir, 'two-one'), oneThenTwo = join(dir, 'one-two');
    const common = ['--steps', '40', '--ckptEvery', '20'];
    expect(train(0, straight, ...common).status).toBe(0);
    expect(train(2, twoThenOne, '--steps', '20', '--ckptEvery', '20').status).toBe(0);
    const r1 = train(0, twoThenOne, ...common, '--resume');
    expect(r1.status).toBe(0);
    expect(r1.out).toMatch(/resumed from .*ckpt-0000000020/);
    expect(train(0, oneThenTwo, '--steps', '20', '--ckptEvery', '20').status).toBe(0);
    expect(train(2, oneThenTwo, ...common, '--resume').status).toBe(0);
    const ref = finalState(straight);
    expect(maxRelDiff(ref, finalState(twoThenOne))).toBeLessThan(2e-4);
    expect(maxRelDiff(ref, finalState(oneThenTwo))).toBeLessThan(2e-4);
  });

  it('a rank that hangs: the others fail after the timeout, naming it, and the job ends', () => {
    const r = launch(2, [join(fixtures, 'stall.mjs')]);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/rank 0: DistributedError: distributed\.allReduce: gradient all-reduce .* did not complete within 2 s on rank 0: rank 1 \(last at collective #1\) never reached it: it died or hung/);
    expect(r.ms).toBeLessThan(30_000);  // 2 s timeout plus launch; far below the 60 s rank 1 sleeps
  });

  it('a rank that dies: the job ends within seconds, and the launcher names it', () => {
    const r = launch(2, [join(fixtures, 'stall.mjs')], { KILL: '1' });
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/rank 1 .*(killed|signal 9)|never reached it/i);
    expect(r.ms).toBeLessThan(30_000);
  });

  it('a global batch the ranks cannot share evenly is refused before training, with the fix', () => {
    const r = launch(2, [bin, 'train', '--distributed', '--batch-size', '63', '--steps', '2', '--out', join(dir, 'odd'), '--no-eval']);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/train: batchSize is the global batch \(63\) and must be a multiple of the 2 ranks; use a batchSize \(--batch-size\) of 64/);
  });
});
