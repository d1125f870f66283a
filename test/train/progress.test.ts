// SPDX-License-Identifier: MIT
// What a user sees while training and sampling: one line per logged step on a terminal (the bar is
// erased, not left beside the log line), the sampler's own bar, and the expected duration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Progress } from '../../src/train/progress.js';
import * as lc from '../../src/index.js';

function tty() {
  let text = '';
  const stream = { isTTY: true, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  /** the terminal's final lines: \r returns to the line start, \x1b[K erases to its end */
  const screen = () => {
    const lines = [''];
    for (const part of text.split(/(\r|\n|\x1b\[K)/)) {
      if (part === '\n') lines.push('');
      else if (part === '\r') lines[lines.length - 1] = '\u0000' + lines[lines.length - 1]; // cursor mark
      else if (part === '\x1b[K') lines[lines.length - 1] = lines[lines.length - 1].split('\u0000')[0];
      else if (part) {
        const l = lines[lines.length - 1], at = l.indexOf('\u0000');
        lines[lines.length - 1] = at >= 0 ? l.slice(0, at) + part + l.slice(at + 1 + part.length) : l + part;
      }
    }
    return lines.map((l) => l.replace('\u0000', '')).filter((l) => l.trim());
  };
  return { stream, screen };
}

const dir = mkdtempSync(join(tmpdir(), 'lcss-progress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('progress on a terminal', () => {
  it('leaves one line per logged step: the bar is erased before each log line', () => {
    const t = tty();
    const p = new Progress(20, { stream: t.stream });
    for (let s = 1; s <= 20; s++) {
      p.update(s, 1 / s, 10);
      if (s % 10 === 0) p.log(`step ${s}/20  loss ${(1 / s).toFixed(4)}`);
    }
    p.done();
    expect(t.screen()).toEqual(['step 10/20  loss 0.1000', 'step 20/20  loss 0.0500']);
  });

  it("gives sampling its own bar: sampler steps, no loss", () => {
    const t = tty();
    const p = new Progress(500, { stream: t.stream, label: 'sampler step', showLoss: false });
    p.update(250, NaN, 50);
    expect(t.screen()).toEqual([expect.stringMatching(/^sampler step 250\/500 \[=+> *\] 50\.0 it\/s \| ETA 5s$/)]);
    expect(t.screen()[0]).not.toMatch(/loss|NaN/);
  });

  it('says how long the run will take once the speed is known', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
    try {
      const cfg = lc.train.resolveConfig('checkerboard', undefined, { out: join(dir, 'eta'), steps: 40, logEvery: 20, evalEvery: 0 });
      (await lc.train.train(cfg, { plain: true, noEval: true })).dispose();
    } finally {
      spy.mockRestore();
    }
    const eta = lines.filter((l) => l.startsWith('expected duration'));
    expect(eta).toHaveLength(1);
    expect(eta[0]).toMatch(/^expected duration: about \d+s for the remaining \d+ steps at [\d.]+ it\/s \(measured over \d+ steps\)\n$/);
  });
});
