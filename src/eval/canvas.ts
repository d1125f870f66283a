// SPDX-License-Identifier: MIT
// A small RGB raster for the plots: rectangles, lines (Bresenham, square pen), alpha-blended dots
// and bitmap text, encoded to PNG with the project's codec. Integer pixel coordinates, origin top
// left; everything is clipped to the canvas.
import { argError } from '../errors.js';
import { encodePng } from '../io/png.js';
import { ADVANCE, glyph, GLYPH_H, GLYPH_W, textWidth } from './font.js';

export type RGB = readonly [number, number, number];

export const WHITE: RGB = [255, 255, 255];
export const BLACK: RGB = [0, 0, 0];
export const GRID: RGB = [225, 225, 225];
/** Matplotlib's tab10 cycle: distinguishable series colours. */
export const PALETTE: readonly RGB[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

export class Canvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: RGB = WHITE) {
    if (!Number.isInteger(width) || width < 1 || width > 16384) throw argError('Canvas', 'width', width, 'an integer in [1, 16384]');
    if (!Number.isInteger(height) || height < 1 || height > 16384) throw argError('Canvas', 'height', height, 'an integer in [1, 16384]');
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel, blending with weight `alpha` in [0, 1] (1 = opaque). */
  set(x: number, y: number, c: RGB, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    if (alpha >= 1) {
      this.data[i] = c[0];
      this.data[i + 1] = c[1];
      this.data[i + 2] = c[2];
      return;
    }
    for (let k = 0; k < 3; k++) this.data[i + k] = Math.round(this.data[i + k] * (1 - alpha) + c[k] * alpha);
  }

  get(x: number, y: number): RGB {
    const i = (y * this.width + x) * 3;
    return [this.data[i], this.data[i + 1], this.data[i + 2]];
  }

  fillRect(x: number, y: number, w: number, h: number, c: RGB): void {
    const x0 = Math.max(0, Math.floor(x)), y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + w)), y1 = Math.min(this.height, Math.floor(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, c);
  }

  /** Outline of a rectangle, 1 px, covering [x, x+w-1] × [y, y+h-1]. */
  strokeRect(x: number, y: number, w: number, h: number, c: RGB): void {
    this.line(x, y, x + w - 1, y, c);
    this.line(x, y + h - 1, x + w - 1, y + h - 1, c);
    this.line(x, y, x, y + h - 1, c);
    this.line(x + w - 1, y, x + w - 1, y + h - 1, c);
  }

  /** A line from (x0, y0) to (x1, y1) with a square pen of `width` px. */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, width = 1): void {
    x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
    // a far-off endpoint (a huge value on a fixed axis) must not make this loop run for ever
    const lim = 4 * (this.width + this.height);
    if (Math.abs(x1 - x0) > lim || Math.abs(y1 - y0) > lim) {
      const t = lim / Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
      if (Math.abs(x0) > lim || Math.abs(y0) > lim) return;
      x1 = Math.round(x0 + (x1 - x0) * t);
      y1 = Math.round(y0 + (y1 - y0) * t);
    }
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    const lo = -Math.floor((width - 1) / 2), hi = lo + width - 1;
    let err = dx + dy;
    for (;;) {
      for (let a = lo; a <= hi; a++) for (let b = lo; b <= hi; b++) this.set(x0 + a, y0 + b, c);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }

  /** A filled square dot of side `size` centred on (x, y), blended with `alpha`. */
  dot(x: number, y: number, c: RGB, size = 1, alpha = 1): void {
    const x0 = Math.round(x) - Math.floor((size - 1) / 2), y0 = Math.round(y) - Math.floor((size - 1) / 2);
    for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) this.set(x0 + a, y0 + b, c, alpha);
  }

  /**
   * Text with its top-left corner at (x, y) ('left'), centred on x ('center') or ending at x
   * ('right'). `vertical` draws it rotated 90° counter-clockwise (reading upwards, for y-axis
   * labels) with the glyph tops at column x, starting at y and going up, or centred on y.
   */
  text(x: number, y: number, s: string, c: RGB = BLACK, o: { scale?: number; align?: 'left' | 'center' | 'right'; vertical?: boolean } = {}): void {
    const scale = o.scale ?? 1;
    const w = textWidth(s, scale);
    const shift = o.align === 'center' ? Math.floor(w / 2) : o.align === 'right' ? w : 0;
    for (let k = 0; k < s.length; k++) {
      const rows = glyph(s[k]);
      for (let r = 0; r < GLYPH_H; r++)
        for (let col = 0; col < GLYPH_W; col++) {
          if (!((rows[r] >> (GLYPH_W - 1 - col)) & 1)) continue;
          const u = k * ADVANCE + col; // position along the text
          for (let a = 0; a < scale; a++)
            for (let b = 0; b < scale; b++) {
              if (o.vertical) this.set(x + r * scale + b, y + shift - (u * scale + a), c);
              else this.set(x - shift + u * scale + a, y + r * scale + b, c);
            }
        }
    }
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, 3, this.data);
  }
}
