// SPDX-License-Identifier: MIT
// `npm run bench:peer`: our workloads and the PyTorch peer (run_torch_peer.sh openblas-omp, from
// the folder given by --peers or LCSS_PEERS; the peer is not part of this repository) back to back, workload by workload, and the ratios against the targets of
// docs/PERFORMANCE.md. On a shared machine timings swing with other jobs, so each round first
// waits (up to --quiet-wait seconds) for both cores to be idle, and rounds alternate ours/peer.
//   node dist/bench/peer.js [--workloads W1,W2,W3,W4,W5] [--rounds 2] [--reps 7] [--d-list ...]
//                           [--peers DIR] [--quiet-wait 120] [--threads 2] [--peak GFLOPS|auto] [--json]
// --threads sets both sides' thread count (ours: setNumThreads; the peer: torch.set_num_threads),
// so the same command measures the 1-thread and the 2-thread ratio.
// --peak is the host's fp32 FMA peak at that thread count, which W1's target (>= 90 % of it) needs:
// a number, or `auto` to build and run the peer folder's peak_fma.cpp (g++) first. Without it W1
// is reported against PyTorch only and its target stays unjudged. W4's LCSS target also needs our
// DSM step of the same run (LCSS <= 1.8x it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as lc from '../src/index.js';
import { runOurs, type Result } from '../src/bench/kernels.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
}

/** Waits until both cores were >= 85% idle for two consecutive seconds, or maxS passed; returns the last idle fraction. */
async function waitQuiet(maxS: number): Promise<number> {
  const t0 = Date.now();
  let ok = 0, idle = 0;
  while ((Date.now() - t0) / 1e3 < maxS) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuTimes();
    idle = (b.idle - a.idle) / Math.max(1, b.total - a.total);
    ok = idle >= 0.85 ? ok + 1 : 0;
    if (ok >= 2) break;
  }
  return idle;
}

// max: the time ratio to PyTorch; minPeak: the fraction of the host's FMA peak (needs --peak);
// maxVsOurDsm: the ratio to our W4 DSM step of the same run.
interface Target { workload: string; case: string; max?: number; minPeak?: number; maxVsOurDsm?: number; note: string }
const TARGETS: Target[] = [
  { workload: 'W1_sgemm_1024', case: 'mm', note: '>= 90% of peak and ahead of PyTorch', max: 1.0, minPeak: 0.9 },
  { workload: 'W2_conv3x3', case: 'fwd+bwd(dx,dw)', max: 0.7, note: '<= 0.7x PyTorch' },
  { workload: 'W3_groupnorm', case: 'fwd+bwd(dx,dgamma,dbeta)', max: 0.45, note: '<= 0.45x PyTorch' },
  { workload: 'W4_unet_b32', case: 'dsm', max: 0.8, note: '<= 0.8x PyTorch' },
  { workload: 'W4_unet_b32', case: 'lcss_cat', max: 0.8, maxVsOurDsm: 1.8, note: '<= 0.8x PyTorch and <= 1.8x our DSM step' },
  ...['dsm', 'lcss', 'ssm', 'fdssm'].map((c) => ({ workload: 'W5_mlp_b128', case: c, max: 1.0, note: '<= 1.0x PyTorch' })),
];

/** The fp32 FMA peak (GFLOP/s) at `threads` from peak_fma's JSON lines: the best instruction set's median. */
const peakSuffix = (threads: number) => (threads === 1 ? '_1thread' : `_${threads}threads`);

export function peakFromPeakFma(stdout: string, threads: number): number | undefined {
  const suffix = peakSuffix(threads);
  let best: number | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line) as { bench?: string; unit?: string; median?: number };
    if (o.unit === 'GFLOP/s' && o.bench?.startsWith('fma_') && o.bench.endsWith(suffix) && typeof o.median === 'number')
      best = Math.max(best ?? 0, o.median);
  }
  return best;
}

function measurePeak(peers: string, threads: number): number {
  const src = join(peers, 'peak_fma.cpp'), bin = join(tmpdir(), `lcss-peak-fma-${process.pid}`);
  if (!existsSync(src)) throw new Error(`bench:peer: --peak auto needs ${src}`);
  execFileSync('g++', ['-O3', '-march=native', '-pthread', '-o', bin, src], { stdio: 'inherit' });
  let out: string;
  try { out = execFileSync(bin, [], { encoding: 'utf8' }); } finally { rmSync(bin, { force: true }); }
  const peak = peakFromPeakFma(out, threads);
  if (peak === undefined) throw new Error(`bench:peer: peak_fma printed no fma_*${peakSuffix(threads)} result (it measures 1 and 2 threads)`);
  return peak;
}

export interface Judged { met?: boolean; detail: string }

/**
 * Whether a row meets its target. W1 needs the peak (>= 90 % of it, and ahead of PyTorch); the W4
 * LCSS step also needs our DSM step of the same run. A target that cannot be judged gets no verdict.
 */
export function judge(t: Target | undefined, ratio: number, ours: number, extra: { peak?: number; oursDsmMs?: number; unit: string }): Judged {
  if (!t || t.max === undefined) return { detail: '' };
  if (t.minPeak !== undefined) {
    if (extra.unit !== 'GFLOP/s') return { detail: '' };  // judged once, on the GFLOP/s row
    if (extra.peak === undefined) return { detail: 'peak not given (--peak): not judged' };
    const frac = ours / extra.peak;
    return { met: frac >= t.minPeak && ratio <= t.max, detail: `${(100 * frac).toFixed(0)} % of ${extra.peak.toFixed(0)} GFLOP/s` };
  }
  if (t.maxVsOurDsm !== undefined) {
    if (extra.oursDsmMs === undefined) return { met: undefined, detail: 'no DSM step in this run: not judged' };
    const vsDsm = ours / extra.oursDsmMs;
    return { met: ratio <= t.max && vsDsm <= t.maxVsOurDsm, detail: `${vsDsm.toFixed(2)}x our DSM step` };
  }
  return { met: ratio <= t.max, detail: '' };
}

