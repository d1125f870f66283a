// SPDX-License-Identifier: MIT
// The random-call fuzzer: calls every export of the package (top-level functions, Tensor methods,
// the namespaces' functions, classes and the methods of the instances it manages to build) with
// junk arguments: huge, negative, fractional and non-finite numbers, null, undefined, strings,
// objects, arrays of junk, disposed tensors, tensors of every dtype and odd shapes, functions.
//
// It runs in a child process of the test (test/fuzz/api_fuzz.test.ts), which watches for signals
// and hangs; before each call it writes the call to LCSS_FUZZ_TRACE (synchronously), so the last
// line names the call that crashed or hung. The result (stdout, JSON) lists, per call that threw:
// whether the error is an LcssError and whether its message names the function called; and every
// call that left tensors behind.
//
//   node --expose-gc test/fuzz/engine.mjs --seed 1 --calls 20 [--only name-substring] [--out results.json]
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';

const lc = await import(new URL('../../dist/src/index.js', import.meta.url).href);

const argv = process.argv.slice(2);
const opt = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const seed = Number(opt('seed', 1));
const callsPerTarget = Number(opt('calls', 20));
const only = opt('only', '');
const traceFd = process.env.LCSS_FUZZ_TRACE ? openSync(process.env.LCSS_FUZZ_TRACE, 'w') : -1;

// mulberry32: a small seeded generator, so a failing call is replayed by its seed
let state = seed >>> 0;
function rnd() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];

// Tensors the fuzzer hands out are made once (outside any measurement) and disposed at the end.
const pool = [];
const keepT = (t) => (pool.push(t), t);
// a view of a fresh base, which is released (the view keeps the storage alive)
const viewT = (base, f) => {
  const v = f(base);
  base.dispose();
  return keepT(v);
};
const disposed = lc.zeros([3]);
disposed.dispose();
const tensors = [
  () => keepT(lc.randn([3, 4])),
  () => keepT(lc.randn([2, 3, 4, 5])),
  () => keepT(lc.randn([1, 1, 4, 4])),
  () => keepT(lc.randn([])),
  () => keepT(lc.zeros([0, 3])),
  () => keepT(lc.zeros([5], { dtype: 'int32' })),
  () => keepT(lc.ones([2, 2], { dtype: 'bool' })),
  () => keepT(lc.randn([4, 2], { dtype: 'float64' })),
  () => viewT(lc.randn([3, 1, 4]), (b) => lc.flip(b, [1])),
  () => viewT(lc.randn([6, 4]), (b) => b.transpose(0, 1)),
  () => viewT(lc.randn([1, 3]), (b) => lc.expand(b, [4, 3])),
  () => keepT(lc.randn([2, 2], { requiresGrad: true })),
  () => disposed,
];
const numbers = [0, 1, -1, 2, 3, 0.5, 1.5, -7, 1e6, 2 ** 31, 2 ** 53, 2 ** 62, 3 * 2 ** 60, -(2 ** 40), NaN, Infinity, -Infinity, 1e-300, Number.MAX_VALUE, -0];
const scalars = [
  () => pick(numbers),
  () => null,
  () => undefined,
  () => true,
  () => false,
  () => '',
  () => 'float32',
  () => 'cuda',
  () => 'nope',
  () => ({}),
  () => ({ shape: [2, 2], dtype: 'float32' }),
  () => [],
  () => [pick(numbers)],
  () => [pick(numbers), pick(numbers)],
  () => [2, 3],
  () => [-1, 3],
  () => [2 ** 31, 2 ** 31],
  () => [NaN],
  () => [null, 'a'],
  () => [[1, 2], [3]],
  () => () => 1,
  () => () => { throw new Error('user callback'); },
  () => Symbol('junk'),
  () => 10n,
  () => new Float32Array(3),
  () => new Map(),
  () => Object.create(null),
];
function junk(depth = 0) {
  const r = rnd();
  if (r < 0.35) return pick(tensors)();
  if (r < 0.9 || depth > 1) return pick(scalars)();
  // an options object with junk values under plausible option names
  const o = {};
  for (const k of ['dtype', 'device', 'shape', 'dim', 'keepdim', 'generator', 'requiresGrad', 'sigma', 'steps', 'n', 'batchSize', 'eps', 'lr', 'stride', 'padding'].filter(() => rnd() < 0.3))
    o[k] = junk(depth + 1);
  return o;
}

