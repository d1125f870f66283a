// SPDX-License-Identifier: MIT
// Data parallelism with the model on a CUDA device: 2 MPI ranks end on the parameters one process
// reaches on the CPU. On a machine without a GPU, CI runs this on the CPU emulator of the CUDA
// runtime (LCSS_ADDON=build-emu/...): the device copies of the MPI transport's staging path run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_CUDA, SKIP_REASON } from '../../checks/cuda/helpers.js';
import { native } from '../../src/native.js';

const root = new URL('../../', import.meta.url).pathname;
const fixture = join(root, 'test/distributed/fixtures/ddp_f64.mjs');
const mpi = spawnSync('sh', ['-c', 'command -v mpirun'], { encoding: 'utf8' }).status === 0 && native.distInfo().mpi;

function run(np: number, device: string): { device: string; params: number[][] } {
  const env = { ...process.env, DEVICE: device, LCSS_NUM_THREADS: '1', OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
  const cmd = np ? ['mpirun', '-np', String(np), '-x', 'DEVICE', '-x', 'LCSS_ADDON', process.execPath, fixture] : [process.execPath, fixture];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env, timeout: 120_000 });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout.split('\n')[0]);
}

describe.skipIf(!HAVE_CUDA || !mpi)(`data-parallel on a CUDA device${SKIP_REASON}${mpi ? '' : ' [skipped: no MPI]'}`, () => {
  it('2 ranks with the model on cuda end on the CPU parameters of one process', () => {
    const one = run(0, 'cpu'), two = run(2, 'cuda');
    expect(two.device).toMatch(/^cuda/);
    let worst = 0;
    one.params.forEach((p, i) => p.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - two.params[i][j])))));
    expect(worst).toBeLessThan(1e-12);
  });
});
