// SPDX-License-Identifier: MIT
// A float64 reference implementation of the ops, in plain JS with no shared code with the engine:
// the oracle for the op case table. Simple loops, obviously correct, slow.

export interface Nd {
  shape: number[];
  data: Float64Array;
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function nd(shape: number[], data?: ArrayLike<number>): Nd {
  const d = new Float64Array(size(shape));
  if (data) d.set(Array.from(data));
  return { shape: [...shape], data: d };
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

export function at(a: Nd, idx: number[]): number {
  const st = stridesOf(a.shape);
  let o = 0;
  for (let d = 0; d < idx.length; d++) o += idx[d] * st[d];
  return a.data[o];
}

export function map(a: Nd, f: (v: number) => number): Nd {
  return { shape: [...a.shape], data: a.data.map(f) };
}

export function broadcastShape(...shapes: number[][]): number[] {
  const nd = Math.max(...shapes.map((s) => s.length));
  const out = new Array(nd).fill(1);
  for (const s of shapes)
    s.forEach((v, i) => {
      const o = nd - s.length + i;
      if (v !== 1) out[o] = v;
    });
  return out;
}

function bcastAt(a: Nd, idx: number[]): number {
  const off = idx.length - a.shape.length;
  return at(a, a.shape.map((s, i) => (s === 1 ? 0 : idx[off + i])));
}

export function zip(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = f(bcastAt(a, idx), bcastAt(b, idx));
  }
  return out;
}

export function zip3(c: Nd, a: Nd, b: Nd, f: (c: number, x: number, y: number) => number): Nd {
  const shape = broadcastShape(c.shape, a.shape, b.shape);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = f(bcastAt(c, idx), bcastAt(a, idx), bcastAt(b, idx));
  }
  return out;
}

/** Generic reduction: f folds the list of values of each output position. */
export function reduce(a: Nd, dims: number[] | undefined, keepdim: boolean, f: (vals: number[]) => number): Nd {
  const ds = (dims ?? a.shape.map((_, i) => i)).map((d) => (d < 0 ? d + a.shape.length : d));
  const outShapeKeep = a.shape.map((s, i) => (ds.includes(i) ? 1 : s));
  const groups = new Map<number, number[]>();
  const kst = stridesOf(outShapeKeep);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape);
    let o = 0;
    idx.forEach((v, d) => (o += (ds.includes(d) ? 0 : v) * kst[d]));
    if (!groups.has(o)) groups.set(o, []);
    groups.get(o)!.push(a.data[i]);
  }
  const out = nd(keepdim ? outShapeKeep : a.shape.filter((_, i) => !ds.includes(i)));
  for (let o = 0; o < out.data.length; o++) out.data[o] = f(groups.get(o) ?? []);
  return out;
}

export const sum = (v: number[]) => v.reduce((x, y) => x + y, 0);
export const mean = (v: number[]) => sum(v) / v.length;
export function variance(v: number[], unbiased: boolean): number {
  const m = mean(v);
  return sum(v.map((x) => (x - m) ** 2)) / (v.length - (unbiased ? 1 : 0));
}

export function permute(a: Nd, p: number[]): Nd {
  const shape = p.map((d) => a.shape[d]);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array(p.length);
    p.forEach((d, k) => (src[d] = idx[k]));
    out.data[i] = at(a, src);
  }
  return out;
}

export function reshape(a: Nd, shape: number[]): Nd {
  return { shape: [...shape], data: a.data.slice() };
}

/** Along one dim, applies f to each 1-D line (softmax and friends). */
export function alongDim(a: Nd, dim: number, f: (line: number[]) => number[]): Nd {
  const d = dim < 0 ? dim + a.shape.length : dim;
  const out = nd(a.shape);
  const st = stridesOf(a.shape);
  const n = a.shape[d];
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape);
    if (idx[d] !== 0) continue;
    const line: number[] = [];
    for (let k = 0; k < n; k++) line.push(a.data[i + k * st[d]]);
    const r = f(line);
    for (let k = 0; k < n; k++) out.data[i + k * st[d]] = r[k];
  }
  return out;
}

