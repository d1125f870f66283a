// SPDX-License-Identifier: MIT
// The GPU check: one run on a machine with a GPU (and no Node tooling: bench/gpu_check.sh unpacks
// a staged Node and the CUDA-built addon) that
//   1. runs every CUDA check suite of checks/cuda (the whole op case table, values and first and
//      second order gradients, plus the kernel, runtime and model suites) on CUDA against the CPU;
//   2. times W1-W5 (bench/gpu_workloads.ts) on the GPU, synchronising around each repetition
//      (bench/gpu_check_torch.py times the same cases in PyTorch with CUDA events);
// and writes one JSON line per check and per timing to <out>/lcss.jsonl.
// Without a GPU it runs its CPU half: the case table's CPU side against the float64 reference (the
// reference the GPU half is compared with), and one short timing pass of every workload on the CPU
// so every code path runs; the GPU half is skipped with the reason.
//   node dist/bench/gpu_check.js [--out DIR] [--seed N] [--reps N] [--workloads W1,...] [--dims 2,16,...]
//                                [--suites table,kernels,runtime,models] [--tf32-workloads W1,W2,W4] [--tag NAME]
//                                [--no-checks] [--no-bench]
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lc from '../src/index.js';
import { modelSuites } from '../checks/cuda/checks_models.js';
import { runtimeSuites } from '../checks/cuda/checks_runtime.js';
import { kernelSuites } from '../checks/cuda/checks_kernels.js';
import { tableSuites } from '../checks/cuda/checks_table.js';
import { HAVE_CUDA, relErr, type Suite } from '../checks/cuda/helpers.js';
import { toNd, toTensor, values } from '../checks/helpers/inputs.js';
import { cases } from '../checks/ops/cases.js';
import { w1, w2, w3, w4, w5, type Workload } from './gpu_workloads.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const OUT = arg('out', process.env.OUT ?? 'gpu-check-out');
const SEED = Number(arg('seed', String(Math.floor(Math.random() * 1e6))));
const TAG = arg('tag', '');  // a second pass (e.g. LCSS_CUBLAS=1) writes lcss_<tag>.jsonl
mkdirSync(OUT, { recursive: true });
const LOG = join(OUT, TAG ? `lcss_${TAG}.jsonl` : 'lcss.jsonl');
writeFileSync(LOG, '');
const emit = (o: Record<string, unknown>) => appendFileSync(LOG, JSON.stringify(o) + '\n');
const say = (s: string) => console.log(s);

interface Tally { passed: number; failed: number; failures: string[] }

