// SPDX-License-Identifier: MIT
// The CLI as a new user meets it: each mistake gets one line that names the flag, what was given
// and what was expected, exit code 2, no stack trace (--debug adds it), and no work done first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'lcss-cli-mistakes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = new URL('../../dist/src/cli/bin.js', import.meta.url).pathname;

function lcss(...argv: string[]): { status: number | null; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  return { status: r.status, stderr: r.stderr, ms: Date.now() - t0 };
}

/** One line on stderr, exit 2, no stack frames. */
function expectMistake(r: ReturnType<typeof lcss>, re: RegExp): void {
  expect(r.stderr).toMatch(re);
  expect(r.status).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.trim().split('\n').length).toBe(1);
}

describe('lcss CLI user mistakes', () => {
  const run = join(dir, 'run');
  it('a tiny run to sample from', () => {
    expect(lcss('train', '--steps', '5', '--batch-size', '16', '--no-eval', '--quiet', '--out', run).status).toBe(0);
  });

  it('misspelt options answer with the full flag and a did-you-mean', () => {
    expectMistake(lcss('train', '--loss.gama', '2', '--dry-run'), /^lcss train: unknown option --loss\.gama \(did you mean --loss\.gamma\?\); the keys of loss \(lcss\) are .*gamma/);
    expectMistake(lcss('train', '--sde.betamin', '0.1', '--dry-run'), /unknown option --sde\.betamin \(did you mean --sde\.betaMin\?\)/);
    expectMistake(lcss('train', '--stpes', '3'), /unknown option --stpes \(did you mean --steps\?\)/);
    expectMistake(lcss('train', '--sampling.stesp', '3', '--dry-run'), /unknown option --sampling\.stesp \(did you mean --sampling\.steps\?\)/);
    expectMistake(lcss('train', '--optim.lr', 'fast', '--dry-run'), /--optim\.lr got "fast", expected a number/);
  });

  it('numbers are checked as the flag, not as an inner argument', () => {
    expectMistake(lcss('sample', '--run', run, '--n', '-3'), /^lcss sample: --n expects an integer >= 1, got "-3"$/m);
    expectMistake(lcss('sample', '--run', run, '--n', '2.5'), /--n expects an integer, got "2\.5"/);
    expectMistake(lcss('train', '--steps', '0', '--dry-run'), /--steps expects an integer >= 1, got "0"/);
    expectMistake(lcss('eval', '--run', run, '--seed', '-1'), /--seed expects an integer >= 0/);
  });

  it('an output that cannot be written is refused before sampling', () => {
    const r = lcss('sample', '--run', run, '--n', '100000', '--steps', '1000', '--out', '/missing-dir/x.png');
    expectMistake(r, /^lcss sample --out: cannot write \/missing-dir\/x\.png: the folder \/missing-dir does not exist$/m);
    mkdirSync(join(dir, 'isdir.png'));
    expectMistake(lcss('sample', '--run', run, '--out', 'isdir.png'), /cannot write isdir\.png: isdir\.png is a folder/);
    expectMistake(lcss('eval', '--run', run, '--json', '/missing-dir/m.json'), /lcss eval --json: cannot write/);
  });

  it('data paths that are missing or wrong are one line naming the file', () => {
    expectMistake(lcss('train', '--preset', 'cifar10-ncsnpp-ve', '--steps', '1', '--out', join(dir, 'c10'), '--data.path', join(dir, 'nope')), /readCifar10: cannot read .*nope: no such file/);
    expectMistake(lcss('train', '--data', 'idx', '--data.path', dir, '--steps', '1', '--out', join(dir, 'idx')), /readMnistIdx: .* is a directory|not a regular file|a folder/);
    expectMistake(lcss('sample', '--ckpt', join(dir, 'nope.safetensors')), /cannot read .*nope\.safetensors: no such file/);
    expect(existsSync(join(dir, 'c10', 'metrics.jsonl'))).toBe(false);
  });

  it('--debug adds the stack trace', () => {
    const r = lcss('sample', '--run', run, '--n', '-3', '--debug');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--n expects an integer >= 1[\s\S]*\n\s+at /);
  });
});
