// SPDX-License-Identifier: MIT
import { atomicWriteFile } from '../io/atomic.js';
import { ArgumentError } from '../errors.js';
import { classifierWeightsPath, trainMnistClassifier } from '../eval/mnist_classifier.js';
import { heldOutDigits } from '../eval/mnist_classifier.js';
import { bpd } from '../likelihood/bpd.js';
import { mul, sub, tensor, Generator, mean, pad } from '../ops/index.js';
import { toyDistribution, TOY_NAMES, type ToyName } from '../data/toy.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { drawSamples, evaluateDigits, evaluateToy } from '../train/evaluate.js';
import { buildSDE } from '../train/build.js';
import { parseArgs, type CommandSpec } from './args.js';
import { defaultDevice, withDefaultDevice } from '../tensor/device.js';
import { checkpointArg, samplerOptions, samplingWithOverrides } from './sample.js';
import { itemShape, modelFromCheckpoint } from '../train/from_checkpoint.js';

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'evaluate a checkpoint: sample metrics (toy: inside-cells, NLL, MMD, SW; MNIST: FID, KID, IS) and likelihood',
  usage: 'lcss eval --ckpt FILE | --run DIR [--n N] [--bpd N] [--json FILE] [--method pc|ode|ald --steps N ...]  |  lcss eval --train-classifier',
  options: {
    ckpt: { type: 'string', arg: 'FILE', help: 'checkpoint to evaluate' },
    run: { type: 'string', arg: 'DIR', help: 'a run directory: its latest checkpoint' },
    n: { type: 'number', arg: 'N', integer: true, min: 1, help: 'samples to draw (default 2000 for 2-D data, 1000 for images)' },
    bpd: { type: 'number', arg: 'N', integer: true, min: 0, default: 0, help: 'also compute bits/dim (images) or NLL in nats (2-D) of N held-out/fresh data points through the probability-flow ODE' },
    ...samplerOptions,
    seed: { type: 'number', arg: 'N', integer: true, min: 0, default: 0, help: 'sampling seed' },
    device: { type: 'string', arg: 'NAME', help: 'where to run: cpu (default), cuda or cuda:N' },
    json: { type: 'string', arg: 'FILE', writes: true, help: 'write the metrics as JSON' },
    png: { type: 'string', arg: 'FILE', writes: true, help: 'write the samples picture' },
    'train-classifier': { type: 'boolean', help: 'train the MNIST feature classifier used by FID/KID/IS and save its weights' },
    epochs: { type: 'number', arg: 'N', integer: true, min: 1, default: 10, help: 'classifier training epochs' },
  },
  examples: ['lcss eval --run runs/checkerboard --bpd 500', 'lcss eval --run runs/mnist --n 1000 --bpd 100 --json mnist-eval.json', 'lcss eval --run runs/mnist --n 500 --method pc --steps 250', 'lcss eval --train-classifier'],
};

export async function runEval(argv: string[]): Promise<number> {
  const { opts, positional } = parseArgs(evalSpec, argv);
  if (positional.length) throw new ArgumentError(`lcss eval: unexpected argument ${JSON.stringify(positional[0])}`);
  return withDefaultDevice(opts.device === undefined ? defaultDevice() : String(opts.device), () => evalOn(opts));
}

