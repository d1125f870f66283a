// SPDX-License-Identifier: MIT
// Toy 2-D distributions and seeded streams of batches from them.
//
// Definitions follow FFJORD's `lib/toy_data.py` (Grathwohl et al., ICLR 2019,
// github.com/rtqichen/ffjord), which the score-matching literature reuses, with one deliberate
// difference: FFJORD lays `rings`, `moons` and `pinwheel` out on evenly spaced angles / equal class
// counts per batch; here every sample is drawn i.i.d. from the same distribution (uniform angle,
// uniform class), so each batch is an i.i.d. sample and unbiased metrics (MMD) stay unbiased.
// Every random number comes from the caller's Generator (Philox, keyed by seed and offset), so a
// stream is reproduced exactly from its state.
import { argError, checkInt, checkKnownKeys, checkOptions } from '../errors.js';
import { tensor, defaultGenerator, Generator, type RandomKey } from '../ops/index.js';
import { keep } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { drawArray, eightGaussians, GaussianMixture, type SampleOptions } from './gmm.js';
import { besselI0e, besselI1e } from './bessel.js';

export const TOY_NAMES = ['checkerboard', '8gaussians', 'swissroll', 'moons', 'rings', 'pinwheel', '2spirals'] as const;
export type ToyName = (typeof TOY_NAMES)[number];

/** A 2-D (or D-dimensional, for mixtures) distribution to sample, with its density where known. */
export interface ToyDistribution {
  readonly name: string;
  readonly dim: number;
  /** A square holding (nearly) all the mass, for plots: [lo, hi] on every axis. */
  readonly range: [number, number];
  /** n i.i.d. samples, [n, dim], float32 unless dtype says otherwise; the caller owns the tensor. */
  sample(n: number, o?: SampleOptions): Tensor;
  /** log p(x) for x [N, dim], as [N] (−Infinity outside the support). Present where closed form. */
  logDensity?(x: Tensor): Tensor;
  /** ∇ log p(x), [N, dim]. Present where closed form and smooth. */
  score?(x: Tensor): Tensor;
}

/** Samples from flat float64 draws (n rows of `k` uniforms and `m` normals) in plain JS. */
abstract class DrawnToy implements ToyDistribution {
  readonly dim = 2;
  readonly range: [number, number] = [-4, 4];
  constructor(readonly name: string, private readonly nu: number, private readonly nz: number) {}
  protected abstract make(i: number, u: Float64Array, z: Float64Array, out: Float64Array): void;

  sample(n: number, opts: SampleOptions = {}): Tensor {
    const fn = `${this.constructor.name}.sample`;
    checkInt(fn, 'n', n, 0);
    const o = checkOptions(fn, 'options', opts);
    if (o.generator !== undefined && !(o.generator instanceof Generator)) throw argError(fn, 'generator', o.generator, 'a Generator');
    if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float64') throw argError(fn, 'dtype', o.dtype, "'float32' or 'float64'");
    return tensor(this.sampleArray(n, o.generator ?? defaultGenerator), { shape: [n, 2], dtype: o.dtype ?? 'float32' });
  }

  sampleArray(n: number, gen: Generator): Float64Array {
    checkInt(`${this.constructor.name}.sampleArray`, 'n', n, 0);
    if (!(gen instanceof Generator)) throw argError(`${this.constructor.name}.sampleArray`, 'generator', gen, 'a Generator');
    const u = this.nu ? drawArray(n, this.nu, gen, 'uniform') : new Float64Array(0);
    const z = this.nz ? drawArray(n, this.nz, gen, 'normal') : new Float64Array(0);
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) this.make(i, u, z, out);
    return out;
  }
}

/** Non-negative remainder (Python's %), so floor(x1) mod 2 is 0 or 1 for negative x1 too. */
const pmod = (a: number, m: number) => ((a % m) + m) % m;

/**
 * The checkerboard of FFJORD (docs/OBJECTIVES.md, section 9): x1 ~ U(−2, 2);
 * x2 = U(0, 1) − 2·Bernoulli(½) + (floor(x1) mod 2); output ×2. Density 1/32 on 8 cells of side 2
 * inside [−4, 4]²: a point y = x/2 is inside iff y ∈ [−2, 2)² and floor(y1) + floor(y2) is even.
 */
