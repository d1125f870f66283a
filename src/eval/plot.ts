// SPDX-License-Identifier: MIT
// Plots as PNG, with no plotting library: line charts (loss and metric curves: several series,
// optional log scales, ticks, labels, legend), 2-D scatter plots on a fixed window (samples of toy
// data on [−4, 4]²) and image grids (samples [N, C, H, W] in [−1, 1] or [0, 1], like torchvision's
// make_grid + save_image).
import { atomicWriteFile } from '../io/atomic.js';
import { argError, checkOptions, ShapeError } from '../errors.js';
import { encodePng } from '../io/png.js';
import type { Tensor } from '../tensor/tensor.js';
import { BLACK, Canvas, GRID, PALETTE, WHITE, type RGB } from './canvas.js';
import { GLYPH_H, textWidth } from './font.js';

/** A rendered plot: the PNG bytes and, for charts, the plot frame in pixels (inclusive). */
export interface Plot {
  png: Buffer;
  width: number;
  height: number;
  frame?: { left: number; top: number; right: number; bottom: number };
  save(path: string): void;
}

function plot(png: Buffer, width: number, height: number, frame?: Plot['frame']): Plot {
  return { png, width, height, frame, save: (p: string) => atomicWriteFile(p, png, 'Plot.save') };
}

// ---------------------------------------------------------------- axes

/** Heckbert's "nice numbers": 1, 2, 5 (or 10) times a power of ten. */
function niceNum(x: number, round: boolean): number {
  const e = Math.floor(Math.log10(x)), f = x / 10 ** e;
  const n = round ? (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) : f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return n * 10 ** e;
}

/** About `count` nice ticks covering [lo, hi] (values inside the range). */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceNum((hi - lo) / Math.max(1, count - 1), true);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

/** Ticks of a log axis over [lo, hi] (data units, > 0): decades, plus 2 and 5 when few decades show. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const mults = b - a <= 2 ? [1, 2, 5] : [1];
  const step = Math.max(1, Math.ceil((b - a) / 8)); // at most ~8 decade labels
  const out: number[] = [];
  for (let e = a; e <= b; e += mults.length > 1 ? 1 : step)
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) out.push(v);
    }
  return out;
}

/** Compact tick labels: 0.25, 40, 1e-4, 2.5e5. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
}

function makeAxis(fn: string, name: string, values: number[], log: boolean, fixed?: readonly [number, number]): Axis {
  let lo: number, hi: number;
  if (fixed) {
    [lo, hi] = fixed;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo) || (log && lo <= 0))
      throw argError(fn, `${name}Range`, fixed, `[lo, hi] with lo < hi${log ? ' and lo > 0 (log scale)' : ''}`);
  } else {
    const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
    lo = v.length ? Math.min(...v) : log ? 1 : 0;
    hi = v.length ? Math.max(...v) : log ? 10 : 1;
    if (log) {
      if (hi / lo < 1.0001) { lo /= 2; hi *= 2; }
    } else {
      const pad = hi > lo ? 0.04 * (hi - lo) : Math.max(1, Math.abs(lo)) * 0.5;
      lo -= pad;
      hi += pad;
    }
  }
  return { lo, hi, log, ticks: log ? logTicks(lo, hi) : linearTicks(lo, hi) };
}

/** Position of value v on an axis as a fraction of its length (can fall outside [0, 1]). */
function frac(a: Axis, v: number): number {
  return a.log ? (Math.log10(v) - Math.log10(a.lo)) / (Math.log10(a.hi) - Math.log10(a.lo)) : (v - a.lo) / (a.hi - a.lo);
}

