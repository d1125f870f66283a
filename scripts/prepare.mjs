// SPDX-License-Identifier: MIT
// `prepare` (npm runs it in a checkout after `npm install` / `npm ci`, and before `npm pack`; never
// when the package is installed from a tarball or the registry): makes the built CLI executable and
// links this checkout's own `lcss` command into node_modules/.bin. Without that link `npx lcss` in a
// checkout has npm read the whole dependency tree looking for a bin named lcss (~10 s on a 2-core
// machine, behind a silent spinner) before it runs the project's own; with it npx finds it at once.
// Installed packages get their bin linked by npm itself.
import { chmodSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli', 'bin.js');
chmodSync(cli, 0o755);

const bin = join(root, 'node_modules', '.bin');
const link = join(bin, 'lcss');
try {
  mkdirSync(bin, { recursive: true });
  try {
    if (lstatSync(link)) unlinkSync(link);
  } catch {
    // no link yet
  }
  symlinkSync('../../dist/src/cli/bin.js', link);
} catch (e) {
  // a file system without symlinks: npx still works, only slower
  console.warn(`[lcss] could not link node_modules/.bin/lcss (${e.message}); npx lcss will still work`);
}
