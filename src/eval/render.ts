// SPDX-License-Identifier: MIT
// Charts are drawn by libraries, not by lcss: Vega-Lite compiles a spec to Vega, Vega lays it out
// and writes SVG headlessly (no canvas, no browser), and resvg (a Rust SVG renderer shipped as a
// prebuilt binary in a platform package on npm) turns the SVG into a PNG with anti-aliased text
// from the system's fonts. Chosen over canvas-based stacks (node-canvas needs Cairo and a native
// build; chart.js needs a canvas) and browser screenshots (hundreds of MB): vega + vega-lite are
// ~12 MB of plain JavaScript and resvg ~4 MB, all installed offline from the npm registry, and the
// same specs run unchanged in the dashboard's browser page. Loaded on first use, so commands that
// draw nothing do not pay for them.
import type { Spec as VegaSpec } from 'vega';
import { argError, ArgumentError } from '../errors.js';
import type { ChartSpec } from './chart_specs.js';

/** Vega-Lite → Vega (what the dashboard's page hands to vega in the browser). */
export async function compileChart(spec: ChartSpec, fn = 'compileChart'): Promise<VegaSpec> {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw argError(fn, 'spec', spec, 'a Vega-Lite specification object');
  const vl = await import('vega-lite');
  // warnings (an option Vega-Lite drops) are not the user's concern: a quiet logger
  const quiet = { level: () => quiet, warn: () => quiet, info: () => quiet, debug: () => quiet, error: (...m: unknown[]) => { throw new Error(String(m[0])); } };
  try {
    return vl.compile(spec, { logger: quiet as never }).spec;
  } catch (e) {
    throw new ArgumentError(`${fn}: argument 'spec' is not a Vega-Lite specification Vega-Lite can compile (${(e as Error)?.message ?? String(e)})`);
  }
}

/** The chart as an SVG document. */
export async function chartSvg(spec: ChartSpec, fn = 'renderChart'): Promise<string> {
  const vega = await import('vega');
  const compiled = await compileChart(spec, fn);
  let view;
  try {
    view = new vega.View(vega.parse(compiled), { renderer: 'none' });
    return await view.toSVG();
  } catch (e) {
    throw new ArgumentError(`${fn}: argument 'spec' compiles but Vega cannot draw it (${(e as Error)?.message ?? String(e)})`);
  } finally {
    view?.finalize();
  }
}

/** An SVG document as PNG bytes (scale 2 for high-density screens), on white. */
export async function svgToPng(svg: string, scale = 1): Promise<{ png: Buffer; width: number; height: number }> {
  const { Resvg } = await import('@resvg/resvg-js');
  const img = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true } }).render();
  return { png: img.asPng(), width: img.width, height: img.height };
}
