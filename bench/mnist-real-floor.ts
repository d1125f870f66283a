// SPDX-License-Identifier: MIT
// The real-data floor of the MNIST sample metrics: N training digits (spread evenly over the
// class-ordered train split) scored against the held-out digits exactly as `lcss eval` scores
// samples. FID and KID are biased upward at small N, so a sample set of the same N is read
// against this, not against 0.
//   npx tsc -p tsconfig.json && node dist/bench/mnist-real-floor.js [N=256]
import * as lc from '../src/index.js';
import { mnist } from '../src/data/mnist.js';
import { evaluateDigits } from '../src/train/evaluate.js';

const n = Number(process.argv[2] ?? 256);
const train = mnist({ split: 'train' });
if (!Number.isInteger(n) || n < 2 || n > train.n) throw new Error(`N got ${process.argv[2]}, expected an integer in [2, ${train.n}]`);
const img = new Float32Array(n * 784);
for (let k = 0; k < n; k++) {
  const j = Math.floor((k * train.n) / n);
  for (let p = 0; p < 784; p++) img[k * 784 + p] = (train.data[j * 784 + p] / 255) * 2 - 1;
}
const x = lc.tensor(img, { shape: [n, 1, 28, 28] });
console.log(JSON.stringify(evaluateDigits(x, '[-1,1]').metrics));
x.dispose();
