// SPDX-License-Identifier: MIT
// Plots as PNG: line charts (loss and metric curves: several series, log scales, interval bands,
// legend) and 2-D scatter plots on a fixed window are Vega-Lite specs (chart_specs.ts) rendered by
// vega + resvg (render.ts); image grids (samples [N, C, H, W] in [−1, 1] or [0, 1], like
// torchvision's make_grid + save_image) are raster images, encoded directly as PNG.
import { atomicWriteFile } from '../io/atomic.js';
import { argError, checkOptions } from '../errors.js';
import { encodePng } from '../io/png.js';
import type { Tensor } from '../tensor/tensor.js';
import { lineChartSpec, scatterSpec, type ChartSpec, type LineChartOptions, type ScatterOptions, type ScatterSet, type Series } from './chart_specs.js';
import { chartSvg, svgToPng } from './render.js';

export type { LineChartOptions, ScatterOptions, ScatterSet, Series } from './chart_specs.js';

/** A rendered plot: the PNG bytes, its size, and for charts the SVG and the spec it came from. */
export interface Plot {
  png: Buffer;
  width: number;
  height: number;
  svg?: string;
  spec?: ChartSpec;
  save(path: string): void;
}

function plot(png: Buffer, width: number, height: number, extra: { svg?: string; spec?: ChartSpec } = {}): Plot {
  return { png, width, height, ...extra, save: (p: string) => atomicWriteFile(p, png, 'Plot.save') };
}

/** Renders a chart spec (from lineChartSpec, scatterSpec or the dashboard's specs) to a Plot. */
export async function renderChart(spec: ChartSpec): Promise<Plot> {
  const svg = await chartSvg(spec);
  const r = await svgToPng(svg);
  return plot(r.png, r.width, r.height, { svg, spec });
}

/**
 * Line chart of one or more series (optionally with interval bands lo..hi). Non-finite points
 * (and non-positive ones on a log axis) break the line, so a NaN loss shows as a gap.
 */
export async function lineChart(series: Series | readonly Series[], o: LineChartOptions = {}): Promise<Plot> {
  return renderChart(lineChartSpec(series, o));
}

/**
 * Scatter plot on a fixed window (fixed so that plots of successive checkpoints compare). Points
 * outside it are not drawn; their count is said under the title.
 */
export async function scatterPlot(sets: ScatterSet | readonly ScatterSet[] | Tensor, o: ScatterOptions = {}): Promise<Plot> {
  return renderChart(scatterSpec(sets, o));
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
  o = checkOptions(fn, 'options', o);
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