// The peer's case name -> ours, where they differ (the same computation: see src/bench/workloads.ts)
const PEER_TO_OURS: Record<string, string> = {
  'W4_unet_b32/train_step_dsm': 'dsm',
  'W4_unet_b32/train_step_lcss_fused_b64': 'lcss_cat',
  'W5_mlp_b128/stein_cat': 'lcss',
};

function runPeer(peers: string, workloads: string[], reps: number, dims: string, threads: number): Result[] {
  const script = join(peers, 'run_torch_peer.sh');
  if (!existsSync(script)) throw new Error(`peer script not found: ${script} (pass --peers DIR)`);
  const r = spawnSync(script, ['openblas-omp', '--threads', String(threads), '--workloads', workloads.join(','), '--reps', String(reps), '--d-list', dims],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`peer failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((o) => o.kind === 'result');
}

async function main() {
  const peers = arg('peers', process.env.LCSS_PEERS ?? '');
  if (!peers) throw new Error('bench:peer: pass --peers DIR (or set LCSS_PEERS): the folder that holds the PyTorch peer run_torch_peer.sh');
  const workloads = arg('workloads', 'W1,W2,W3,W4,W5').split(',');
  const rounds = +arg('rounds', '2'), reps = +arg('reps', '7'), quiet = +arg('quiet-wait', '120');
  const dims = arg('d-list', '2,16,64,256,784');
  const json = process.argv.includes('--json');
  const threads = +arg('threads', '2');
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`bench:peer: --threads must be an integer >= 1, got ${arg('threads', '2')}`);
  const peakArg = arg('peak', '');
  const peak = peakArg === '' ? undefined : peakArg === 'auto' ? measurePeak(peers, threads) : +peakArg;
  if (peak !== undefined && !(peak > 0)) throw new Error(`bench:peer: --peak must be a positive GFLOP/s figure or auto, got ${peakArg}`);
  if (peak !== undefined) console.error(`# fp32 FMA peak at ${threads} thread(s): ${peak.toFixed(1)} GFLOP/s`);
  lc.setNumThreads(threads);
  const rows = new Map<string, { ours: number[]; peer: number[]; unit: string }>();
  const key = (r: Result) => `${r.workload}/${r.case}${r.D !== undefined ? `/D=${r.D}` : ''}/${r.unit}`;
  for (let round = 0; round < rounds; round++) {
    for (const w of workloads) {
      const order = round % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
      for (const who of order) {
        const idle = await waitQuiet(quiet);
        console.error(`# round ${round + 1} ${w} ${who} (idle ${(idle * 100).toFixed(0)}%)`);
        const res = who === 'ours'
          ? await runOurs({ workloads: [w], reps, dims: dims.split(',').map(Number), losses: ['dsm', 'lcss', 'ssm', 'fdssm'] })
          : runPeer(peers, [w], reps, dims, threads);
        for (const r of res) {
          if (who === 'peer') r.case = PEER_TO_OURS[`${r.workload}/${r.case}`] ?? r.case;
          const k = key(r);
          const row = rows.get(k) ?? { ours: [], peer: [], unit: r.unit };
          (who === 'ours' ? row.ours : row.peer).push(r.median);
          rows.set(k, row);
        }
      }
    }
  }
  // best-of-rounds medians: the least disturbed measurement of each side
  const out: { key: string; ours: number; peer: number; ratio_time: number; target: string; detail: string; met?: boolean }[] = [];
  const dsm = rows.get('W4_unet_b32/dsm/ms');
  const oursDsmMs = dsm?.ours.length ? Math.min(...dsm.ours) : undefined;
  for (const [k, v] of rows) {
    if (!v.ours.length || !v.peer.length) continue;
    const best = (a: number[]) => (v.unit === 'ms' ? Math.min(...a) : Math.max(...a));
    const o = best(v.ours), p = best(v.peer);
    const ratio = v.unit === 'ms' ? o / p : p / o;  // always ours-time / peer-time
    const [wl, cs] = k.split('/');
    const t = TARGETS.find((x) => x.workload === wl && x.case === cs);
    const j = judge(t, ratio, o, { peak, oursDsmMs, unit: v.unit });
    out.push({ key: k, ours: +o.toFixed(4), peer: +p.toFixed(4), ratio_time: +ratio.toFixed(3), target: t?.note ?? '', detail: j.detail, met: j.met });
  }
  if (json) for (const o of out) console.log(JSON.stringify(o));
  else {
    console.log(`${'workload/case'.padEnd(52)} ${'ours'.padStart(10)} ${'peer'.padStart(10)} ${'ours/peer(time)'.padStart(16)}  target`);
    for (const o of out) {
      const verdict = o.met === undefined ? '' : o.met ? ' (met)' : ' (MISSED)';
      console.log(`${o.key.padEnd(52)} ${String(o.ours).padStart(10)} ${String(o.peer).padStart(10)} ${String(o.ratio_time).padStart(16)}  ${o.target}${o.detail ? ` [${o.detail}]` : ''}${verdict}`);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