function describeArg(a) {
  if (a instanceof lc.Tensor) return a.disposed ? 'Tensor(disposed)' : `Tensor([${a.shape}], ${a.dtype})`;
  if (typeof a === 'function') return 'fn';
  if (typeof a === 'symbol') return 'Symbol';
  if (typeof a === 'bigint') return `${a}n`;
  if (a instanceof Float32Array) return 'Float32Array';
  if (a instanceof Map) return 'Map';
  if (a && typeof a === 'object' && Object.getPrototypeOf(a) === null) return 'Object.create(null)';
  try {
    return JSON.stringify(a, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v instanceof lc.Tensor ? describeArg(v) : v)) ?? String(a);
  } catch {
    return String(a);
  }
}

const isClass = (f) => typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));

// Functions that do not return normally by design, or whose valid side effects would disturb the
// run (thread count, global defaults, timing sessions), are called with junk only through
// argument validation that must refuse it: they are listed with the arguments they keep.
const SKIP = new Set([
  'setNumThreads',   // a valid junk value (2, 3) is fine, 2^31 must be refused: kept, but restored below
]);
// Functions that end the process by design: only their refusals are checked (below), never a call
// that would succeed.
const ENDS_PROCESS = new Map([
  ['distributed.abort', [[-1], [256], [1.5], ['1'], [null], [{}]]],
]);

const results = { calls: 0, targets: 0, ok: 0, errors: [], leaks: [], hangs: [], broken: [], slow: {}, seed };
// An error names the function called when its message starts with that function's name: the
// function ('sum: ...'), or for a method or constructor the class or Class.method
// ('SubVPSDE.sde: ...' answers a call of SubVPSDE.discretize: it names the object the user used).
// `owners` are the classes a method or constructor belongs to, along the prototype chain (an ELU's
// param() is Module.param: naming Module names the method the user called).
function namesTarget(target, msg, owners) {
  const path = target.replace(/^new /, '').split('.');
  const fn = path[path.length - 1];
  const heads = [fn, path.slice(-2).join('.'), path.join('.')];
  return heads.some((h) => msg.startsWith(`${h}:`)) || owners.some((c) => msg.startsWith(`${c}:`) || msg.startsWith(`${c}.`));
}

function ownersOf(v) {
  const out = [];
  for (let p = typeof v === 'function' ? v.prototype : Object.getPrototypeOf(v); p && p !== Object.prototype; p = Object.getPrototypeOf(p))
    if (p.constructor?.name) out.push(p.constructor.name);
  return out;
}

const record = (target, args, e, owners = []) => {
  const cls = e?.constructor?.name ?? typeof e;
  const typed = e instanceof lc.LcssError;
  const msg = String(e?.message ?? e);
  const named = typed && namesTarget(target, msg, owners);
  results.errors.push({ target, args, cls, typed, named, unchecked: !!e?.unchecked, msg: msg.slice(0, 300) });
};

function trace(line) {
  if (traceFd >= 0) writeSync(traceFd, line + '\n');
}

function disposeResult(v) {
  if (v instanceof lc.Tensor) {
    if (!pool.includes(v) && v !== disposed) v.dispose();
    return;
  }
  if (v instanceof lc.nn.Module) return v.dispose();
  if (Array.isArray(v)) return v.forEach(disposeResult);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(disposeResult);
}

async function callOne(target, fn, self, args, isNew) {
  const t0 = performance.now();
  try {
    return await callInner(target, fn, self, args, isNew);
  } finally {
    const dt = performance.now() - t0;
    results.slow[target] = (results.slow[target] ?? 0) + dt;
    if (dt > 300) (results.slowCalls ??= []).push({ target, ms: Math.round(dt), args: args.map(describeArg) });
  }
}