export class Checkerboard extends DrawnToy {
  constructor() {
    super('checkerboard', 3, 0);
  }
  protected make(i: number, u: Float64Array, _z: Float64Array, out: Float64Array): void {
    const x1 = u[3 * i] * 4 - 2;
    const bern = u[3 * i + 2] < 0.5 ? 1 : 0;
    const x2 = u[3 * i + 1] - 2 * bern + pmod(Math.floor(x1), 2);
    out[2 * i] = 2 * x1;
    out[2 * i + 1] = 2 * x2;
  }
  logDensity(x: Tensor): Tensor {
    const d = checkPoints('Checkerboard.logDensity', x);
    const out = new Float64Array(d.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = checkerboardInside(d[2 * i], d[2 * i + 1]) ? -Math.log(32) : -Infinity;
    return tensor(out, { dtype: x.dtype, device: x.device });
  }
}

/** Whether (a, b) lies in one of the 8 cells of the checkerboard's support. */
export function checkerboardInside(a: number, b: number): boolean {
  if (typeof a !== 'number' || typeof b !== 'number') throw argError('checkerboardInside', typeof a !== 'number' ? 'a' : 'b', typeof a !== 'number' ? a : b, 'a number');
  const y1 = a / 2, y2 = b / 2;
  if (!(y1 >= -2 && y1 < 2 && y2 >= -2 && y2 < 2)) return false;
  return pmod(Math.floor(y1) + Math.floor(y2), 2) === 0;
}

/** sklearn's make_swiss_roll(noise=1) in the (x, z) plane, /5, as FFJORD: t = 1.5π(1 + 2u). */
class SwissRoll extends DrawnToy {
  constructor() {
    super('swissroll', 1, 2);
  }
  protected make(i: number, u: Float64Array, z: Float64Array, out: Float64Array): void {
    const t = 1.5 * Math.PI * (1 + 2 * u[i]);
    out[2 * i] = (t * Math.cos(t) + z[2 * i]) / 5;
    out[2 * i + 1] = (t * Math.sin(t) + z[2 * i + 1]) / 5;
  }
}

/** sklearn's make_moons(noise=0.1), then ×2 + (−1, −0.2), as FFJORD. */
class Moons extends DrawnToy {
  constructor() {
    super('moons', 2, 2);
  }
  protected make(i: number, u: Float64Array, z: Float64Array, out: Float64Array): void {
    const th = Math.PI * u[2 * i];
    const inner = u[2 * i + 1] < 0.5;
    const a = inner ? 1 - Math.cos(th) : Math.cos(th);
    const b = inner ? 1 - Math.sin(th) - 0.5 : Math.sin(th);
    out[2 * i] = 2 * (a + 0.1 * z[2 * i]) - 1;
    out[2 * i + 1] = 2 * (b + 0.1 * z[2 * i + 1]) - 0.2;
  }
}

const RING_RADII = [3, 2.25, 1.5, 0.75];
const RING_STD = 0.08;

/**
 * FFJORD's rings: 4 concentric circles of radii 3·{1, .75, .5, .25}, equal mass, plus N(0, 0.08²)
 * noise. The density is closed form: a uniform angle on a circle of radius R blurred by N(0, σ²I) is
 * exp(−(r² + R²)/(2σ²)) I0(rR/σ²) / (2πσ²), evaluated with the scaled Bessel functions (the
 * arguments reach rR/σ² ≈ 2000, far past where I0 itself overflows).
 */
class Rings extends DrawnToy {
  constructor() {
    super('rings', 2, 2);
  }
  protected make(i: number, u: Float64Array, z: Float64Array, out: Float64Array): void {
    const R = RING_RADII[Math.min(3, Math.floor(u[2 * i + 1] * 4))];
    const th = 2 * Math.PI * u[2 * i];
    out[2 * i] = R * Math.cos(th) + RING_STD * z[2 * i];
    out[2 * i + 1] = R * Math.sin(th) + RING_STD * z[2 * i + 1];
  }
  /** Per ring: log of its blurred-circle density and d/dr of it, at radius r. */
  private ring(r: number, R: number): { logp: number; dlogp: number } {
    const s2 = RING_STD * RING_STD, zz = (r * R) / s2;
    // I0(z) = i0e(z)·e^z, so log p = −(r − R)²/(2σ²) + log i0e(z) − log(2πσ²)
    const logp = -((r - R) ** 2) / (2 * s2) + Math.log(besselI0e(zz)) - Math.log(2 * Math.PI * s2);
    const dlogp = (-r + R * (besselI1e(zz) / besselI0e(zz))) / s2;
    return { logp, dlogp };
  }
  private eval(fn: string, x: Tensor, wantScore: boolean): Tensor {
    const d = checkPoints(fn, x);
    const n = d.length / 2;
    const out = new Float64Array(wantScore ? 2 * n : n);
    for (let i = 0; i < n; i++) {
      const a = d[2 * i], b = d[2 * i + 1], r = Math.hypot(a, b);
      const parts = RING_RADII.map((R) => this.ring(r, R));
      const m = Math.max(...parts.map((p) => p.logp));
      const ws = parts.map((p) => Math.exp(p.logp - m));
      const tot = ws.reduce((s, w) => s + w, 0);
      if (!wantScore) {
        out[i] = m + Math.log(tot / 4);
        continue;
      }
      // ∇ log p = (Σ_k w_k d/dr log p_k) · x/r; at r = 0 every d/dr vanishes with x/r bounded
      const g = parts.reduce((s, p, k) => s + ws[k] * p.dlogp, 0) / tot;
      out[2 * i] = r > 0 ? (g * a) / r : 0;
      out[2 * i + 1] = r > 0 ? (g * b) / r : 0;
    }
    return tensor(out, { dtype: x.dtype, device: x.device, shape: wantScore ? [n, 2] : [n] });
  }
  logDensity(x: Tensor): Tensor {
    return this.eval('rings.logDensity', x, false);
  }
  score(x: Tensor): Tensor {
    return this.eval('rings.score', x, true);
  }
}

/** FFJORD's pinwheel: 5 arms, radial std 0.3, tangential std 0.1, rate 0.25, ×2. */
class Pinwheel extends DrawnToy {
  constructor() {
    super('pinwheel', 1, 2);
  }
  protected make(i: number, u: Float64Array, z: Float64Array, out: Float64Array): void {
    const cls = Math.min(4, Math.floor(u[i] * 5));
    const f0 = 1 + 0.3 * z[2 * i], f1 = 0.1 * z[2 * i + 1];
    const ang = (2 * Math.PI * cls) / 5 + 0.25 * Math.exp(f0);
    const c = Math.cos(ang), s = Math.sin(ang);
    // FFJORD: einsum('ti,tij->tj', features, [[c, −s], [s, c]])
    out[2 * i] = 2 * (f0 * c + f1 * s);
    out[2 * i + 1] = 2 * (-f0 * s + f1 * c);
  }
}

/** FFJORD's 2spirals: n = sqrt(u)·3π; (−cos n·n + U/2, sin n·n + U/2), mirrored, /3, + N(0, 0.1²). */
class TwoSpirals extends DrawnToy {
  constructor() {
    super('2spirals', 4, 2);
  }
  protected make(i: number, u: Float64Array, z: Float64Array, out: Float64Array): void {
    const n = Math.sqrt(u[4 * i]) * ((540 * 2 * Math.PI) / 360);
    const sgn = u[4 * i + 3] < 0.5 ? 1 : -1;
    const dx = -Math.cos(n) * n + u[4 * i + 1] * 0.5;
    const dy = Math.sin(n) * n + u[4 * i + 2] * 0.5;
    out[2 * i] = (sgn * dx) / 3 + 0.1 * z[2 * i];
    out[2 * i + 1] = (sgn * dy) / 3 + 0.1 * z[2 * i + 1];
  }
}

/** A mixture seen as a toy distribution (its density and score are closed form). */
class MixtureToy implements ToyDistribution {
  readonly range: [number, number];
  constructor(readonly mixture: GaussianMixture) {
    let hi = 0;
    mixture.means.forEach((m, k) => m.forEach((v, d) => (hi = Math.max(hi, Math.abs(v) + 3 * mixture.stds[k][d]))));
    const r = Math.max(4, Math.ceil(hi));
    this.range = [-r, r];
  }
  get name(): string {
    return this.mixture.name;
  }
  get dim(): number {
    return this.mixture.dim;
  }
  sample(n: number, o?: SampleOptions): Tensor {
    return this.mixture.sample(n, o);
  }
  logDensity(x: Tensor): Tensor {
    return this.mixture.logDensity(x);
  }
  score(x: Tensor): Tensor {
    return this.mixture.score(x);
  }
}

function checkPoints(fn: string, x: Tensor): Float64Array | Float32Array {
  if (!(x instanceof Tensor)) throw argError(fn, 'x', x, 'a tensor of shape [N, 2]');
  x.assertLive(fn, 'x');
  if (x.ndim !== 2 || x.shape[1] !== 2) throw argError(fn, 'x', x, 'a tensor of shape [N, 2]');
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw argError(fn, 'x', x, 'a float32 or float64 tensor');
  return x.dataSync() as Float32Array | Float64Array;
}

/** The distribution behind a toy name, or a Gaussian mixture given as one. */
export function toyDistribution(name: ToyName | GaussianMixture): ToyDistribution {
  return toyDistributionFor('toyDistribution', name);
}

/** toyDistribution(name) on behalf of the public function `fn` (named in its errors). */
function toyDistributionFor(fn: string, name: ToyName | GaussianMixture): ToyDistribution {
  if (name instanceof GaussianMixture) return new MixtureToy(name);
  switch (name) {
    case 'checkerboard': return new Checkerboard();
    case '8gaussians': return new MixtureToy(eightGaussians());
    case 'swissroll': return new SwissRoll();
    case 'moons': return new Moons();
    case 'rings': return new Rings();
    case 'pinwheel': return new Pinwheel();
    case '2spirals': return new TwoSpirals();
    default: throw argError(fn, 'name', typeof name === 'symbol' ? String(name) : name, `one of ${TOY_NAMES.join(', ')} or a GaussianMixture`);
  }
}

export interface ToyStreamOptions {
  batchSize: number;
  /** Seed of the stream's own generator (default 0); ignored when `generator` is given. */
  seed?: number;
  /** Draw from this generator instead (shared state: other draws from it shift the stream). */
  generator?: Generator;
  dtype?: 'float32' | 'float64';
}

/**
 * An endless seeded stream of [batchSize, dim] batches. `next()` hands the caller a tensor it owns;
 * the iterators (`for (const x of stream.take(n))`) own theirs instead: each batch is disposed when
 * the next one is requested or the loop ends, so a training loop leaks nothing (clone() a batch to
 * keep it). The stream's position is its generator state: setState(getState()) replays exactly.
 */
// The public function constructing a stream (toy() names itself in the stream's errors).
let streamCaller: string | null = null;

export class ToyStream implements Iterable<Tensor> {
  readonly dist: ToyDistribution;
  readonly batchSize: number;
  readonly generator: Generator;
  private readonly dtype: 'float32' | 'float64';

