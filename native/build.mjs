#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm install` hook: builds the addon into build/Release/lcss.node.
//  - CMake found: cmake-js with Node-API headers from node_modules (no download), CUDA backend
//    when nvcc is found (LCSS_CUDA=0 turns it off, LCSS_CUDA=1 makes a missing nvcc an error).
//    The MPI transport of distributed training when an MPI library is found (LCSS_MPI=0 turns it
//    off, LCSS_MPI=1 makes a missing one an error).
//  - no CMake: node-gyp (the copy bundled with npm) builds the CPU backend from binding.gyp.
// LCSS_BUILD_JOBS sets build parallelism (default: number of CPUs).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const jobs = process.env.LCSS_BUILD_JOBS || String(Math.max(1, cpus().length));

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function run(cmd, args, env = {}) {
  console.log(`[lcss] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function findNvcc() {
  for (const c of [process.env.CUDACXX, which('nvcc'), '/usr/local/cuda/bin/nvcc']) if (c && existsSync(c)) return c;
  return null;
}

// node-gyp: the one npm points lifecycle scripts at, else the copy bundled inside npm itself.
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npm = which('npm');
  if (npm) {
    const r = spawnSync('node', ['-p', "require.resolve('node-gyp/bin/node-gyp.js', {paths:[require('path').join(require('fs').realpathSync(process.argv[1]),'../..')]})", npm], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return 'node-gyp';
}

const want = (process.env.LCSS_CUDA ?? '').toLowerCase();
const cudaFlag = want === '0' || want === 'off' ? 'OFF' : want === '1' || want === 'on' ? 'ON' : 'AUTO';
const nvcc = cudaFlag === 'OFF' ? null : findNvcc();
if (cudaFlag === 'ON' && !nvcc) {
  console.error('[lcss] LCSS_CUDA=1 but nvcc was not found (set CUDACXX or put nvcc on PATH)');
  process.exit(1);
}

let ok = false;
if (which('cmake')) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [cmakeJs, 'compile', '--out', 'build', '--parallel', jobs, '--CDLCSS_CUDA=' + cudaFlag, '--log-level', 'warn'];
  if (nvcc) args.push('--CDCMAKE_CUDA_COMPILER=' + nvcc);
  if (process.env.LCSS_CUDA_ARCHS) args.push('--CDCMAKE_CUDA_ARCHITECTURES=' + process.env.LCSS_CUDA_ARCHS);
  const mpi = (process.env.LCSS_MPI ?? '').toLowerCase();
  args.push('--CDLCSS_MPI=' + (mpi === '0' || mpi === 'off' ? 'OFF' : mpi === '1' || mpi === 'on' ? 'ON' : 'AUTO'));
  if (process.env.LCSS_SANITIZE) args.push('--CDLCSS_SANITIZE=' + process.env.LCSS_SANITIZE);
  ok = run(process.execPath, args);
  if (!ok) console.error('[lcss] the CMake build failed; trying node-gyp (CPU backend only)');
}
if (!ok) {
  // Headers from the machine's Node (npm's nodedir), never downloaded.
  const nodedir = process.env.npm_config_nodedir || dirname(dirname(process.execPath));
  const gypArgs = [nodeGyp(), 'rebuild', `-j${jobs}`];
  if (existsSync(join(nodedir, 'include', 'node', 'node.h'))) gypArgs.push(`--nodedir=${nodedir}`);
  ok = run(process.execPath, gypArgs);
}
if (!ok || !existsSync(join(root, 'build', 'Release', 'lcss.node'))) {
  console.error('[lcss] could not build the native addon (need g++ and either CMake or node-gyp)');
  process.exit(1);
}
