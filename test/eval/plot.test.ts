// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { decodePng } from '../../src/io/png.js';
import { imageGrid, lineChart, scatterPlot } from '../../src/eval/plot.js';
import { lineChartSpec, scatterSpec } from '../../src/eval/chart_specs.js';
import { evalChartSpec, lossChartSpec } from '../../src/eval/run_charts.js';
import { compileChart } from '../../src/eval/render.js';

type Layer = { mark: { type: string; invalid?: string }; encoding: Record<string, { field?: string; scale?: { type?: string; domain?: unknown } }> };
type Spec = { data: { values: Record<string, unknown>[] }; layer: Layer[]; title?: unknown; encoding?: Layer['encoding'] };

describe('chart specs (Vega-Lite)', () => {
  it('puts every series in the data, breaks lines at NaN and draws bands', () => {
    const s = lineChartSpec([{ name: 'lcss', x: [0, 10, 20], y: [1, NaN, 0.5], lo: [0.8, 0.7, 0.4], hi: [1.2, 1.1, 0.6] }, { name: 'dsm', y: [2, 2] }], { logY: true, title: 't' }) as unknown as Spec;
    expect(s.data.values.filter((r) => r.series === 'lcss').map((r) => r.y)).toEqual([1, null, 0.5]);
    expect(s.data.values.filter((r) => r.series === 'dsm').map((r) => r.x)).toEqual([0, 1]);
    expect(s.layer.map((l) => l.mark.type)).toEqual(['area', 'line']);
    expect(s.layer[1].mark.invalid).toBe('break-paths-show-domains');
    expect(s.layer[1].encoding.y.scale!.type).toBe('log');
    expect(s.layer[0].encoding.y2.field).toBe('hi');
  });

  it('keeps scatter points inside the window and says how many fell outside', () => {
    const t = lc.tensor([[0, 0], [2, -2], [10, 10]]);
    const s = scatterSpec({ points: t }, { title: 'x' }) as unknown as Spec & { title: { subtitle: string } };
    t.dispose();
    expect(s.data.values.map((r) => [r.x, r.y])).toEqual([[0, 0], [2, -2]]);
    expect(s.title.subtitle).toBe('1 outside the window');
    expect(s.encoding!.x.scale!.domain).toEqual([-4, 4]);
  });

  it('rejects malformed input naming the function', () => {
    expect(() => lineChartSpec([])).toThrow(/lineChart: argument 'series'/);
    expect(() => lineChartSpec({ x: [1, 2], y: [1] })).toThrow(/2 x values and 1 y values/);
    expect(() => lineChartSpec({ y: [1, 2] }, { logY: true, yRange: [0, 1] })).toThrow(/yRange.*lo > 0/);
    expect(() => lineChartSpec({ y: [1, 2], lo: [0, 1] })).toThrow(/both lo and hi/);
    expect(() => lineChartSpec({ y: [1, 2] }, { width: 3 })).toThrow(/width/);
    expect(() => scatterSpec({ points: [1, 2, 3] })).toThrow(/flat array of x, y pairs/);
    expect(() => scatterSpec({ points: [0, 0] }, { alpha: 0 })).toThrow(/alpha/);
    expect(() => lc.eval.lineChartSpec([])).toThrow(/^lineChart|lineChartSpec/);
  });

  it('charts runs from metrics records: a curve per run, eval metrics faceted', async () => {
    const a = { name: 'a', records: [{ step: 1, loss: -1 }, { step: 2, loss: -2 }, { step: 2, eval: { mmd2: 0.1, nfe: 10 } }] };
    const b = { name: 'b', records: [{ step: 1, loss: 3 }] };
    const loss = lossChartSpec([a, b]) as unknown as Spec;
    expect(loss.data.values.map((r) => [r.series, r.x, r.y])).toEqual([['a', 1, -1], ['a', 2, -2], ['b', 1, 3]]);
    const ev = evalChartSpec([a, b]) as unknown as Spec;
    expect(ev.data.values).toEqual([{ run: 'a', step: 2, metric: 'mmd2', value: 0.1 }]);
    // both compile to Vega (what the dashboard's page draws)
    expect((await compileChart(loss as never)).marks?.length).toBeGreaterThan(0);
    expect((await compileChart(ev as never)).marks?.length).toBeGreaterThan(0);
  });
});

describe('rendered charts', () => {
  it('renders a line chart with axes, legend and text to a PNG', async () => {
    const p = await lineChart([{ name: 'lcss', y: [3, 2, 1] }, { name: 'dsm', y: [2, 2, 2] }], { width: 300, height: 200, title: 'loss', xLabel: 'step', yLabel: 'value' });
    const img = decodePng(p.png);
    expect([img.width, img.height]).toEqual([p.width, p.height]);
    expect(p.width).toBeGreaterThan(300); // plot area + axes + legend
    expect(p.svg).toMatch(/<text[^>]*>lcss<\/text>/); // legend entry
    expect(p.svg).toMatch(/>step</);
    // not a blank image: white background and some dark (text, axes) pixels
    let dark = 0;
    for (let i = 0; i < img.rgba.length; i += 4) if (img.rgba[i] < 100 && img.rgba[i + 1] < 100 && img.rgba[i + 2] < 100) dark++;
    expect(img.rgba.slice(0, 3)).toEqual(new Uint8Array([255, 255, 255]));
    expect(dark).toBeGreaterThan(200);
  });

  it('renders a scatter plot without leaking tensors', async () => {
    const start = lc.numTensors();
    const t = lc.tensor([[0, 0], [1, 1]]);
    const p = await scatterPlot({ points: t }, { width: 200, height: 200 });
    t.dispose();
    expect(lc.numTensors()).toBe(start);
    expect(p.svg).toMatch(/<path/);
    expect(decodePng(p.png).width).toBe(p.width);
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
