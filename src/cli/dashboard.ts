// SPDX-License-Identifier: MIT
import { ArgumentError } from '../errors.js';
import { startDashboard } from '../dashboard/server.js';
import { parseArgs, type CommandSpec } from './args.js';

export const dashboardSpec: CommandSpec = {
  name: 'dashboard',
  summary: 'serve a live page of runs on 127.0.0.1: loss, lr, gradient norm, evaluation metrics, samples, config',
  usage: 'lcss dashboard --run DIR [--run DIR ...] [--port N]',
  options: {
    run: { type: 'string', arg: 'DIR', multiple: true, help: 'a run directory (the --out of lcss train)' },
    port: { type: 'number', arg: 'N', integer: true, min: 0, default: 0, help: 'TCP port on 127.0.0.1 (0: a free one)' },
  },
  examples: ['lcss dashboard --run runs/checkerboard', 'lcss dashboard --run runs/cb-lcss --run runs/cb-dsm --port 8080   # overlaid', 'lcss train --dashboard   # beside a training'],
};

/** Serves until SIGINT / SIGTERM (or `signal`, for tests); prints the URL on stdout. */
export async function runDashboard(argv: string[], signal?: AbortSignal): Promise<number> {
  const { opts, positional } = parseArgs(dashboardSpec, argv);
  if (positional.length) throw new ArgumentError(`lcss dashboard: unexpected argument ${JSON.stringify(positional[0])} (runs are given with --run DIR)`);
  if (opts.port !== undefined && Number(opts.port) > 65535) throw new ArgumentError(`lcss dashboard: --port expects an integer in [0, 65535], got ${opts.port}`);
  if (typeof opts.run !== 'string') throw new ArgumentError('lcss dashboard: --run DIR is required (repeat it to compare runs)');
  const dash = await startDashboard({ runs: opts.run.split('\n'), port: Number(opts.port) }).catch((e: unknown) => {
    throw e instanceof ArgumentError ? new ArgumentError(e.message.replace(/^startDashboard: /, 'lcss dashboard: ')) : e;
  });
  console.log(`dashboard: ${dash.url}  (${dash.runs.map((r) => r.name).join(', ')}; Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  await dash.close();
  return 0;
}
