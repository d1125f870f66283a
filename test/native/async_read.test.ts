// SPDX-License-Identifier: MIT
// Tensor.data() copies on the libuv threadpool (native readAsync) so that the event loop keeps
// turning. The copy must give what dataSync gives at the time of the call, whatever happens to the
// tensor while the copy runs: an in-place write right after data() waits for the copy (it must not
// leak into the result), and dispose() defers the real free to the copy (the memory is given back
// once it ends). A Worker terminated while its copies run must not take the process down.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { native } from '../../src/native.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Same type and same bytes (vitest's toEqual walks millions of elements one by one: minutes). */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.constructor !== b.constructor || a.byteLength !== b.byteLength) return false;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe('Tensor.data() on the threadpool', () => {
  it('equals dataSync for float32, float64, int32 and bool, contiguous and as views', async () => {
    const base = lc.randn([37, 53]);
    const tensors = [
      base,
      lc.cast(base, 'float64'),
      lc.randint(-1000, 1000, [37, 53]),
      lc.gt(base, 0),
    ];
    expect(tensors.map((t) => t.dtype)).toEqual(['float32', 'float64', 'int32', 'bool']);
    for (const t of tensors) {
      // a tidy disposes the intermediate views: each holds the storage until disposed
      const views = lc.tidy(() => [
        t,
        lc.narrow(t, 0, 5, 20),                // offset, contiguous
        lc.transpose(t, 0, 1),                  // strided
        lc.slice(lc.narrow(t, 1, 3, 40), 0, 1, 30, 3), // offset and strided
        lc.reshape(lc.narrow(lc.narrow(t, 0, 7, 1), 1, 9, 1), []),  // 0-d at an offset
        lc.narrow(t, 0, 4, 0),                  // empty
      ]);
      for (const v of views) {
        const got = await v.data();
        const want = v.dataSync();
        expect(same(got, want), `${v.dtype} [${v.shape}]`).toBe(true);
      }
      lc.dispose(views.slice(1));
    }
    lc.dispose(tensors);
  });

  it('does not block the event loop: another turn runs before a large copy resolves', async () => {
    const t = lc.randn([1 << 23]);  // 32 MB
    let turns = 0;
    let done = false;
    const tick = (): void => { if (!done) { turns++; setImmediate(tick); } };
    setImmediate(tick);
    const v = await t.data();
    done = true;
    expect(v.length).toBe(1 << 23);
    expect(turns).toBeGreaterThan(0);
    t.dispose();
  });

  it('an in-place write issued right after data() does not leak into its result', async () => {
    for (const n of [1 << 10, 1 << 22]) {
      const t = lc.randn([n]);
      const before = t.dataSync();
      const p = t.data();
      t.add_(1);                       // waits for the copy in flight, then writes
      const got = await p;
      expect(same(got, before)).toBe(true);
      const after = t.dataSync();
      expect(after[0]).toBeCloseTo(before[0] + 1, 5);
      expect(after[n - 1]).toBeCloseTo(before[n - 1] + 1, 5);
      // the same through a view (its copy reads a gathered temporary, the write goes to the base)
      const v = lc.tidy(() => lc.transpose(lc.reshape(t, [n >> 5, 32]), 0, 1));
      const want = v.dataSync();
      const pv = v.data();
      t.mul_(0);
      expect(same(await pv, want)).toBe(true);
      lc.dispose([t, v]);
    }
  });

  it('dispose during the copy is safe; the memory is given back when the copy ends', async () => {
    await turn();
    const tensors0 = lc.numTensors();
    const live0 = lc.memory().cpu.liveBuffers!;
    const bytes0 = lc.memory().cpu.allocatedBytes;
    const n = 1 << 22;
    const t = lc.randn([n]);
    const want = t.dataSync();
    const p = t.data();
    t.dispose();                              // the free is deferred to the copy
    expect(lc.numTensors()).toBe(tensors0);
    expect(lc.memory().cpu.liveBuffers).toBe(live0);  // the handle is gone at once
    expect(() => t.dataSync()).toThrow(lc.DisposedError);
    expect(same(await p, want)).toBe(true);
    expect(lc.memory().cpu.allocatedBytes).toBe(bytes0);  // and the memory once the copy ended

    // a view's temporary, released as soon as its copy is queued, follows the same path
    const u = lc.randn([512, 512]);
    const tv = lc.transpose(u, 0, 1);
    const wantT = tv.dataSync();
    const pt = tv.data();
    lc.dispose([u, tv]);
    expect(same(await pt, wantT)).toBe(true);
    expect(lc.memory().cpu.allocatedBytes).toBe(bytes0);
    expect(lc.memory().cpu.liveBuffers).toBe(live0);
  });

  it('many concurrent copies, of one tensor and of many, all resolve to their values', async () => {
    const live0 = lc.memory().cpu.liveBuffers!;
    const bytes0 = lc.memory().cpu.allocatedBytes;
    const shared = lc.randn([1 << 16]);
    const wantShared = shared.dataSync();
    const many = Array.from({ length: 48 }, (_, i) => lc.full([1000 + i], i));
    const ps = [
      ...Array.from({ length: 16 }, () => shared.data()),
      ...many.map((t) => t.data()),
    ];
    // half of them disposed while their copies run, the shared one written to
    many.forEach((t, i) => { if (i % 2) t.dispose(); });
    shared.fill_(7);
    const got = await Promise.all(ps);
    for (let i = 0; i < 16; i++) expect(same(got[i], wantShared)).toBe(true);
    for (let i = 0; i < many.length; i++) {
      expect(got[16 + i].length).toBe(1000 + i);
      expect(Array.from(got[16 + i] as Float32Array).every((x) => x === i)).toBe(true);
    }
    lc.dispose([shared, ...many]);
    expect(lc.memory().cpu.liveBuffers).toBe(live0);
    expect(lc.memory().cpu.allocatedBytes).toBe(bytes0);
  });

  it('a disposed tensor is a DisposedError naming data; a freed buffer a NativeError naming data', async () => {
    const t = lc.randn([8]);
    t.dispose();
    const e1 = await t.data().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(lc.DisposedError);
    expect(e1).toBeInstanceOf(lc.LcssError);
    expect((e1 as Error).message).toMatch(/^data: /);

    // the native check behind it: a handle whose buffer is gone (here freed under the tensor)
    const u = lc.randn([8]);
    native.free(u.storage.buffer);
    const e2 = await u.data().catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(lc.NativeError);
    expect((e2 as Error).message).toMatch(/^data: .*already freed/);
    expect(() => native.readAsync(u.storage.buffer, 0, 8)).toThrow(/readAsync: .*already freed/);
    const w = lc.randn([8]);
    expect(() => native.readAsync(w.storage.buffer, 4, 8)).toThrow(/readAsync: 8 elements at 4 exceed/);
    w.dispose();
  });
});

