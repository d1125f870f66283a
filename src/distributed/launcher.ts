// SPDX-License-Identifier: MIT
// Which launcher started this process, and as which rank of how many, from the environment the
// launchers set. Read before touching MPI: a process that no launcher started (or one started as a
// world of one) trains alone without loading any transport, so `--distributed` is harmless on a
// laptop and on CI machines without MPI.
import { argError } from '../errors.js';

export interface Launch {
  /** mpirun (Open MPI), srun (Slurm), or a PMI launcher (MPICH's hydra, srun --mpi=pmi2) */
  launcher: 'mpirun' | 'srun' | 'pmi';
  rank: number;
  size: number;
  /** rank among the processes the launcher started on this machine, when it says */
  localRank: number | null;
}

function int(v: string | undefined): number | null {
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** The launch this process is part of, or null when no launcher started it. */
export function detectLaunch(env: NodeJS.ProcessEnv = process.env): Launch | null {
  if (env === null || typeof env !== 'object' || Array.isArray(env)) throw argError('detectLaunch', 'env', env, 'an environment object such as process.env');
  const from = (launcher: Launch['launcher'], r: string | undefined, s: string | undefined, l: string | undefined): Launch | null => {
    const rank = int(r), size = int(s);
    return rank !== null && size !== null && size >= 1 && rank < size ? { launcher, rank, size, localRank: int(l) } : null;
  };
  return from('mpirun', env.OMPI_COMM_WORLD_RANK, env.OMPI_COMM_WORLD_SIZE, env.OMPI_COMM_WORLD_LOCAL_RANK)
    ?? from('pmi', env.PMI_RANK, env.PMI_SIZE, env.MPI_LOCALRANKID)
    ?? from('srun', env.SLURM_PROCID, env.SLURM_STEP_NUM_TASKS ?? env.SLURM_NTASKS, env.SLURM_LOCALID);
}
