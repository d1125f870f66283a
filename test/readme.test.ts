// SPDX-License-Identifier: MIT
// Every ```ts example of README.md must compile under `strict` against this package's src: a
// reader copies them as they are, so a type error there is a bug in the library's types or in
// the README. A block preceded by `<!-- no-typecheck: reason -->` is skipped (and must say why).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Example {
  line: number;
  code: string;
  skip: string | null;
}

/** The ```ts blocks of a markdown text, with the line each starts on and any no-typecheck reason. */
export function tsBlocks(markdown: string): Example[] {
  const out: Example[] = [];
  const re = /(?:<!--\s*no-typecheck:\s*([^>]*?)\s*-->\s*\n)?```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    const line = markdown.slice(0, m.index).split('\n').length + (m[1] === undefined ? 0 : 1);
    out.push({ line, code: m[2], skip: m[1] ?? null });
  }
  return out;
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = tsBlocks(readme);
const work = mkdtempSync(join(tmpdir(), 'lcss-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('README examples', () => {
  it('finds ts blocks, their lines, and the no-typecheck marker right above a block', () => {
    const md = 'a\n```ts\nconst x = 1;\n```\n<!-- no-typecheck: a fragment -->\n```ts\nfoo(\n```\n```sh\nls\n```\n';
    expect(tsBlocks(md)).toEqual([
      { line: 2, code: 'const x = 1;\n', skip: null },
      { line: 6, code: 'foo(\n', skip: 'a fragment' },
    ]);
  });

  it('has examples to check, and every skipped one gives a reason', () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) if (e.skip !== null) expect(e.skip, `README.md:${e.line}`).not.toBe('');
  });

  it('every ```ts block type-checks with strict: true against src/', () => {
    const index = join(root, 'src', 'index.js'); // NodeNext maps .js to the .ts source
    const files = examples.filter((e) => e.skip === null).map((e) => {
      // .mts: an ES module wherever it lies, so the examples' top-level await is allowed
      const file = join(work, `readme-line-${e.line}.mts`);
      writeFileSync(file, e.code.replace(/from\s+(['"])lcss\1/g, `from ${JSON.stringify(index)}`));
      return { file, line: e.line };
    });
    const program = ts.createProgram(files.map((f) => f.file), {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    });
    const lineOf = new Map(files.map((f) => [f.file, f.line]));
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return `TS${d.code}: ${msg}`;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      const block = lineOf.get(resolve(d.file.fileName));
      // a README line when the error is in an example (+1: the block's first line follows the fence)
      const where = block !== undefined ? `README.md:${block + 1 + line}:${character + 1}` : `${d.file.fileName}:${line + 1}:${character + 1}`;
      return `${where} TS${d.code}: ${msg}`;
    });
    expect(problems.join('\n\n')).toBe('');
  });
});
