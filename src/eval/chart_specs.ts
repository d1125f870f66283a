// SPDX-License-Identifier: MIT
// Chart specifications (Vega-Lite) for loss and metric curves and 2-D sample scatters. They are
// plain JSON, so the same spec is rendered to a PNG in a run directory (render.ts) and drawn live
// by the dashboard's page: one description of each chart, two outputs.
import type { TopLevelSpec } from 'vega-lite';
import { argError, checkOptions, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

export type ChartSpec = TopLevelSpec;

/** One curve; lo/hi (same length as y) draw an interval band around it (e.g. min..max over seeds). */
export interface Series {
  name?: string;
  /** x values (default 0, 1, 2, ...). */
  x?: ArrayLike<number>;
  y: ArrayLike<number>;
  lo?: ArrayLike<number>;
  hi?: ArrayLike<number>;
}

export interface LineChartOptions {
  /** Size of the plot area in pixels (default 560 x 320). */
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logX?: boolean;
  logY?: boolean;
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** Draw the legend (default: when some series has a name). */
  legend?: boolean;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'; // an identifier only: nothing is fetched

function checkRange(fn: string, name: string, r: unknown, log: boolean): readonly [number, number] | undefined {
  if (r === undefined) return undefined;
  const a = r as number[];
  if (!Array.isArray(a) || a.length !== 2 || !a.every(Number.isFinite) || !(a[1] > a[0]) || (log && a[0] <= 0))
    throw argError(fn, name, r, `[lo, hi] with lo < hi${log ? ' and lo > 0 (log scale)' : ''}`);
  return a as unknown as readonly [number, number];
}

function checkSize(fn: string, o: { width?: number; height?: number }, w: number, h: number): [number, number] {
  const W = o.width ?? w, H = o.height ?? h;
  for (const [k, v] of [['width', W], ['height', H]] as const)
    if (!Number.isInteger(v) || v < 40 || v > 4000) throw argError(fn, k, v, 'an integer number of pixels in [40, 4000]');
  return [W, H];
}

/** A finite value for the chart, or null: Vega-Lite breaks the line there instead of drawing it. */
const finite = (v: number, log: boolean) => (Number.isFinite(v) && (!log || v > 0) ? v : null);

/**
 * Line chart of one or more series, with optional interval bands. Non-finite points (and
 * non-positive ones on a log axis) break the line, so a NaN loss shows as a gap.
 */
export function lineChartSpec(series: Series | readonly Series[], o: LineChartOptions = {}): ChartSpec {
  const fn = 'lineChart';
  o = checkOptions(fn, 'options', o);
  const list = Array.isArray(series) ? (series as readonly Series[]) : [series as Series];
  if (!list.length) throw argError(fn, 'series', series, 'at least one series');
  const [W, H] = checkSize(fn, o, 560, 320);
  const xr = checkRange(fn, 'xRange', o.xRange, !!o.logX), yr = checkRange(fn, 'yRange', o.yRange, !!o.logY);
  const rows: Record<string, unknown>[] = [];
  let bands = false;
  list.forEach((s, i) => {
    if (!s || !s.y || typeof s.y.length !== 'number') throw argError(fn, `series[${i}].y`, s?.y, 'an array of numbers');
    for (const k of ['x', 'lo', 'hi'] as const)
      if (s[k] && s[k]!.length !== s.y.length) throw new ShapeError(`${fn}: series[${i}] has ${s[k]!.length} ${k} values and ${s.y.length} y values`);
    if (!!s.lo !== !!s.hi) throw argError(fn, `series[${i}].${s.lo ? 'hi' : 'lo'}`, undefined, 'both lo and hi for a band, or neither');
    bands ||= !!s.lo;
    const name = s.name ?? `series ${i}`;
    for (let k = 0; k < s.y.length; k++) {
      const x = finite(s.x ? s.x[k] : k, !!o.logX);
      if (x === null) continue;
      const r: Record<string, unknown> = { series: name, order: i, x, y: finite(s.y[k], !!o.logY) };
      if (s.lo) {
        r.lo = finite(s.lo[k], !!o.logY);
        r.hi = finite(s.hi![k], !!o.logY);
      }
      rows.push(r);
    }
  });
  const legend = o.legend ?? list.some((s) => s.name);
  const names = list.map((s, i) => s.name ?? `series ${i}`);
  const color = { field: 'series', type: 'nominal', scale: { domain: names }, legend: legend ? { title: null, symbolType: 'stroke', symbolStrokeWidth: 2, symbolOpacity: 1 } : null } as const;
  const x = { field: 'x', type: 'quantitative', title: o.xLabel ?? null, scale: { type: o.logX ? 'log' : 'linear', ...(xr ? { domain: xr } : { nice: false }), ...(o.logX ? {} : { zero: false }) } } as const;
  const yScale = { type: o.logY ? 'log' : 'linear', ...(o.logY ? {} : { zero: false }), ...(yr ? { domain: yr } : {}) } as const;
  const layers: Record<string, unknown>[] = [];
  if (bands)
    layers.push({
      mark: { type: 'area', opacity: 0.2, clip: true },
      encoding: { x, y: { field: 'lo', type: 'quantitative', scale: yScale, title: o.yLabel ?? null }, y2: { field: 'hi' }, color },
    });
  layers.push({
    mark: { type: 'line', strokeWidth: 2, clip: true, invalid: 'break-paths-show-domains', point: rows.length < 3 * list.length },
    encoding: { x, y: { field: 'y', type: 'quantitative', scale: yScale, title: o.yLabel ?? null }, color, order: { field: 'x' } },
  });
  return {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    width: W,
    height: H,
    background: 'white',
    data: { values: rows },
    layer: layers,
  } as unknown as ChartSpec;
}

export interface ScatterSet {
  /** Points as a [N, 2] tensor or a flat array x0, y0, x1, y1, ... */
  points: Tensor | ArrayLike<number>;
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
  /** Area of each dot in square pixels (default 6). */
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
 * outside it are not drawn; their count is given in the subtitle.
 */
export function scatterSpec(sets: ScatterSet | readonly ScatterSet[] | Tensor, o: ScatterOptions = {}): ChartSpec {
  const fn = 'scatterPlot';
  if (!sets || typeof sets !== 'object') throw argError(fn, 'sets', sets, 'a tensor [N, 2], a {points} set or an array of sets');
  o = checkOptions(fn, 'options', o);
  const list: ScatterSet[] = (sets as Tensor)._isTensor ? [{ points: sets as Tensor }] : Array.isArray(sets) ? [...sets] : [sets as ScatterSet];
  const [W, H] = checkSize(fn, o, 420, 420);
  const range = checkRange(fn, 'range', o.range, false) ?? [-4, 4];
  const xr = checkRange(fn, 'xRange', o.xRange, false) ?? range, yr = checkRange(fn, 'yRange', o.yRange, false) ?? range;
  const alpha = o.alpha ?? 0.35, size = o.pointSize ?? 6;
  if (!(alpha > 0 && alpha <= 1)) throw argError(fn, 'alpha', alpha, 'a number in (0, 1]');
  if (!(size > 0)) throw argError(fn, 'pointSize', size, 'a positive number');
  const rows: { x: number; y: number; set: string }[] = [];
  let outside = 0;
  list.forEach((s, i) => {
    if (!s || typeof s !== 'object') throw argError(fn, `sets[${i}]`, s, 'a { points, label? } set');
    const pts = flatPoints(fn, s.points);
    const set = s.label ?? `set ${i}`;
    for (let k = 0; k < pts.length; k += 2) {
      const x = pts[k], y = pts[k + 1];
      if (x >= xr[0] && x <= xr[1] && y >= yr[0] && y <= yr[1]) rows.push({ x, y, set });
      else outside++;
    }
  });
  const title = o.title || outside ? { text: o.title ?? '', ...(outside ? { subtitle: `${outside} outside the window`, subtitleColor: '#c00' } : {}) } : undefined;
  return {
    $schema: SCHEMA,
    ...(title ? { title } : {}),
    width: W,
    height: H,
    background: 'white',
    data: { values: rows },
    mark: { type: 'circle', size, opacity: alpha, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: null, scale: { domain: xr, nice: false, zero: false } },
      y: { field: 'y', type: 'quantitative', title: null, scale: { domain: yr, nice: false, zero: false } },
      color: { field: 'set', type: 'nominal', legend: list.some((s) => s.label) ? { title: null } : null },
    },
  } as unknown as ChartSpec;
}
