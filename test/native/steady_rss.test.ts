// SPDX-License-Identifier: MIT
// A synchronous loop that disposes what it makes must hold steady memory: resident set size flat
// over 100k steps, with no turn of the event loop. Each tensor's native memory used to be released
// by a Node-API finalizer that only runs when the event loop turns, so such a loop grew by tens of
// MB per thousand steps while numTensors() and memory() stayed flat. The loops run in a child
// process with --expose-gc: RSS is sampled after a full collection, so V8's own heap sizing (a
// sawtooth between major GCs) is not mistaken for growth.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const lib = new URL('../../dist/src/index.js', import.meta.url).href;

function measure(body: string, steps: number, samples: number): { rss: number[]; tensors: number[]; buffers: number[] } {
  const script = `
    const lc = await import(${JSON.stringify(lib)});
    ${body}
    const rss = [], tensors = [], buffers = [];
    const every = ${Math.floor(steps / samples)};
    for (let i = 0; i < ${steps}; i++) {
      step(i);
      if ((i + 1) % every === 0) {
        globalThis.gc();
        rss.push(process.memoryUsage().rss);
        tensors.push(lc.numTensors());
        buffers.push(lc.memory().cpu.liveBuffers);
      }
    }
    console.log(JSON.stringify({ rss, tensors, buffers }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Least-squares slope of y against its index, in units of y per sample. */
function slope(y: number[]): number {
  const n = y.length, mx = (n - 1) / 2, my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  y.forEach((v, i) => { sxy += (i - mx) * (v - my); sxx += (i - mx) ** 2; });
  return sxy / sxx;
}

// Under ASan freed blocks sit in a quarantine (RSS grows by design) and steps run ~10x slower.
const sanitized = !!process.env.LCSS_SANITIZED;

describe.skipIf(sanitized)('steady memory in synchronous loops (skipped in sanitizer builds: ASan quarantines freed memory)', () => {
  it('the README autograd example: RSS flat over 100k steps', () => {
    const { rss, tensors, buffers } = measure(`
      const w = lc.randn([64, 2], { requiresGrad: true, generator: new lc.Generator(0) });
      function step() {
        lc.tidy(() => {
          const batch = lc.randn([128, 64]);
          const loss = lc.mean(lc.square(lc.silu(lc.matmul(batch, w))));
          loss.backward();
        });
        lc.noGrad(() => w.add_(w.grad, -1e-2));
        w.grad.dispose();
        w.grad = null;
      }`, 100_000, 20);
    // the first samples include V8 warming up its heap; judge the second half
    const tail = rss.slice(10);
    const perSample = slope(tail);  // bytes per 5,000 steps
    // the leak this guards against grew ~2.4 MB per 1,000 steps (12 MB per sample) on this loop
    expect(perSample, `RSS samples (MB): ${rss.map((b) => (b / 2 ** 20).toFixed(1)).join(' ')}`).toBeLessThan(256 * 1024);
    expect(Math.max(...tail) - Math.min(...tail)).toBeLessThan(16 * 2 ** 20);
    expect(new Set(tensors).size).toBe(1);
    expect(new Set(buffers).size).toBe(1);
  });

  it('the README diffusion example (LCSS, MLP score, Adam, EMA): RSS flat over 5k steps', () => {
    const { rss, tensors, buffers } = measure(`
      const sde = new lc.sde.VPSDE();
      const net = new lc.models.MLPScore({ dim: 2, hidden: 32, layers: 2, generator: new lc.Generator(0) });
      const score = lc.models.scoreFn(sde, net);
      const loss = lc.losses.lcss({ sde });
      const opt = new lc.optim.Adam(net.parameters(), { lr: 1e-3, gradClip: 1 });
      const ema = new lc.optim.EMA(net.parameters(), { decay: 0.999 });
      // as in the README: the stream disposes each batch when the next one is requested
      const it = lc.data.toy('checkerboard', { batchSize: 64, seed: 0 }).take()[Symbol.iterator]();
      function step() {
        const x = it.next().value;
        lc.tidy(() => { opt.zeroGrad(); lc.backward(loss(score, x)); opt.step(); ema.update(); });
      }`, 5_000, 20);
    const tail = rss.slice(10);
    expect(slope(tail), `RSS samples (MB): ${rss.map((b) => (b / 2 ** 20).toFixed(1)).join(' ')}`).toBeLessThan(256 * 1024);
    expect(Math.max(...tail) - Math.min(...tail)).toBeLessThan(16 * 2 ** 20);
    expect(new Set(tensors.slice(1)).size).toBe(1);
    expect(new Set(buffers.slice(1)).size).toBe(1);
  });
});
