// SPDX-License-Identifier: MIT
// Every exported function, class and method of the package, called with junk (engine.mjs), in a
// child process so a crash or a hang is a failed test, not a dead test runner. What must hold:
//  - the process exits by itself (no signal, no abort) and no call hangs;
//  - every error is an LcssError whose message starts with the name of the function called
//    (no TypeError from an argument nothing checked, no inner op's name);
//  - nothing leaks: a call leaves no tensor behind once its result is disposed, a constructor that
//    refuses frees what it made, and at the end (garbage collected) no native buffer is held.
// LCSS_FUZZ_SEEDS (default 3, 1 under the sanitizers) and LCSS_FUZZ_CALLS (default 10 per target) set the budget; a failing
// call is replayed with `node --expose-gc test/fuzz/engine.mjs --seed S --calls N --only NAME`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// one seed under the sanitizers (native/sanitize.sh), where every call is several times slower
const seeds = Number(process.env.LCSS_FUZZ_SEEDS ?? (process.env.LCSS_SANITIZED ? 1 : 3));
const calls = Number(process.env.LCSS_FUZZ_CALLS ?? 10);
const engine = new URL('./engine.mjs', import.meta.url).pathname;
// junk paths ('float32', 'nope', '') may be written to: the child runs in a scratch folder
const cwd = mkdtempSync(join(tmpdir(), 'lcss-fuzz-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

interface FuzzError { target: string; msg: string; typed: boolean; named: boolean; cls: string; args: string[] }
interface FuzzResult {
  calls: number; targets: number; ok: number;
  errors: FuzzError[]; leaks: { target: string; args: string[] }[]; hangs: { target: string }[]; broken: { target: string; msg: string }[];
  baseline: { tensors: number; buffers: number }; end: { tensors: number; buffers: number };
}

function list(items: { target: string; msg?: string; args?: string[] }[]): string {
  return items.slice(0, 15).map((e) => `  ${e.target}: ${e.msg ?? ''}${e.args ? `  <= (${e.args.join(', ').slice(0, 120)})` : ''}`).join('\n');
}

describe('API fuzzer', () => {
  for (let seed = 1; seed <= seeds; seed++) {
    it(`seed ${seed}: every refusal is a typed error naming the function, nothing crashes, hangs or leaks`, () => {
      const trace = join(cwd, `trace-${seed}.log`), out = join(cwd, `results-${seed}.json`);
      const r = spawnSync(process.execPath, ['--expose-gc', engine, '--seed', String(seed), '--calls', String(calls), '--out', out], {
        cwd, encoding: 'utf8', timeout: 600_000, maxBuffer: 256 * 2 ** 20,
        env: { ...process.env, LCSS_CPU_MEMORY_LIMIT: '2G', LCSS_FUZZ_TRACE: trace },
      });
      const last = () => readFileSync(trace, 'utf8').trim().split('\n').at(-1);
      expect(r.signal, `killed by ${r.signal}; the last call was ${last()}`).toBeNull();
      expect(r.status, `exit ${r.status}; the last call was ${last()}\n${r.stderr.slice(-2000)}`).toBe(0);
      const res = JSON.parse(readFileSync(out, 'utf8')) as FuzzResult;
      expect(res.targets).toBeGreaterThan(300);  // the whole API was reached
      expect(res.ok).toBeGreaterThan(0);
      const untyped = res.errors.filter((e) => !e.typed);
      const unchecked = res.errors.filter((e) => e.msg.includes(': invalid arguments ('));
      const misnamed = res.errors.filter((e) => e.typed && !e.named);
      expect(untyped.length, `errors that are not LcssErrors:\n${list(untyped)}`).toBe(0);
      expect(unchecked.length, `arguments no check caught (a TypeError inside, wrapped by the guard):\n${list(unchecked)}`).toBe(0);
      expect(misnamed.length, `errors naming another function than the one called:\n${list(misnamed)}`).toBe(0);
      expect(res.hangs, list(res.hangs)).toEqual([]);
      expect(res.broken, list(res.broken)).toEqual([]);
      expect(res.leaks.length, `calls that left tensors behind:\n${list(res.leaks)}`).toBe(0);
      expect(res.end, 'tensors and native buffers still held at the end').toEqual(res.baseline);
    }, 660_000);
  }
});
