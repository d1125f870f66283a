// SPDX-License-Identifier: MIT
// Data parallelism with the model on a CUDA device: 2 MPI ranks end on the parameters one process
// reaches on the CPU, with the gradients staged through the host (no NCCL) and through the NCCL
// transport. On a machine without a GPU, CI runs this on the CPU emulator of the CUDA runtime
// (LCSS_ADDON=build-emu/...), where NCCL is native/cuda/emu/fake_nccl.c: NCCL's entry points carried
// out by MPI on the emulator's (host) memory, which checks what the addon passes to NCCL.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_CUDA, SKIP_REASON } from '../../checks/cuda/helpers.js';
import { native } from '../../src/native.js';

const root = new URL('../../', import.meta.url).pathname;
const fixture = join(root, 'test/distributed/fixtures/ddp_f64.mjs');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
const mpi = has('mpirun') && native.distInfo().mpi;
const emulated = /emu/i.test(HAVE_CUDA ? String(native.cudaStatus()) : '') || !!process.env.LCSS_ADDON?.includes('build-emu');
const dir = mkdtempSync(join(tmpdir(), 'lcss-cuda-dist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Out {
  device: string;
  transport: string;
  params: number[][];
  stderr: string;
}

function run(np: number, device: string, extra: Record<string, string> = {}): Out {
  const env = { ...process.env, DEVICE: device, LCSS_NUM_THREADS: '1', OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', ...extra };
  const pass = ['DEVICE', 'LCSS_ADDON', ...Object.keys(extra)].flatMap((k) => ['-x', k]);
  const cmd = np ? ['mpirun', '-np', String(np), ...pass, process.execPath, fixture] : [process.execPath, fixture];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env, timeout: 120_000 });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return { ...JSON.parse(r.stdout.split('\n')[0]), stderr: r.stderr };
}

function worst(a: number[][], b: number[][]): number {
  let w = 0;
  a.forEach((p, i) => p.forEach((v, j) => (w = Math.max(w, Math.abs(v - b[i][j])))));
  return w;
}

describe.skipIf(!HAVE_CUDA || !mpi)(`data-parallel on a CUDA device${SKIP_REASON}${mpi ? '' : ' [skipped: no MPI]'}`, () => {
  it('2 ranks with the model on cuda, gradients staged through the host: the CPU parameters of one process', () => {
    const one = run(0, 'cpu'), two = run(2, 'cuda', { LCSS_NCCL: '0' });
    expect(two.device).toMatch(/^cuda/);
    expect(two.transport).toMatch(/staged on the host/);
    expect(worst(one.params, two.params)).toBeLessThan(1e-12);
  });

  it.skipIf(!emulated || !has('mpicc'))('2 ranks through the NCCL transport (the emulator\'s stand-in): the same parameters, every collective through it', () => {
    const so = join(dir, 'fake_nccl.so');
    const cc = spawnSync('mpicc', ['-O2', '-shared', '-fPIC', '-o', so, join(root, 'native/cuda/emu/fake_nccl.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    // the stand-in reads device memory from host code, which the emulator otherwise traps
    const one = run(0, 'cpu'), two = run(2, 'cuda', { LCSS_NCCL_LIB: so, LCSS_EMU_PROTECT: '0' });
    expect(two.transport).toBe('nccl');
    // 6 steps of one bucket, plus the parameter broadcast
    expect(two.stderr).toMatch(/fake nccl: rank 0 ran 7 collectives/);
    expect(two.stderr).toMatch(/fake nccl: rank 1 ran 7 collectives/);
    expect(worst(one.params, two.params)).toBeLessThan(1e-12);
  });

  it('ranks on a machine with several GPUs take one each (cuda:localRank mod GPUs); other devices are kept', () => {
    const probe = `import { rankDevice } from ${JSON.stringify(join(root, 'dist/src/train/data_parallel.js'))};
      const env = (l) => ({ OMPI_COMM_WORLD_RANK: l, OMPI_COMM_WORLD_SIZE: '3', OMPI_COMM_WORLD_LOCAL_RANK: l });
      console.log(JSON.stringify([rankDevice('cuda', env('0')), rankDevice('cuda', env('1')), rankDevice('cuda:0', env('2')), rankDevice('cuda:1', env('0')), rankDevice('cpu', env('1')), rankDevice('cuda', {})].map(String)));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', env: { ...process.env, LCSS_EMU_DEVICES: '2' } });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    // with one visible GPU (a real single-GPU machine) every rank stays on it
    const two = native.cudaDeviceCount() > 1 || emulated;
    expect(got).toEqual(two ? ['cuda:0', 'cuda:1', 'cuda:0', 'cuda:1', 'cpu', 'cuda:0'] : ['cuda:0', 'cuda:0', 'cuda:0', 'cuda:1', 'cpu', 'cuda:0']);
  });
});