interface Frame {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Frame, grid lines, ticks, tick labels, axis labels and title. */
function drawAxes(cv: Canvas, f: Frame, ax: Axis, ay: Axis, o: { title?: string; xLabel?: string; yLabel?: string }): void {
  const px = (v: number) => Math.round(f.left + frac(ax, v) * (f.right - f.left));
  const py = (v: number) => Math.round(f.bottom - frac(ay, v) * (f.bottom - f.top));
  for (const t of ax.ticks) {
    const x = px(t);
    cv.line(x, f.top + 1, x, f.bottom - 1, GRID);
    cv.line(x, f.bottom, x, f.bottom + 4, BLACK);
    cv.text(x, f.bottom + 7, formatTick(t), BLACK, { align: 'center' });
  }
  for (const t of ay.ticks) {
    const y = py(t);
    cv.line(f.left + 1, y, f.right - 1, y, GRID);
    cv.line(f.left - 4, y, f.left, y, BLACK);
    cv.text(f.left - 7, y - Math.floor(GLYPH_H / 2) + 1, formatTick(t), BLACK, { align: 'right' });
  }
  cv.strokeRect(f.left, f.top, f.right - f.left + 1, f.bottom - f.top + 1, BLACK);
  if (o.title) cv.text(Math.round((f.left + f.right) / 2), 6, o.title, BLACK, { align: 'center' });
  if (o.xLabel) cv.text(Math.round((f.left + f.right) / 2), cv.height - GLYPH_H - 4, o.xLabel, BLACK, { align: 'center' });
  if (o.yLabel) cv.text(4, Math.round((f.top + f.bottom) / 2), o.yLabel, BLACK, { align: 'center', vertical: true });
}

function frameFor(width: number, height: number, ay: Axis, o: { title?: string; xLabel?: string; yLabel?: string }): Frame {
  const labelW = Math.max(...ay.ticks.map((t) => textWidth(formatTick(t))), 6);
  const left = labelW + 12 + (o.yLabel ? GLYPH_H + 6 : 0);
  const top = o.title ? GLYPH_H + 12 : 10;
  const bottom = height - 1 - (GLYPH_H + 12) - (o.xLabel ? GLYPH_H + 6 : 0);
  const right = width - 1 - 12;
  if (right - left < 20 || bottom - top < 20) throw argError('plot', 'width/height', [width, height], 'a canvas large enough for the axes (about 120x100 or more)');
  return { left, top, right, bottom };
}

// ---------------------------------------------------------------- line charts

export interface Series {
  name?: string;
  /** x values (default 0, 1, 2, ...). */
  x?: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: RGB;
}

export interface LineChartOptions {
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logX?: boolean;
  logY?: boolean;
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  lineWidth?: number;
  /** Draw the legend (default: when some series has a name). */
  legend?: boolean;
}

/**
 * Line chart of one or more series. Non-finite points (and non-positive ones on a log axis) break
 * the line instead of being drawn, so a NaN loss shows as a gap.
 */
export function lineChart(series: Series | readonly Series[], o: LineChartOptions = {}): Plot {
  const fn = 'lineChart';
  const list = Array.isArray(series) ? (series as readonly Series[]) : [series as Series];
  if (!list.length) throw argError(fn, 'series', series, 'at least one series');
  const xs = list.map((s, i) => {
    if (!s || !s.y || typeof s.y.length !== 'number') throw argError(fn, `series[${i}].y`, s?.y, 'an array of numbers');
    if (s.x && s.x.length !== s.y.length) throw new ShapeError(`${fn}: series[${i}] has ${s.x.length} x values and ${s.y.length} y values`);
    return s.x ? Array.from(s.x) : Array.from({ length: s.y.length }, (_, k) => k);
  });
  const W = o.width ?? 640, H = o.height ?? 400;
  const ax = makeAxis(fn, 'x', xs.flat(), !!o.logX, o.xRange);
  const ay = makeAxis(fn, 'y', list.flatMap((s) => Array.from(s.y)), !!o.logY, o.yRange);
  const cv = new Canvas(W, H, WHITE);
  const f = frameFor(W, H, ay, o);
  drawAxes(cv, f, ax, ay, o);
  const ok = (a: Axis, v: number) => Number.isFinite(v) && (!a.log || v > 0);
  // clip to the frame: points beyond a fixed range are drawn at the border, not over the labels
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  list.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    let prev: [number, number] | null = null;
    for (let k = 0; k < s.y.length; k++) {
      const x = xs[i][k], y = s.y[k];
      if (!ok(ax, x) || !ok(ay, y)) {
        prev = null;
        continue;
      }
      const p: [number, number] = [
        clamp(f.left + frac(ax, x) * (f.right - f.left), f.left + 1, f.right - 1),
        clamp(f.bottom - frac(ay, y) * (f.bottom - f.top), f.top + 1, f.bottom - 1),
      ];
      if (prev) cv.line(prev[0], prev[1], p[0], p[1], color, o.lineWidth ?? 2);
      else cv.dot(p[0], p[1], color, o.lineWidth ?? 2);
      prev = p;
    }
  });
  if (o.legend ?? list.some((s) => s.name)) {
    const names = list.map((s, i) => s.name ?? `series ${i}`);
    const w = Math.max(...names.map((n) => textWidth(n))) + 30, h = names.length * 12 + 6;
    const x0 = f.right - w - 6, y0 = f.top + 6;
    cv.fillRect(x0, y0, w, h, WHITE);
    cv.strokeRect(x0, y0, w, h, GRID);
    names.forEach((n, i) => {
      const y = y0 + 5 + i * 12;
      cv.line(x0 + 5, y + 3, x0 + 19, y + 3, list[i].color ?? PALETTE[i % PALETTE.length], 2);
      cv.text(x0 + 24, y, n, BLACK);
    });
  }
  return plot(cv.toPng(), W, H, f);
}