  constructor(dist: ToyName | GaussianMixture | ToyDistribution, opts: ToyStreamOptions) {
    const fn = streamCaller ?? 'ToyStream';
    streamCaller = null;
    const o = checkOptions(fn, 'options', opts);
    checkKnownKeys(fn, 'options', o, ['batchSize', 'seed', 'generator', 'dtype']);
    if (typeof dist !== 'string' && !(dist instanceof GaussianMixture) &&
      !(dist && typeof dist === 'object' && typeof (dist as ToyDistribution).sample === 'function' && Number.isInteger((dist as ToyDistribution).dim)))
      throw argError(fn, 'name', dist, `one of ${TOY_NAMES.join(', ')}, a GaussianMixture or a distribution with sample(n) and dim`);
    if (o.generator !== undefined && !(o.generator instanceof Generator)) throw argError(fn, 'generator', o.generator, 'a Generator');
    this.dist = typeof dist === 'string' || dist instanceof GaussianMixture ? toyDistributionFor(fn, dist) : dist;
    this.batchSize = checkInt(fn, 'batchSize', o.batchSize, 1);
    this.generator = o.generator ?? new Generator(checkInt(fn, 'seed', o.seed ?? 0, 0, Number.MAX_SAFE_INTEGER));
    this.dtype = o.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') throw argError(fn, 'dtype', this.dtype, "'float32' or 'float64'");
  }