async function callInner(target, fn, self, args, isNew) {
  results.calls++;
  trace(`${target}(${args.map(describeArg).join(', ')})`);
  const before = lc.numTensors();
  const threads = lc.getNumThreads();
  let value, threw = null;
  try {
    value = isNew ? new fn(...args) : fn.apply(self, args);
    if (value && typeof value.then === 'function') {
      let timer;
      value = await Promise.race([value, new Promise((_, rej) => { timer = setTimeout(() => rej({ hang: true }), 20_000); })]);
      clearTimeout(timer);
    }
  } catch (e) {
    if (e && e.hang) {
      results.hangs.push({ target, args: args.map(describeArg) });
      return undefined;
    }
    threw = e;
  }
  if (lc.getNumThreads() !== threads) lc.setNumThreads(threads);
  lc.setDefaultDevice('cpu');
  if (lc.isProfiling()) lc.stopProfile();
  if (threw) {
    // a user callback's own error passes through untouched: that is not the library's error
    const owners = isNew ? ownersOf(fn) : self && typeof self === 'object' && self !== lc && !Object.values(lc).includes(self) ? ownersOf(self) : [];
    if (!(threw instanceof Error && threw.message === 'user callback')) record(target, args.map(describeArg), threw, owners);
  } else {
    results.ok++;
  }
  const made = value;
  if (!isNew) {
    try {
      disposeResult(made);
    } catch (e) {
      results.broken.push({ target, args: args.map(describeArg), msg: `disposing the result threw ${e?.constructor?.name}: ${e?.message}` });
    }
  }
  const after = lc.numTensors();
  // a call that returns leaves nothing once its result is disposed; a constructor that throws
  // leaves nothing at all (tensors it made before refusing are its to free)
  if (after > before && (!isNew || threw)) results.leaks.push({ target, args: args.map(describeArg), tensors: after - before, threw: !!threw });
  return isNew && !threw ? made : undefined;
}

// Methods TypeScript declares protected or private: not callable from typed code and not part of
// the API (a subclass hook such as a toy distribution's make(), a mixture's checkX()).
const NOT_API = new Set(['make', 'checkX', 'checkName', 'diffusionAt', 'branch', 'merge', 'loadTensors']);

function methodsOf(proto) {
  const out = new Map();
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor' || out.has(k) || NOT_API.has(k)) continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d && typeof d.value === 'function') out.set(k, d.value);
    }
  }
  return out;
}

// --buffers (with node --expose-gc): after each function target, collect garbage and report
// native buffers that no live tensor holds (the fuzzer's own tensors and their grads excepted).
const checkBuffers = argv.includes('--buffers') && typeof globalThis.gc === 'function';
async function heldBuffers() {
  for (let i = 0; i < 2; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 5));
  }
  const ours = pool.filter((t) => !t.disposed).length + pool.filter((t) => t.grad && !t.grad.disposed).length;
  return lc.memory().cpu.liveBuffers - ours;
}

async function fuzzFunction(name, fn, self) {
  if (only && !name.includes(only)) return;
  results.targets++;
  const b0 = checkBuffers ? await heldBuffers() : 0;
  for (let i = 0; i < callsPerTarget; i++) {
    const n = Math.floor(rnd() * 5);
    await callOne(name, fn, self, Array.from({ length: n }, () => junk()), false);
  }
  if (checkBuffers) {
    const b1 = await heldBuffers();
    if (b1 > b0) results.leaks.push({ target: name, args: [], buffers: b1 - b0, threw: false });
  }
}

async function fuzzClass(name, C) {
  if (only && !name.includes(only)) return;
  results.targets++;
  const b0 = checkBuffers ? await heldBuffers() : 0;
  const instances = [];
  for (let i = 0; i < callsPerTarget; i++) {
    const n = Math.floor(rnd() * 4);
    const args = Array.from({ length: n }, () => junk());
    const before = lc.numTensors();
    const inst = await callOne(`new ${name}`, C, null, args, true);
    if (inst && instances.length < 2) instances.push(inst);
    else if (inst) {
      safeDispose(name, inst);
      // an instance's dispose() frees everything it made
      if (typeof inst.dispose === 'function' && lc.numTensors() > before)
        results.leaks.push({ target: `new ${name} + dispose()`, args: args.map(describeArg), tensors: lc.numTensors() - before, threw: false });
    }
  }
  for (const inst of instances) {
    for (const [k, f] of methodsOf(Object.getPrototypeOf(inst))) {
      if (['dispose', 'then'].includes(k)) continue;
      for (let i = 0; i < Math.max(2, callsPerTarget / 4); i++) {
        const n = Math.floor(rnd() * 4);
        await callOne(`${name}.${k}`, f, inst, Array.from({ length: n }, () => junk()), false);
      }
    }
    safeDispose(name, inst);
  }
  if (checkBuffers) {
    const b1 = await heldBuffers();
    if (b1 > b0) results.leaks.push({ target: `class ${name}`, args: [], buffers: b1 - b0, threw: false });
  }
}

