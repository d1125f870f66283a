// SPDX-License-Identifier: MIT
// A small deterministic training job (LCSS on the checkerboard with a time-conditioned MLP, VP SDE),
// run by the worker-thread and process tests: the main thread, workers and child processes each run
// it and must end with bit-identical parameters. It imports the built package (dist/), since
// worker threads and child processes do not go through vitest's TypeScript transform.
// As a worker: workerData { steps, seed, kernelLoop } and posts { params } (or loops forever on
// big kernels when kernelLoop, so the test can terminate it mid-kernel).
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

const lc = await import(new URL('../../dist/src/index.js', import.meta.url).href);

/** Trains `steps` steps and returns the parameters, flattened, as a Float64Array. */
export function trainJob(steps, seed) {
  const gen = new lc.Generator(seed);
  const sde = new lc.sde.VPSDE();
  const net = new lc.models.MLPScore({ dim: 2, hidden: 32, layers: 2, generator: gen });
  const score = lc.models.scoreFn(sde, net);
  const loss = lc.losses.lcss({ sde, generator: gen });
  const opt = new lc.optim.Adam(net.parameters(), { lr: 1e-3 });
  const data = lc.data.toy('checkerboard', { batchSize: 256, seed });
  for (const x of data.take(steps)) {
    lc.tidy(() => {
      opt.zeroGrad();
      lc.backward(loss(score, x));
      opt.step();
    });
  }
  const out = [];
  for (const p of net.parameters()) out.push(...p.dataSync());
  return Float64Array.from(out);
}

/** Big kernels back to back, forever: the worker is terminated while one of them runs. */
function kernelLoop() {
  const a = lc.randn([512, 512]);
  const w = lc.randn([64, 32, 3, 3]);
  const x = lc.randn([8, 32, 48, 48]);
  parentPort.postMessage({ started: true });
  for (;;) lc.tidy(() => { lc.matmul(a, a); lc.conv2d(x, w, null, { padding: 1 }); });
}

if (!isMainThread && workerData && workerData.job === 'train-job') {
  if (workerData.kernelLoop) kernelLoop();
  else parentPort.postMessage({ params: trainJob(workerData.steps, workerData.seed), live: lc.numTensors() });
}