export function matmul(a: Nd, b: Nd): Nd {
  const A = a.shape.length === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const B = b.shape.length === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const M = A.shape[A.shape.length - 2], K = A.shape[A.shape.length - 1], N = B.shape[B.shape.length - 1];
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const out = nd([...batch, M, N]);
  const nb = size(batch);
  for (let bi = 0; bi < nb; bi++) {
    const bidx = unravel(bi, batch);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += bcastAt2(A, bidx, i, k) * bcastAt2(B, bidx, k, j);
        out.data[(bi * M + i) * N + j] = s;
      }
  }
  let shape = out.shape;
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  if (a.shape.length === 1) shape = b.shape.length === 1 ? [] : [...shape.slice(0, -2), shape[shape.length - 1]];
  return { shape, data: out.data };
}

function bcastAt2(a: Nd, bidx: number[], i: number, j: number): number {
  const nb = a.shape.length - 2, off = bidx.length - nb;
  const idx = a.shape.slice(0, nb).map((s, k) => (s === 1 ? 0 : bidx[off + k]));
  return at(a, [...idx, i, j]);
}

export interface ConvRef {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Direct convolution: out[n,o,y,x] = b[o] + sum_{c,i,j} w[o,c,i,j] x[n, g*C/G + c, y*s - p + i*d, ...]. */
export function conv2d(x: Nd, w: Nd, b: Nd | null, o: ConvRef): Nd {
  const [N, C, H, W] = x.shape, [O, Cg, KH, KW] = w.shape;
  const [sh, sw] = o.stride, [ph, pw] = o.padding, [dh, dw] = o.dilation;
  const OH = Math.floor((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1, OW = Math.floor((W + 2 * pw - dw * (KW - 1) - 1) / sw) + 1;
  const og = O / o.groups;
  const out = nd([N, O, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++) {
      const g = Math.floor(oc / og);
      for (let y = 0; y < OH; y++)
        for (let xx = 0; xx < OW; xx++) {
          let s = b ? b.data[oc] : 0;
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const hy = y * sh - ph + i * dh, wx = xx * sw - pw + j * dw;
                if (hy < 0 || hy >= H || wx < 0 || wx >= W) continue;
                s += at(w, [oc, c, i, j]) * at(x, [n, g * Cg + c, hy, wx]);
              }
          out.data[((n * O + oc) * OH + y) * OW + xx] = s;
        }
    }
  return out;
}

/** Transposed convolution by scattering: each input pixel adds w * x into the output. */
export function convTranspose2d(x: Nd, w: Nd, b: Nd | null, o: ConvRef & { outputPadding: [number, number] }): Nd {
  const [N, Cin, H, W] = x.shape, [, Cg, KH, KW] = w.shape;
  const [sh, sw] = o.stride, [ph, pw] = o.padding, [dh, dw] = o.dilation;
  const Cout = Cg * o.groups, cing = Cin / o.groups;
  const OH = (H - 1) * sh - 2 * ph + dh * (KH - 1) + o.outputPadding[0] + 1;
  const OW = (W - 1) * sw - 2 * pw + dw * (KW - 1) + o.outputPadding[1] + 1;
  const out = nd([N, Cout, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < Cin; ci++) {
      const g = Math.floor(ci / cing);
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          const v = at(x, [n, ci, y, xx]);
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const oy = y * sh - ph + i * dh, ox = xx * sw - pw + j * dw;
                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                out.data[((n * Cout + g * Cg + c) * OH + oy) * OW + ox] += v * at(w, [ci, c, i, j]);
              }
        }
    }
  if (b) for (let i = 0; i < out.data.length; i++) out.data[i] += b.data[unravel(i, out.shape)[1]];
  return out;
}

export interface PoolRef {
  dilation?: [number, number];
  ceilMode?: boolean;
  divisorOverride?: number;
}

/** Output size of a pooling window sweep, as PyTorch defines it (ceil mode drops a window starting in the right padding). */
function poolOut(len: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = len + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= len + p) o--;
  return o;
}

export function pool2d(x: Nd, k: [number, number], s: [number, number], p: [number, number], kind: 'avg' | 'max', countIncludePad = true, o: PoolRef = {}): Nd {
  const [N, C, H, W] = x.shape;
  const d = o.dilation ?? [1, 1];
  const OH = poolOut(H, k[0], s[0], p[0], d[0], !!o.ceilMode), OW = poolOut(W, k[1], s[1], p[1], d[1], !!o.ceilMode);
  const out = nd([N, C, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let y = 0; y < OH; y++)
        for (let xx = 0; xx < OW; xx++) {
          const vals: number[] = [];
          let area = 0;
          for (let i = 0; i < k[0]; i++)
            for (let j = 0; j < k[1]; j++) {
              const hy = y * s[0] - p[0] + i * d[0], wx = xx * s[1] - p[1] + j * d[1];
              if (hy < H + p[0] && wx < W + p[1]) area++;
              if (hy < 0 || hy >= H || wx < 0 || wx >= W) continue;
              vals.push(at(x, [n, c, hy, wx]));
            }
          const div = o.divisorOverride ?? (countIncludePad ? area : vals.length);
          out.data[((n * C + c) * OH + y) * OW + xx] = kind === 'max' ? Math.max(...vals) : sum(vals) / div;
        }
  return out;
}

export function upsampleNearest(x: Nd, f: number): Nd {
  const [N, C, H, W] = x.shape;
  const out = nd([N, C, H * f, W * f]);
  for (let i = 0; i < out.data.length; i++) {
    const [n, c, y, xx] = unravel(i, out.shape);
    out.data[i] = at(x, [n, c, Math.floor(y / f), Math.floor(xx / f)]);
  }
  return out;
}

export function groupNorm(x: Nd, G: number, w: Nd | null, b: Nd | null, eps: number, silu = false): Nd {
  const [N, C] = x.shape;
  const HW = size(x.shape.slice(2));
  const cg = C / G;
  const out = nd(x.shape);
  for (let n = 0; n < N; n++)
    for (let g = 0; g < G; g++) {
      const vals: number[] = [];
      for (let c = g * cg; c < (g + 1) * cg; c++) for (let i = 0; i < HW; i++) vals.push(x.data[(n * C + c) * HW + i]);
      const m = mean(vals), v = variance(vals, false);
      for (let c = g * cg; c < (g + 1) * cg; c++)
        for (let i = 0; i < HW; i++) {
          const o = (n * C + c) * HW + i;
          let y = ((x.data[o] - m) / Math.sqrt(v + eps)) * (w ? w.data[c] : 1) + (b ? b.data[c] : 0);
          if (silu) y = y / (1 + Math.exp(-y));
          out.data[o] = y;
        }
    }
  return out;
}

export function layerNorm(x: Nd, D: number, w: Nd | null, b: Nd | null, eps: number): Nd {
  const out = nd(x.shape);
  for (let r = 0; r < x.data.length / D; r++) {
    const vals = Array.from(x.data.slice(r * D, (r + 1) * D));
    const m = mean(vals), v = variance(vals, false);
    for (let i = 0; i < D; i++) out.data[r * D + i] = ((vals[i] - m) / Math.sqrt(v + eps)) * (w ? w.data[i] : 1) + (b ? b.data[i] : 0);
  }
  return out;
}

export function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for a reference; use a series / continued fraction.
  const t = Math.abs(x);
  if (t < 3) {
    let sumv = t, term = t;
    for (let n = 1; n < 200; n++) {
      term *= (-t * t) / n;
      const add = term / (2 * n + 1);
      sumv += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sumv)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sumv;
  }
  // erfc continued fraction for large |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
}