async function runSuites(suites: Suite[], tally: Tally): Promise<void> {
  for (const s of suites) {
    const t0 = performance.now();
    let ok = 0;
    for (const c of s.checks) {
      const c0 = performance.now();
      try {
        await c.run();
        ok++;
        tally.passed++;
        emit({ kind: 'check', suite: s.name, name: c.name, ok: true, ms: +(performance.now() - c0).toFixed(1) });
      } catch (e) {
        tally.failed++;
        const msg = String((e as Error)?.stack ?? e);
        tally.failures.push(`${s.name} > ${c.name}: ${msg.split('\n')[0]}`);
        emit({ kind: 'check', suite: s.name, name: c.name, ok: false, error: msg });
      }
    }
    say(`  ${ok === s.checks.length ? 'ok  ' : 'FAIL'} ${s.name}: ${ok}/${s.checks.length} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

// CPU half of the table: every case on the CPU (float32 and float64) against the float64
// reference of checks/helpers/ref.ts, with |got - ref| <= atol + rtol |ref|.
async function cpuTable(tally: Tally): Promise<void> {
  const checks = cases.map((c) => ({
    name: c.name,
    run: () => {
      for (const dtype of ['float64', 'float32'] as const)
        lc.tidy(() => {
          const ins = c.inputs.map((spec, i) => toTensor(spec, values(spec, SEED * 131 + i), dtype));
          const y = c.fn(...ins), ref = c.ref(...ins.map(toNd));
          const rtol = dtype === 'float32' ? c.rtol32 ?? 1e-4 : c.rtol64 ?? 1e-9, atol = dtype === 'float32' ? 1e-5 : 1e-10;
          const err = relErr(y.dataSync() as ArrayLike<number>, ref.data, atol / rtol);
          if (!(err <= rtol)) throw new Error(`${c.name} (${dtype}, seed ${SEED}): relative error ${err} > ${rtol}`);
        });
    },
  }));
  await runSuites([{ name: 'op table on the CPU vs the float64 reference', checks }], tally);
}

interface Stat { median: number; min: number; max: number; reps: number; inner: number }

// ms per call: warm-up calls, then `reps` repetitions of `inner` back-to-back calls between two
// device synchronisations (inner chosen so a repetition lasts >= minRepMs), as the peer does.
function measure(step: () => void, sync: () => void, reps: number, warmup: number, minRepMs: number): Stat {
  let est = Infinity;
  for (let i = 0; i < warmup; i++) {
    sync();
    const t0 = performance.now();
    step();
    sync();
    est = Math.min(est, performance.now() - t0);
  }
  const inner = est < minRepMs ? Math.max(1, Math.ceil(minRepMs / Math.max(est, 1e-3))) : 1;
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    sync();
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) step();
    sync();
    ts.push((performance.now() - t0) / inner);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(ts.length / 2)], min: ts[0], max: ts[ts.length - 1], reps, inner };
}

function bench(dev: lc.Device, reps: number, warmup: number, minRepMs: number, dims: number[], only: string[], suffix = ''): void {
  const sync = dev.type === 'cuda' ? () => lc.cuda.synchronize(dev.index) : () => {};
  const groups: [string, () => Workload[]][] = [
    ['W1', () => w1(dev)], ['W2', () => w2(dev)], ['W3', () => w3(dev)], ['W4', () => w4(dev)],
    ['W5', () => w5(dev, dims, dev.type === 'cuda' ? 64 : 16)],
  ];
  for (const [name, make] of groups) {
    if (!only.includes(name)) continue;
    let ws: Workload[] = [];
    try {
      ws = make();
      for (const w of ws) {
        if (w.case.startsWith('_')) continue;
        const s = measure(w.step, sync, reps, warmup, minRepMs);
        const r = { kind: 'result', device: dev.toString(), workload: w.workload, case: w.case + suffix, ...(w.D !== undefined ? { D: w.D } : {}), unit: 'ms', ...s };
        emit(r);
        say(`  ${`${w.workload} ${w.case}${suffix}${w.D !== undefined ? ` D=${w.D}` : ''}`.padEnd(50)} ${s.median.toFixed(3).padStart(10)} ms${w.flop ? `  ${(w.flop / (s.median * 1e6)).toFixed(0).padStart(7)} GFLOP/s` : ''}`);
      }
    } catch (e) {
      const msg = String((e as Error)?.stack ?? e);
      emit({ kind: 'error', device: dev.toString(), workload: name, error: msg });
      say(`  ${name} FAILED: ${msg.split('\n')[0]}`);
    } finally {
      for (const w of ws) w.dispose();
    }
  }
}

async function main(): Promise<void> {
  const env = {
    kind: 'env', tag: TAG, cublas: process.env.LCSS_CUBLAS === '1' ? process.env.LCSS_CUBLAS_LIB ?? 'default search' : 'off', node: process.version, isa: lc.cpuIsa(), threads: lc.getNumThreads(), seed: SEED, date: new Date().toISOString(),
    cudaBuilt: lc.cuda.isBuilt(), cudaAvailable: HAVE_CUDA, cudaStatus: lc.cuda.status(),
    device: HAVE_CUDA ? lc.cuda.deviceInfo(0) : null,
  };
  emit(env);
  say(`# lcss GPU check: node ${env.node}, seed ${SEED}, cuda built ${env.cudaBuilt}, ` +
    (HAVE_CUDA ? `device ${env.device!.name} (sm_${env.device!.major}${env.device!.minor}${env.device!.emulated ? ', CPU EMULATOR' : ''})` : `no GPU: ${env.cudaStatus}`));
  const tally: Tally = { passed: 0, failed: 0, failures: [] };
  const reps = Number(arg('reps', HAVE_CUDA ? '10' : '2'));
  const dims = arg('dims', '2,16,64,256,784').split(',').map(Number);
  const only = arg('workloads', 'W1,W2,W3,W4,W5').split(',');
  if (!flag('no-checks')) {
    say('## checks');
    await cpuTable(tally);
    const want = arg('suites', 'table,kernels,runtime,models').split(',');
    const all: [string, () => Suite[]][] = [['table', () => tableSuites(SEED)], ['kernels', kernelSuites], ['runtime', runtimeSuites], ['models', modelSuites]];
    if (HAVE_CUDA) await runSuites(all.filter(([n]) => want.includes(n)).flatMap(([, f]) => f()), tally);
    else say(`  GPU half skipped: ${lc.cuda.status()}`);
  }
  if (!flag('no-bench')) {
    if (HAVE_CUDA) {
      say(`## workloads on ${lc.device('cuda')} (ms per call, median of ${reps})`);
      bench(lc.device('cuda'), reps, 3, 50, dims, only);
      // the same products on TF32 tensor cores (opt-in on our side, PyTorch's cuDNN default)
      const tf = arg('tf32-workloads', 'W1,W2,W4').split(',').filter((w) => only.includes(w) && w);
      if (tf.length && lc.cuda.deviceInfo(0).major >= 8) {
        say(`## ${tf.join(', ')} with cuda.setMatmulPrecision('tf32')`);
        lc.cuda.setMatmulPrecision('tf32');
        try {
          bench(lc.device('cuda'), reps, 3, 50, dims, tf, ' [tf32]');
        } finally {
          lc.cuda.setMatmulPrecision('highest');
        }
      }
    } else {
      say('## workloads on the cpu (one short pass: the GPU half is skipped, this shows every workload runs)');
      bench(lc.CPU, reps, 1, 0, dims, only);
    }
  }
  say(`## ${tally.passed} checks passed, ${tally.failed} failed`);
  for (const f of tally.failures.slice(0, 40)) say(`  FAIL ${f}`);
  emit({ kind: 'summary', passed: tally.passed, failed: tally.failed });
  process.exitCode = tally.failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