  next(): Tensor {
    return this.dist.sample(this.batchSize, { generator: this.generator, dtype: this.dtype });
  }

  /** n batches; each is disposed when the next is requested or when the loop ends or breaks. */
  *take(n = Infinity): Generator_<Tensor> {
    if (n !== Infinity) checkInt('ToyStream.take', 'n', n, 0);
    let cur: Tensor | null = null;
    try {
      for (let i = 0; i < n; i++) {
        cur?.dispose();
        // kept: an enclosing tidy() must not free a batch the loop body is still using
        cur = keep(this.next());
        yield cur;
      }
    } finally {
      cur?.dispose();
    }
  }

  [Symbol.iterator](): Iterator<Tensor> {
    return this.take();
  }

  getState(): RandomKey {
    return this.generator.getState();
  }
  setState(s: RandomKey): void {
    this.generator.setState(s);
  }
}

// the global Generator type name is shadowed by the engine's Generator class in this file
type Generator_<T> = globalThis.Generator<T, void, unknown>;

/** A seeded stream of toy batches: `for (const x of toy('checkerboard', { batchSize: 512 }).take(1000))`. */
export function toy(name: ToyName | GaussianMixture | ToyDistribution, o: ToyStreamOptions): ToyStream {
  streamCaller = 'toy';
  return new ToyStream(name, o);
}
