// SPDX-License-Identifier: MIT
// The module graph of src/, read from the source text: no import cycles, no library module that
// reaches into bench/, test/ or checks/ (none of which ship), the layers below import only layers
// below them, and modules above the ops layer reach ops through its entry (src/ops/index.ts, which
// links the op families and installs the Tensor methods).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

// The layers of src/, lowest first: a module may import its own layer and the layers before it,
// never one after it. An entry is a folder of src/ ('tensor/') or a file directly in src/.
//   base      errors, the native binding, the public-boundary guard, the kernel profiler and
//             float64 linear algebra: they import nothing of the library but each other
//   tensor    Tensor, its storage, its graph node and the tidy scopes
//   autograd  recording and running the graph (the few ops it runs are bound by the ops entry)
//   ops       every op, as functions and as Tensor methods
//   io        files: safetensors, atomic writes, PNG, data-format errors
//   then the diffusion stack from layers and optimisers up to training, the Checkerboard study,
//   the package entry (index.ts), the benchmarks users run (lcss bench) and the command line.
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'native.ts', 'native_kernels.gen.ts', 'api.ts', 'profile.ts', 'linalg/'],
  ['tensor/', 'score_types.ts'],
  ['autograd/'],
  ['ops/'],
  ['io/'],
  ['nn/'],
  ['optim/'],
  ['distributed/'],
  ['sde/'],
  ['models/'],
  ['losses/'],
  ['sampling/'],
  ['likelihood/'],
  ['data/'],
  ['eval/'],
  ['train/'],
  ['study/'],
  ['dashboard/'],
  ['index.ts'],
  ['bench/'],
  ['cli/'],
];

interface Edge {
  from: string; // path relative to the repository root, e.g. src/ops/binary.ts
  to: string;
  spec: string; // as written
  typeOnly: boolean; // erased by tsc: can shape no load order, but still a dependency
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

// import ... from './x.js', export ... from './x.js', import './x.js', import('./x.js'); relative only
const IMPORT = /^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const out: Edge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4] ?? m[5];
    const names = (m[2] ?? '').trim();
    // `import type {...}`, or braces where every name is `type X`
    const typeOnly = !!m[1] || (/^\{[^}]*\}$/.test(names) && names.slice(1, -1).split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type ')));
    const to = relative(root, normalize(join(dirname(file), spec))).replace(/\.js$/, '.ts');
    out.push({ from: relative(root, file), to, spec, typeOnly });
  }
  return out;
}

const files = tsFiles(src).map((f) => relative(root, f)).sort();
const edges = tsFiles(src).flatMap(edgesOf);

/** 'src/ops/binary.ts' -> 'ops/', 'src/errors.ts' -> 'errors.ts' */
function unitOf(path: string): string {
  const r = relative('src', path);
  return r.includes('/') ? r.slice(0, r.indexOf('/') + 1) : r;
}
const layerOf = new Map<string, number>();
LAYERS.forEach((units, i) => units.forEach((u) => layerOf.set(u, i)));

describe('the import graph of src/', () => {
  it('is read from every module (sanity check of the parser)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.some((e) => e.from === 'src/ops/index.ts' && e.to === 'src/ops/binary.ts')).toBe(true);
    expect(edges.some((e) => e.from === 'src/tensor/scope.ts' && e.to === 'src/tensor/tensor.ts' && e.typeOnly)).toBe(true);
    // every relative import names a module that exists
    const known = new Set(files);
    expect(edges.filter((e) => e.to.startsWith('src/') && !known.has(e.to)).map((e) => `${e.from}: ${e.spec}`)).toEqual([]);
  });

  it('has no import cycle', () => {
    // Type-only imports are erased at compile time, so they cannot change the order modules load
    // in; a class and the interface of its owner may name each other (Tensor and its graph Node).
    const next = new Map<string, string[]>(files.map((f) => [f, []]));
    for (const e of edges) if (!e.typeOnly && next.has(e.to)) next.get(e.from)!.push(e.to);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const t of next.get(f)!) {
        if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].join(' -> '));
        else if (!state.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('never reaches into bench/, test/ or checks/ (they are not in the published package)', () => {
    const out = edges.filter((e) => !e.to.startsWith('src/')).map((e) => `${e.from}: ${e.spec}`);
    expect(out).toEqual([]);
  });

  it('puts every module in exactly one layer', () => {
    expect(files.filter((f) => !layerOf.has(unitOf(f)))).toEqual([]);
  });

  it('imports only downwards through the layers', () => {
    const up = edges
      .filter((e) => e.to.startsWith('src/') && layerOf.get(unitOf(e.to))! > layerOf.get(unitOf(e.from))!)
      .map((e) => `${e.from} (${unitOf(e.from)}) imports ${e.spec} (${unitOf(e.to)}, a higher layer)`);
    expect(up).toEqual([]);
  });

  it('reaches the ops from outside src/ops only through src/ops/index.ts', () => {
    // The entry binds the op families that call one another and installs the Tensor methods;
    // importing an op file directly could run an op before that happened.
    const direct = edges
      .filter((e) => e.to.startsWith('src/ops/') && e.to !== 'src/ops/index.ts' && !e.from.startsWith('src/ops/'))
      .map((e) => `${e.from}: ${e.spec}`);
    expect(direct).toEqual([]);
  });
});