// ---------------------------------------------------------------- scatter plots

export interface ScatterSet {
  /** Points as a [N, 2] tensor or a flat array x0, y0, x1, y1, ... */
  points: Tensor | ArrayLike<number>;
  color?: RGB;
  label?: string;
}

export interface ScatterOptions {
  width?: number;
  height?: number;
  title?: string;
  /** The window on both axes (default [−4, 4]); xRange/yRange override per axis. */
  range?: readonly [number, number];
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** Side of each dot in pixels (default 2). */
  pointSize?: number;
  /** Opacity of each dot (default 0.35): dense regions darken, showing density. */
  alpha?: number;
}

function flatPoints(fn: string, p: Tensor | ArrayLike<number>): ArrayLike<number> {
  if (p && typeof p === 'object' && (p as Tensor)._isTensor) {
    const t = p as Tensor;
    if (t.ndim !== 2 || t.shape[1] !== 2) throw argError(fn, 'points', t, 'a tensor of shape [N, 2]');
    return t.dataSync();
  }
  if (!p || typeof (p as ArrayLike<number>).length !== 'number' || (p as ArrayLike<number>).length % 2) throw argError(fn, 'points', p, 'a [N, 2] tensor or a flat array of x, y pairs');
  return p as ArrayLike<number>;
}

/**
 * Scatter plot on a fixed window (fixed so that plots of successive checkpoints compare). Points
 * outside it are not drawn; their count is printed in the top-left corner.
 */
export function scatterPlot(sets: ScatterSet | readonly ScatterSet[] | Tensor, o: ScatterOptions = {}): Plot {
  const fn = 'scatterPlot';
  if (!sets || typeof sets !== 'object') throw argError(fn, 'sets', sets, 'a tensor [N, 2], a {points} set or an array of sets');
  o = checkOptions(fn, 'options', o);
  const list: ScatterSet[] = (sets as Tensor)._isTensor ? [{ points: sets as Tensor }] : Array.isArray(sets) ? [...sets] : [sets as ScatterSet];
  const W = o.width ?? 480, H = o.height ?? 480;
  const range = o.range ?? [-4, 4];
  const ax = makeAxis(fn, 'x', [], false, o.xRange ?? range);
  const ay = makeAxis(fn, 'y', [], false, o.yRange ?? range);
  const size = o.pointSize ?? 2, alpha = o.alpha ?? 0.35;
  if (!(alpha > 0 && alpha <= 1)) throw argError(fn, 'alpha', alpha, 'a number in (0, 1]');
  const cv = new Canvas(W, H, WHITE);
  const f = frameFor(W, H, ay, o);
  drawAxes(cv, f, ax, ay, o);
  let outside = 0;
  list.forEach((s, i) => {
    const pts = flatPoints(fn, s.points);
    const color = s.color ?? PALETTE[i % PALETTE.length];
    for (let k = 0; k < pts.length; k += 2) {
      const fx = frac(ax, pts[k]), fy = frac(ay, pts[k + 1]);
      if (!(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1)) {
        outside++;
        continue;
      }
      cv.dot(f.left + fx * (f.right - f.left), f.bottom - fy * (f.bottom - f.top), color, size, alpha);
    }
  });
  if (outside) cv.text(f.left + 4, f.top + 4, `${outside} outside`, [200, 0, 0]);
  const labelled = list.map((s, i) => ({ label: s.label, color: s.color ?? PALETTE[i % PALETTE.length] })).filter((s) => s.label);
  if (labelled.length) {
    const w = Math.max(...labelled.map((s) => textWidth(s.label!))) + 8;
    cv.fillRect(f.right - w - 2, f.top + 2, w, 12 * labelled.length + 4, WHITE);
    labelled.forEach((s, i) => cv.text(f.right - 6, f.top + 5 + 12 * i, s.label!, s.color, { align: 'right' }));
  }
  // the frame again, over dots that touch it
  cv.strokeRect(f.left, f.top, f.right - f.left + 1, f.bottom - f.top + 1, BLACK);
  return plot(cv.toPng(), W, H, f);
}