async function evalOn(opts: Record<string, unknown>): Promise<number> {
  if (opts['train-classifier']) {
    const r = trainMnistClassifier({ epochs: Number(opts.epochs), out: classifierWeightsPath(), log: (l) => console.error(l) });
    console.log(JSON.stringify({ accuracy: r.accuracy, path: r.path }));
    return 0;
  }
  const path = checkpointArg(opts, 'eval');
  const m = modelFromCheckpoint(path, true);
  const shape = itemShape(m.cfg);
  const toy = shape.length === 1;
  const n = Number(opts.n ?? (toy ? 2000 : 1000));
  const metrics: Record<string, number | string> = { checkpoint: path, step: m.step };
  try {
    const t0 = Date.now();
    const sampling = samplingWithOverrides(m.cfg.sampling, opts);
    metrics.sampler = JSON.stringify({ ...sampling, n: undefined });  // the run's per-eval count, not --n
    const { x, nfe } = await drawSamples({ sde: m.cfg.sde, score: m.score, shape: [n, ...shape], sampling, seed: Number(opts.seed) });
    metrics.sampleSeconds = (Date.now() - t0) / 1000;
    metrics.nfe = nfe;
    try {
      let r;
      if (toy) r = await evaluateToy(x, toyDistribution(m.cfg.data.name as ToyName));
      else if (m.cfg.data.name === 'mnist') r = evaluateDigits(x, m.cfg.data.range ?? '[-1,1]');
      else throw new ArgumentError(`lcss eval: sample metrics exist for the toy sets and MNIST, not ${m.cfg.data.name} (use lcss sample for pictures)`);
      Object.assign(metrics, r.metrics);
      if (opts.png) r.plot.save(String(opts.png));
    } finally {
      x.dispose();
    }
    const nb = Number(opts.bpd);
    if (nb > 0) Object.assign(metrics, await likelihood(m, nb, toy, Number(opts.seed)));
  } finally {
    m.model.dispose();
  }
  const text = JSON.stringify(metrics, null, 2);
  console.log(text);
  if (opts.json) atomicWriteFile(String(opts.json), text + '\n', 'lcss eval --json');
  return 0;
}

/** NLL (nats, 2-D) or bits/dim (8-bit images, dequantised) of data through the probability-flow ODE. */
async function likelihood(m: ReturnType<typeof modelFromCheckpoint>, n: number, toy: boolean, seed: number): Promise<Record<string, number>> {
  const sde = buildSDE(m.cfg.sde);
  const generator = new Generator(seed + 1);
  let data;
  if (toy) {
    if (!(TOY_NAMES as readonly string[]).includes(m.cfg.data.name)) throw new ArgumentError('lcss eval --bpd: unknown toy set');
    data = toyDistribution(m.cfg.data.name as ToyName).sample(n, { generator });
  } else {
    if (m.cfg.data.name !== 'mnist') throw new ArgumentError(`lcss eval --bpd: held-out data exists for MNIST, not ${m.cfg.data.name}`);
    const ref = heldOutDigits();
    const k = Math.min(n, ref.n);
    const range = m.cfg.data.range ?? '[-1,1]';
    data = tidy(() => {
      const u = mul(tensor(ref.data.subarray(0, k * 784), { shape: [k, 1, 28, 28], dtype: 'float32' }), 1 / 255);
      const img = range === '[-1,1]' ? sub(mul(u, 2), 1) : u;
      return shapeFor(m.cfg, img);
    });
  }
  const t0 = Date.now();
  const r = await bpd({
    sde, score: m.score, data, generator, divergence: toy ? 'exact' : 'hutchinson',
    range: m.cfg.data.range ?? '[-1,1]', dequantize: !toy,
  });
  const out: Record<string, number> = toy
    ? { nllNats: -tidy(() => mean(r.logp).item()), likelihoodNfe: r.nfe, likelihoodSeconds: (Date.now() - t0) / 1000, likelihoodN: n }
    : { bpd: tidy(() => mean(r.bpd).item()), likelihoodNfe: r.nfe, likelihoodSeconds: (Date.now() - t0) / 1000, likelihoodN: data.shape[0] };
  for (const t of [r.bpd, r.logp, r.priorLogp, r.deltaLogp, r.z, data]) t.dispose();
  return out;
}

/** MNIST digits zero-padded to 32x32 (in data units: -1 or 0) when the model was trained on padded data. */
function shapeFor(cfg: { data: { pad32?: boolean; range?: string } }, img: Tensor): Tensor {
  return cfg.data.pad32 ? pad(img, [2, 2, 2, 2], cfg.data.range === '[0,1]' ? 0 : -1) : img;
}