// An instance whose methods were fed junk may be left inconsistent; disposing it must still work.
function safeDispose(name, inst) {
  if (!inst || typeof inst.dispose !== 'function') return;
  try {
    inst.dispose();
  } catch (e) {
    results.broken.push({ target: `${name}.dispose`, args: [], msg: `after junk calls, dispose threw ${e?.constructor?.name}: ${e?.message}` });
  }
}

const baseline = { tensors: lc.numTensors(), buffers: lc.memory().cpu.liveBuffers };
const ERROR_CLASSES = new Set(Object.values(lc).filter((v) => isClass(v) && (v === lc.LcssError || v.prototype instanceof lc.LcssError)));

// 1. top-level functions and classes
for (const [k, v] of Object.entries(lc)) {
  if (SKIP.has(k) && !only) continue;
  if (ERROR_CLASSES.has(v)) continue;
  if (isClass(v)) await fuzzClass(k, v);
  else if (typeof v === 'function') await fuzzFunction(k, v, lc);
}
// 2. Tensor methods on live tensors of several kinds
for (const [k, f] of methodsOf(lc.Tensor.prototype)) {
  if (['dispose'].includes(k)) continue;
  if (only && !k.includes(only)) continue;
  results.targets++;
  const b0 = checkBuffers ? await heldBuffers() : 0;
  for (let i = 0; i < callsPerTarget; i++) {
    const self = pick(tensors.slice(0, -1))();
    const n = Math.floor(rnd() * 4);
    await callOne(k, f, self, Array.from({ length: n }, () => junk()), false);
  }
  if (checkBuffers) {
    const b1 = await heldBuffers();
    if (b1 > b0) results.leaks.push({ target: `Tensor.${k}`, args: [], buffers: b1 - b0, threw: false });
  }
}
// 3. namespaces: functions and classes (and one level of nested objects)
for (const [ns, obj] of Object.entries(lc)) {
  if (!obj || typeof obj !== 'object' || obj instanceof lc.Tensor || Array.isArray(obj) || obj instanceof lc.Device) continue;
  for (const [k, v] of Object.entries(obj)) {
    if (isClass(v)) {
      if (!(v === lc.LcssError || v.prototype instanceof lc.LcssError)) await fuzzClass(`${ns}.${k}`, v);
    } else if (ENDS_PROCESS.has(`${ns}.${k}`)) {
      results.targets++;
      for (const args of ENDS_PROCESS.get(`${ns}.${k}`)) {
        results.calls++;
        try {
          v.apply(obj, args);
          results.broken.push({ target: `${ns}.${k}`, args, msg: 'returned instead of refusing' });
        } catch (e) {
          record(`${ns}.${k}`, args.map(String), e);
        }
      }
    } else if (typeof v === 'function') await fuzzFunction(`${ns}.${k}`, v, obj);
  }
}

for (const t of pool) {
  t.grad?.dispose();
  if (!t.disposed) t.dispose();
}
lc.setDefaultDevice('cpu');
// storages a graph saved for backward are freed when the graph is collected: collect it (node
// --expose-gc), then let the finalizers run, so the count below is what is really held
for (let i = 0; i < 3 && typeof globalThis.gc === 'function'; i++) {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 20));
}
results.end = { tensors: lc.numTensors(), buffers: lc.memory().cpu.liveBuffers };
results.slow = Object.fromEntries(Object.entries(results.slow).sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => [k, Math.round(v)]));
results.baseline = baseline;
if (traceFd >= 0) closeSync(traceFd);
// written synchronously: process.exit() would cut an asynchronous write to a pipe short
const outFile = opt('out', '');
if (outFile) writeFileSync(outFile, JSON.stringify(results) + '\n');
else writeSync(1, JSON.stringify(results) + '\n');
process.exit(0);
