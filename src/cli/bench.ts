// SPDX-License-Identifier: MIT
// `lcss bench`: the project's benchmarks from the command line (the suites live in src/bench; bench/ holds
// the dev-only peer comparisons and the GPU check).
import { atomicWriteFile } from '../io/atomic.js';
import { ArgumentError } from '../errors.js';
import { parseArgs, type CommandSpec } from './args.js';

export const benchSpec: CommandSpec = {
  name: 'bench',
  summary: 'benchmarks: `losses` (LCSS vs the Jacobian-trace baseline, SSM, FD-SSM, DSM), `kernels` (W1-W5), `stein` (the fused kernel)',
  usage: 'lcss bench losses|kernels|stein [options]',
  options: {
    dims: { type: 'string', arg: 'LIST', help: 'losses: data dimensions (default 2,16,64,256,784,3072)' },
    reps: { type: 'number', arg: 'N', integer: true, min: 1, help: 'timed repetitions per case' },
    json: { type: 'string', arg: 'FILE', writes: true, help: 'write the results as JSON' },
    workloads: { type: 'string', arg: 'LIST', default: 'W1,W2,W3,W4,W5', help: 'kernels: which workloads' },
    profile: { type: 'number', arg: 'N', integer: true, min: 1, help: 'kernels: after timing, profile N more steps of each case and print where the time goes, kernel by kernel' },
    'max-step-seconds': { type: 'number', arg: 'S', min: 0, default: 60, help: 'losses: extrapolate steps projected to take longer' },
    'memory-budget': { type: 'number', arg: 'GIB', help: 'losses: memory a step may use (default: what the OS says is available); steps projected to need more are extrapolated' },
  },
  examples: ['lcss bench losses', 'lcss bench losses --dims 2,16,64 --json losses.json', 'lcss bench kernels --workloads W1,W2', 'lcss bench kernels --workloads W4 --reps 3 --profile 3'],
};

export async function runBench(argv: string[]): Promise<number> {
  const { opts, positional } = parseArgs(benchSpec, argv);
  const which = positional[0];
  const dims = opts.dims ? String(opts.dims).split(',').map(Number) : undefined;
  if (dims?.some((d) => !Number.isInteger(d) || d < 1)) throw new ArgumentError(`lcss bench: --dims expects positive integers, got ${opts.dims}`);
  const reps = opts.reps === undefined ? undefined : Number(opts.reps);
  if (which === 'losses') {
    const { runLossBench } = await import('../bench/losses.js');
    const budget = opts['memory-budget'] === undefined ? undefined : Number(opts['memory-budget']);
    if (budget !== undefined && !(budget > 0)) throw new ArgumentError(`lcss bench: --memory-budget expects a positive number of GiB, got ${opts['memory-budget']}`);
    const r = await runLossBench({ dims, reps, jsonPath: opts.json ? String(opts.json) : undefined, maxStepSeconds: Number(opts['max-step-seconds']),
      memoryBudget: budget === undefined ? undefined : budget * 2 ** 30, log: (l: string) => console.error(l) });
    console.log(`${r.machine.cpu}, ${r.machine.threads} threads, ${r.machine.isa}, node ${r.machine.node}, ${r.machine.date}, load ${r.machine.loadavg.map((v: number) => v.toFixed(2)).join(' ')}`);
    console.log(r.table);
    return 0;
  }
  if (which === 'kernels') {
    const { runOurs, describe } = await import('../bench/kernels.js');
    const res = await runOurs({ workloads: String(opts.workloads).split(','), reps: reps ?? 7, dims: dims ?? [2, 16, 64, 256, 784], onResult: (r: unknown) => console.log(describe(r as never)),
      profileSteps: opts.profile === undefined ? undefined : Number(opts.profile),
      onProfile: (tag: string, rep: { table(top?: number): string }) => console.log(`\n# profile: ${tag}\n${rep.table(20)}\n`) });
    if (opts.json) atomicWriteFile(String(opts.json), JSON.stringify(res, null, 2) + '\n', 'lcss bench --json');
    return 0;
  }
  if (which === 'stein') {
    const { runSteinKernelBench, formatSteinKernelTable } = await import('../bench/stein.js');
    const rows = await runSteinKernelBench({});
    console.log(formatSteinKernelTable(rows));
    if (opts.json) atomicWriteFile(String(opts.json), JSON.stringify(rows, null, 2) + '\n', 'lcss bench --json');
    return 0;
  }
  throw new ArgumentError(`lcss bench: expected losses, kernels or stein, got ${which === undefined ? 'nothing' : JSON.stringify(which)}`);
}