// ---------------------------------------------------------------- image grids

export interface ImageGridOptions {
  /** Images per row (default ceil(sqrt(N))). */
  nrow?: number;
  /** Pixels between and around images (default 2). */
  padding?: number;
  /** Value range of the tensor (default '[-1,1]'); values outside are clipped. */
  range?: '[-1,1]' | '[0,1]';
  /** Byte value of the padding (default 0, black). */
  padValue?: number;
  /** Integer upscaling of every pixel (default 1). */
  scale?: number;
}

/**
 * A grid of images from [N, C, H, W] (C = 1 gray, 3 RGB): each value v maps to the byte
 * floor(255·u + 0.5) clamped to [0, 255], u = (v + 1)/2 or v, as torchvision's save_image.
 */
export function imageGrid(x: Tensor, o: ImageGridOptions = {}): Plot {
  const fn = 'imageGrid';
  if (!x || !(x as Tensor)._isTensor || x.ndim !== 4) throw argError(fn, 'x', x, 'a tensor [N, C, H, W]');
  const [N, C, Hh, Ww] = x.shape;
  if (C !== 1 && C !== 3) throw argError(fn, 'x', x, 'C = 1 (gray) or C = 3 (RGB) channels');
  if (N < 1) throw argError(fn, 'x', x, 'at least one image');
  const nrow = o.nrow ?? Math.ceil(Math.sqrt(N));
  const pad = o.padding ?? 2, s = o.scale ?? 1, padValue = o.padValue ?? 0;
  if (!Number.isInteger(nrow) || nrow < 1) throw argError(fn, 'nrow', nrow, 'a positive integer');
  if (!Number.isInteger(pad) || pad < 0) throw argError(fn, 'padding', pad, 'a non-negative integer');
  if (!Number.isInteger(s) || s < 1) throw argError(fn, 'scale', s, 'a positive integer');
  const range = o.range ?? '[-1,1]';
  if (range !== '[-1,1]' && range !== '[0,1]') throw argError(fn, 'range', range, "'[-1,1]' or '[0,1]'");
  const cols = Math.min(nrow, N), rows = Math.ceil(N / nrow);
  const w = cols * (Ww * s + pad) + pad, h = rows * (Hh * s + pad) + pad;
  const out = new Uint8Array(w * h * C).fill(padValue);
  const d = x.dataSync();
  for (let i = 0; i < N; i++) {
    const gx = pad + (i % nrow) * (Ww * s + pad), gy = pad + Math.floor(i / nrow) * (Hh * s + pad);
    for (let c = 0; c < C; c++)
      for (let yy = 0; yy < Hh; yy++)
        for (let xx = 0; xx < Ww; xx++) {
          const v = d[((i * C + c) * Hh + yy) * Ww + xx];
          const u = range === '[-1,1]' ? (v + 1) / 2 : v;
          const b = Number.isNaN(u) ? 0 : Math.min(255, Math.max(0, Math.floor(255 * u + 0.5)));
          for (let a = 0; a < s; a++)
            for (let bb = 0; bb < s; bb++) out[((gy + yy * s + a) * w + gx + xx * s + bb) * C + c] = b;
        }
  }
  return plot(encodePng(w, h, C as 1 | 3, out), w, h);
}