// A child process runs the scenario so that a crash (a signal) fails the test instead of taking the
// test runner down with it. Workers import the built package (dist/), like the workers test, and
// run from a file (Workers refuse --input-type, so no eval'd ES module).
function inChild(files: Record<string, string>): { status: number | null; signal: string | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lcss-async-read-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = spawnSync(process.execPath, [join(dir, 'scenario.mjs')], { encoding: 'utf8', timeout: 240_000 });
    return { status: r.status, signal: r.signal, out: (r.stdout ?? '') + (r.stderr ?? '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Tensor.data() in a Worker', () => {
  it('a Worker terminated while its copies run (some of disposed tensors): no crash, the process goes on', () => {
    const dist = JSON.stringify(new URL('../../dist/src/index.js', import.meta.url).href);
    const r = inChild({
      'reader.mjs': `
        import { parentPort } from 'node:worker_threads';
        const lc = await import(${dist});
        const t = lc.randn([1 << 22]);
        parentPort.postMessage('started');
        for (;;) {
          const u = lc.randn([1 << 20]);
          const ps = [t.data(), t.data(), u.data(), lc.transpose(lc.reshape(t, [2048, 2048]), 0, 1).data()];
          u.dispose();                      // its memory now belongs to the copy in flight
          await Promise.all(ps);
        }
      `,
      'scenario.mjs': `
        import { Worker } from 'node:worker_threads';
        const lc = await import(${dist});
        const results = [];
        for (const delay of [0, 3, 10, 30]) {
          const w = new Worker(new URL('./reader.mjs', import.meta.url));
          await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
          await new Promise((res) => setTimeout(res, delay));
          results.push(await w.terminate());
        }
        // the main environment is untouched: its own copies still work
        const a = lc.randn([1 << 20]);
        const want = a.dataSync();
        const got = await a.data();
        const same = got.length === want.length && got.every((v, i) => v === want[i]);
        console.log(JSON.stringify({ results, same }));
      `,
    });
    expect(r.signal, r.out).toBeNull();
    expect(r.status, r.out).toBe(0);
    const res = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(res.results).toHaveLength(4);
    expect(res.same).toBe(true);
  });
});
