// SPDX-License-Identifier: MIT
// `npm run bench:peer`: our workloads and the PyTorch peer (run_torch_peer.sh openblas-omp, from
// the folder given by --peers or LCSS_PEERS; the peer is not part of this repository) back to back, workload by workload, and the ratios against the targets of
// docs/PERFORMANCE.md. On a shared machine timings swing with other jobs, so each round first
// waits (up to --quiet-wait seconds) for both cores to be idle, and rounds alternate ours/peer.
//   node dist/bench/peer.js [--workloads W1,W2,W3,W4,W5] [--rounds 2] [--reps 7] [--d-list ...]
//                           [--peers DIR] [--quiet-wait 120] [--threads 2] [--json]
// --threads sets both sides' thread count (ours: setNumThreads; the peer: torch.set_num_threads),
// so the same command measures the 1-thread and the 2-thread ratio.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

interface Target { workload: string; case: string; max?: number; minGflops?: number; note: string }
const TARGETS: Target[] = [
  { workload: 'W1_sgemm_1024', case: 'mm', note: '>= 90% of peak and ahead of PyTorch', max: 1.0 },
  { workload: 'W2_conv3x3', case: 'fwd+bwd(dx,dw)', max: 0.7, note: '<= 0.7x PyTorch' },
  { workload: 'W3_groupnorm', case: 'fwd+bwd(dx,dgamma,dbeta)', max: 0.45, note: '<= 0.45x PyTorch' },
  { workload: 'W4_unet_b32', case: 'dsm', max: 0.8, note: '<= 0.8x PyTorch' },
  { workload: 'W4_unet_b32', case: 'lcss_cat', max: 0.8, note: '<= 0.8x PyTorch (and <= 1.8x our DSM step)' },
  ...['dsm', 'lcss', 'ssm', 'fdssm'].map((c) => ({ workload: 'W5_mlp_b128', case: c, max: 1.0, note: '<= 1.0x PyTorch' })),
];

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
  const out: Record<string, unknown>[] = [];
  for (const [k, v] of rows) {
    if (!v.ours.length || !v.peer.length) continue;
    const best = (a: number[]) => (v.unit === 'ms' ? Math.min(...a) : Math.max(...a));
    const o = best(v.ours), p = best(v.peer);
    const ratio = v.unit === 'ms' ? o / p : p / o;  // always ours-time / peer-time
    const [wl, cs] = k.split('/');
    const t = TARGETS.find((x) => x.workload === wl && x.case === cs);
    out.push({ key: k, ours: +o.toFixed(4), peer: +p.toFixed(4), ratio_time: +ratio.toFixed(3), target: t?.note ?? '', met: t?.max !== undefined ? ratio <= t.max : undefined });
  }
  if (json) for (const o of out) console.log(JSON.stringify(o));
  else {
    console.log(`${'workload/case'.padEnd(52)} ${'ours'.padStart(10)} ${'peer'.padStart(10)} ${'ours/peer(time)'.padStart(16)}  target`);
    for (const o of out) console.log(`${String(o.key).padEnd(52)} ${String(o.ours).padStart(10)} ${String(o.peer).padStart(10)} ${String(o.ratio_time).padStart(16)}  ${o.target}${o.met === undefined ? '' : o.met ? ' (met)' : ' (MISSED)'}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
