// SPDX-License-Identifier: MIT
// The worker-thread side of spawn.ts: runs one job (a training) with the options it was given and
// forwards its progress, metrics and evaluations to the host thread as messages. A "cancel"
// message aborts the job through the trainer's own abort path (finish the step, save a checkpoint).
import { parentPort, workerData } from 'node:worker_threads';
import '../tensor/methods.js';
import { LcssError } from '../errors.js';
import { train } from './trainer.js';
import type { TrainConfig } from './config.js';

interface Job {
  kind: 'train';
  config: TrainConfig;
  options: { device?: string; resume?: boolean | string; restart?: boolean; noEval?: boolean };
}

const port = parentPort!;
const job = workerData as Job;
const ac = new AbortController();
port.on('message', (m: { type?: string }) => {
  if (m?.type === 'cancel') ac.abort();
});

// progress is sent at most every 50 ms (and always for the last step): the host's event loop
// gets a handful of small messages a second, whatever the step rate
let lastProgress = 0;
try {
  const r = await train(job.config, {
    ...job.options,
    quiet: true,
    signal: ac.signal,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastProgress < 50 && p.step < p.total) return;
      lastProgress = now;
      port.postMessage({ type: 'progress', ...p });
    },
    onMetrics: (record) => port.postMessage(record.eval ? { type: 'evaluation', step: record.step, metrics: record.eval } : { type: 'metrics', record }),
  });
  const { step, loss, seconds, itPerSec, lastEval, out } = r;
  r.dispose();
  port.postMessage({ type: 'result', result: { step, loss, seconds, itPerSec, lastEval, out, cancelled: ac.signal.aborted && step < job.config.steps } });
} catch (e) {
  const err = e as Error;
  port.postMessage({ type: 'error', name: e instanceof LcssError ? err.name : 'Error', message: err?.message ?? String(e), path: (e as { path?: string }).path });
} finally {
  port.close();
}
