// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { decodePng } from '../../src/io/png.js';
import { Canvas, PALETTE, type RGB } from '../../src/eval/canvas.js';
import { glyph, hasGlyph } from '../../src/eval/font.js';
import { formatTick, imageGrid, lineChart, linearTicks, logTicks, scatterPlot, type Plot } from '../../src/eval/plot.js';

/** Decoded RGB pixel of a plot. */
function pixels(p: Plot) {
  const img = decodePng(p.png);
  expect([img.width, img.height]).toEqual([p.width, p.height]);
  return (x: number, y: number): RGB => {
    const i = (y * img.width + x) * 4;
    return [img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]];
  };
}

describe('line charts', () => {
  const blue = PALETTE[0];

  it('draws a series where the axes say it is, with frame and background', () => {
    const p = lineChart({ x: [0, 1], y: [0.5, 0.5] }, { width: 300, height: 200, xRange: [0, 1], yRange: [0, 1], lineWidth: 1, title: 'loss', xLabel: 'step', yLabel: 'value' });
    const px = pixels(p);
    const f = p.frame!;
    const midY = Math.round(f.bottom - 0.5 * (f.bottom - f.top));
    expect(px(Math.round((f.left + f.right) / 2), midY)).toEqual(blue);
    expect(px(Math.round((f.left + f.right) / 2), midY - 3)).not.toEqual(blue);
    expect(px(0, 0)).toEqual([255, 255, 255]);
    expect(px(f.left, midY + 7)).toEqual([0, 0, 0]); // frame
    expect(px(f.right, midY + 7)).toEqual([0, 0, 0]);
  });

  it('places points on log scales and breaks lines at NaN', () => {
    const p = lineChart({ x: [0, 1, 2], y: [1, 10, 100] }, { width: 300, height: 240, logY: true, xRange: [0, 2], yRange: [1, 100], lineWidth: 1 });
    const px = pixels(p), f = p.frame!;
    // (1, 10) is the centre of the frame on a log y axis
    expect(px(Math.round((f.left + f.right) / 2), Math.round((f.top + f.bottom) / 2))).toEqual(blue);
    const q = lineChart({ x: [0, 1, 2, 3], y: [0.5, NaN, 0.5, 0.5] }, { width: 300, height: 200, xRange: [0, 3], yRange: [0, 1], lineWidth: 1 });
    const qx = pixels(q), g = q.frame!;
    const row = Math.round(g.bottom - 0.5 * (g.bottom - g.top)), col = (v: number) => Math.round(g.left + (v / 3) * (g.right - g.left));
    expect(qx(col(0.5), row)).not.toEqual(blue); // the gap around the NaN
    expect(qx(col(1.5), row)).not.toEqual(blue);
    expect(qx(col(2.5), row)).toEqual(blue); // drawn again after it
  });

  it('draws a legend with each series colour and rejects malformed input', () => {
    const p = lineChart([{ name: 'lcss', y: [3, 2, 1] }, { name: 'dsm', y: [2, 2, 2] }], { width: 400, height: 300 });
    const px = pixels(p), f = p.frame!;
    let found = 0;
    for (let y = f.top; y < f.top + 40; y++) for (let x = f.right - 120; x < f.right; x++) {
      const c = px(x, y);
      if (c.join() === PALETTE[1].join()) found++;
    }
    expect(found).toBeGreaterThan(10); // the second series' legend swatch
    expect(() => lineChart([])).toThrow(/lineChart: argument 'series'/);
    expect(() => lineChart({ x: [1, 2], y: [1] })).toThrow(/2 x values and 1 y values/);
    expect(() => lineChart({ y: [1, 2] }, { logY: true, yRange: [0, 1] })).toThrow(/yRange.*lo > 0/);
    expect(() => lineChart({ y: [1, 2] }, { width: 30, height: 30 })).toThrow(/large enough/);
  });

  it('chooses nice ticks and compact labels', () => {
    expect(linearTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(-8, 208)).toEqual([0, 50, 100, 150, 200]);
    expect(logTicks(1e-3, 100)).toEqual([1e-3, 1e-2, 0.1, 1, 10, 100]);
    expect(logTicks(1, 30)).toEqual([1, 2, 5, 10, 20]);
    expect([0, 0.25, 40, 1e-4, 250000, -2.5e-7].map(formatTick)).toEqual(['0', '0.25', '40', '1e-4', '2.5e5', '-2.5e-7']);
  });
});

