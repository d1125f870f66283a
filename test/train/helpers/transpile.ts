// SPDX-License-Identifier: MIT
// Builds a runnable JS copy of src/ for child processes (Node 20 cannot run .ts): every file is
// transpiled on its own (no type check) into a temp dir that also gets {"type":"module"} and an
// empty native/ folder, so src/native.ts finds a package root there and loads the addon named by
// LCSS_ADDON (the real build/Release/lcss.node).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const addonPath = join(repoRoot, 'build', 'Release', 'lcss.node');

function walk(dir: string, out: string[]): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Transpiles src/** into outDir/src/** and returns outDir. */
export function transpileSrc(outDir: string): string {
  const src = join(repoRoot, 'src');
  for (const f of walk(src, [])) {
    const js = ts.transpileModule(readFileSync(f, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: f,
    }).outputText;
    const dest = join(outDir, 'src', relative(src, f)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  mkdirSync(join(outDir, 'native'), { recursive: true });
  return outDir;
}
