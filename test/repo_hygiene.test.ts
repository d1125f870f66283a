// SPDX-License-Identifier: MIT
// Comments and code must point only at what a clone of this repository has: a reader (or a user
// of the npm package) cannot follow a reference to a design document or a folder that lived next
// to the repository on one machine. This scans the source files of src/, native/, bench/, test/
// and .ci/ for paths into a sibling "shared" folder, for "STYLE <n>"-style rule numbers of an
// outside guide, and for *.md names that no file of the repository has.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCANNED = ['src', 'native', 'bench', 'test', '.ci'];
const SOURCE_EXT = new Set(['.ts', '.mts', '.js', '.mjs', '.cjs', '.cc', '.c', '.h', '.hpp', '.cpp', '.cu', '.cuh', '.py', '.sh', '.gyp', '.cmake']);
/** Build outputs and installed packages: not ours to check. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.device', 'runs']);
/** *.md names the code writes as outputs (the Checkerboard study's table), not documents it cites. */
const WRITTEN_MD = new Set(['results.md']);

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name) || name.startsWith('build')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, keep, out);
    else if (keep(p)) out.push(p);
  }
  return out;
}

/** A source file: a known extension, or an extension-less script under .ci/. */
const isSource = (p: string) => SOURCE_EXT.has(extname(p)) || (extname(p) === '' && relative(root, p).startsWith('.ci'));

const mdFiles = walk(root, (p) => p.endsWith('.md'));
const mdNames = new Set(mdFiles.map((p) => basename(p)));

/** Whether an *.md reference made in `file` names a document the repository has. */
function mdExists(ref: string, file: string): boolean {
  if (WRITTEN_MD.has(ref)) return true;
  if (!ref.includes('/')) return mdNames.has(ref);
  // a path: from the repository root or from the citing file's folder
  return existsSync(join(root, ref)) || existsSync(join(dirname(file), ref));
}

export function problemsIn(file: string, text: string): string[] {
  const out: string[] = [];
  const rel = relative(root, file);
  text.split('\n').forEach((line, i) => {
    const at = `${rel}:${i + 1}`;
    if (/\.\.\/shared\b|\bshared\/(docs|peers|device)\b/.test(line)) out.push(`${at}: points outside the repository: ${line.trim()}`);
    if (/\bSTYLE \d+\b/.test(line)) out.push(`${at}: cites a numbered rule of an outside guide (use docs/STYLE.md): ${line.trim()}`);
    for (const m of line.matchAll(/(?:[\w.-]+\/)*[\w-]+\.md\b/g)) {
      const ref = m[0].replace(/^\.\//, '');
      if (!mdExists(ref, file)) out.push(`${at}: cites ${ref}, which is not in the repository`);
    }
  });
  return out;
}

describe('repository hygiene', () => {
  it('the checker catches what it is meant to', () => {
    const f = join(root, 'src', 'x.ts');
    expect(problemsIn(f, '// see ../shared/peers/torch_peer.py')).toHaveLength(1);
    expect(problemsIn(f, '// (STYLE 7)')).toHaveLength(1);
    expect(problemsIn(f, '// SCORE_MATCHING.md section 1')).toHaveLength(1);
    expect(problemsIn(f, '// docs/NOPE.md')).toHaveLength(1);
    expect(problemsIn(f, '// docs/OBJECTIVES.md, section 3; bench/RESULTS.md; README.md')).toEqual([]);
  });

  it('source files cite only documents and paths the repository has', () => {
    // this file names the forbidden patterns in its self-check, so it is left out
    const self = fileURLToPath(import.meta.url);
    const files = SCANNED.flatMap((d) => walk(join(root, d), isSource)).filter((f) => resolve(f) !== resolve(self));
    expect(files.length).toBeGreaterThan(100);
    const problems = files.flatMap((f) => problemsIn(f, readFileSync(f, 'utf8')));
    expect(problems.join('\n')).toBe('');
  });
});