describe('scatter plots', () => {
  it('maps points into the fixed window and counts those outside', () => {
    const start = lc.numTensors();
    const p = lc.tidy(() => scatterPlot({ points: lc.tensor([[0, 0], [2, -2], [10, 10]]), color: [255, 0, 0] }, { width: 250, height: 250, pointSize: 3, alpha: 1 }));
    expect(lc.numTensors()).toBe(start);
    const px = pixels(p), f = p.frame!;
    const at = (x: number, y: number) => px(Math.round(f.left + ((x + 4) / 8) * (f.right - f.left)), Math.round(f.bottom - ((y + 4) / 8) * (f.bottom - f.top)));
    expect(at(0, 0)).toEqual([255, 0, 0]);
    expect(at(2, -2)).toEqual([255, 0, 0]);
    expect(at(-2, 2)).not.toEqual([255, 0, 0]);
    // "1 outside" in red-ish text in the top-left corner of the frame
    let red = 0;
    for (let y = f.top + 2; y < f.top + 14; y++) for (let x = f.left + 2; x < f.left + 70; x++) if (px(x, y).join() === '200,0,0') red++;
    expect(red).toBeGreaterThan(10);
  });

  it('blends overlapping translucent dots and validates options', () => {
    const p = scatterPlot({ points: [0, 0, 0, 0], color: [0, 0, 0] }, { width: 200, height: 200, alpha: 0.5, pointSize: 1 });
    const px = pixels(p), f = p.frame!;
    const c = px(Math.round((f.left + f.right) / 2), Math.round((f.top + f.bottom) / 2));
    // two dots of alpha 1/2 over a grid line (225) or white: 225 → 113 → 57, or 255 → 128 → 64
    expect([57, 64]).toContain(c[0]);
    expect(() => scatterPlot({ points: [1, 2, 3] })).toThrow(/flat array of x, y pairs/);
    expect(() => scatterPlot({ points: [0, 0] }, { alpha: 0 })).toThrow(/alpha/);
  });
});

describe('image grids', () => {
  it('lays out [N, C, H, W] images with padding, mapping [-1, 1] to bytes like save_image', () => {
    const x = lc.tensor(Float32Array.from([-1, 0, 1, 0.5, 1, 1, 1, 1, -2, -2, -2, 2]), { shape: [3, 1, 2, 2] });
    const p = imageGrid(x, { nrow: 2, padding: 1, padValue: 7 });
    x.dispose();
    expect([p.width, p.height]).toEqual([2 * 3 + 1, 2 * 3 + 1]);
    const img = decodePng(p.png);
    expect(img.channels).toBe(1);
    const g = (xx: number, yy: number) => img.rgba[(yy * img.width + xx) * 4];
    expect([g(1, 1), g(2, 1), g(1, 2), g(2, 2)]).toEqual([0, 128, 255, 191]); // floor(255·u + 0.5)
    expect([g(4, 1), g(5, 2)]).toEqual([255, 255]);
    expect([g(1, 4), g(2, 5)]).toEqual([0, 255]); // clipped
    expect([g(0, 0), g(3, 1), g(4, 4)]).toEqual([7, 7, 7]); // padding, and the empty 4th cell
  });

  it('keeps RGB channels apart, upscales, and validates', () => {
    const x = lc.tensor(Float32Array.from([1, 0, 0.5]), { shape: [1, 3, 1, 1] });
    const p = imageGrid(x, { range: '[0,1]', padding: 0, scale: 3 });
    expect([p.width, p.height]).toEqual([3, 3]);
    const img = decodePng(p.png);
    expect(img.channels).toBe(3);
    for (let k = 0; k < 9; k++) expect(Array.from(img.rgba.subarray(4 * k, 4 * k + 3))).toEqual([255, 0, 128]);
    expect(() => imageGrid(lc.tidy(() => lc.keep(lc.zeros([2, 2, 4, 4]))))).toThrow(/C = 1 \(gray\) or C = 3 \(RGB\)/);
    expect(() => imageGrid(x, { nrow: 0 })).toThrow(/nrow/);
    lc.dispose(x);
  });
});

describe('bitmap font and canvas', () => {
  it('covers printable ASCII and draws text pixels in the glyph pattern', () => {
    for (let c = 32; c < 127; c++) expect(hasGlyph(String.fromCharCode(c))).toBe(true);
    expect(glyph('A')).toEqual([0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11, 0]);
    expect(glyph('é')).toEqual([0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f, 0]); // visible box
    const cv = new Canvas(10, 10);
    cv.text(1, 1, 'T', [0, 0, 0]);
    expect(cv.get(1, 1)).toEqual([0, 0, 0]); // top bar of T
    expect(cv.get(3, 5)).toEqual([0, 0, 0]); // stem
    expect(cv.get(1, 5)).toEqual([255, 255, 255]);
    cv.line(0, 9, 9, 9, [1, 2, 3]);
    expect(cv.get(5, 9)).toEqual([1, 2, 3]);
    cv.line(0, 0, 1e9, 1e9, [4, 5, 6]); // far endpoints are cut, not looped over
    expect(cv.get(8, 8)).toEqual([4, 5, 6]);
  });
});
