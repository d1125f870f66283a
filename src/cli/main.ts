// SPDX-License-Identifier: MIT
// The `lcss` command: train, sample, eval, bench, study, dashboard. Errors are printed as one clear line
// (the typed error's message) with exit code 2 for usage errors and 1 for failures; no stack trace
// unless --debug (anywhere on the command line) asks for one.
import { abort, currentWorld } from '../distributed/process_group.js';
import { LcssError } from '../errors.js';
import { helpText, type CommandSpec } from './args.js';
import { benchSpec, runBench } from './bench.js';
import { dashboardSpec, runDashboard } from './dashboard.js';
import { evalSpec, runEval } from './eval.js';
import { runSample, sampleSpec } from './sample.js';
import { runStudy, studySpec } from './study.js';
import { runTrain, trainSpec } from './train.js';

const COMMANDS: Record<string, { spec: CommandSpec; run: (argv: string[]) => Promise<number> }> = {
  train: { spec: trainSpec, run: runTrain },
  sample: { spec: sampleSpec, run: runSample },
  eval: { spec: evalSpec, run: runEval },
  bench: { spec: benchSpec, run: runBench },
  study: { spec: studySpec, run: runStudy },
  dashboard: { spec: dashboardSpec, run: (argv) => runDashboard(argv) },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  return [
    'lcss: score-based diffusion models trained with LCSS and every other score-matching objective',
    '',
    'usage: lcss <command> [options]      (lcss <command> --help for its options)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}${c.spec.summary}`),
    '',
    'With no command, `lcss` is `lcss train`: LCSS on the checkerboard preset (a few minutes on a CPU).',
    '--debug (with any command) prints the stack trace of an error.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let [cmd, ...rest] = argv.filter((a) => a !== '--debug');
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    const { readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  if (cmd === undefined || cmd.startsWith('--')) {
    rest = cmd === undefined ? [] : [cmd, ...rest];
    cmd = 'train';
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`lcss: unknown command ${JSON.stringify(cmd)}\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(c.spec));
    return 0;
  }
  return c.run(rest);
}

/** Runs the CLI and exits the process with its code (the bin entry point). */
export function runCli(argv = process.argv.slice(2)): void {
  const debug = argv.includes('--debug');
  main(argv).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const message = formatCliError(e, debug), code = e instanceof LcssError ? 2 : 1;
      // one rank of a data-parallel job that fails ends the job: the others would wait for it
      const w = currentWorld();
      if (w && w.size > 1) abort(code, `rank ${w.rank}: ${message}`);
      console.error(message);
      process.exit(code);
    },
  );
}

/**
 * What the CLI prints for an error: a typed error's message on one line; anything else is a bug
 * in lcss (every user mistake has a typed error), so it says so and how to get the stack.
 */
export function formatCliError(e: unknown, debug: boolean): string {
  const stack = e instanceof Error && debug && e.stack ? `\n${e.stack}` : '';
  if (e instanceof LcssError) return (e.message.startsWith('lcss') ? e.message : `lcss: ${e.message}`) + stack;
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return `lcss: internal error: ${msg}${stack || ' (rerun with --debug for the stack trace, and please report it)'}`;
}
