// SPDX-License-Identifier: MIT
// lc.distributed: data-parallel training across processes (MPI), see process_group.ts and ddp.ts.
export { abort, allReduce, barrier, broadcast, broadcastObject, currentWorld, finalize, init, isInitialized, rank, worldSize } from './process_group.js';
export type { AllReduceOptions, InitOptions, World } from './process_group.js';
export { DistributedDataParallel } from './ddp.js';
export type { DataParallelOptions, DataParallelStats } from './ddp.js';
export { detectLaunch } from './launcher.js';
export type { Launch } from './launcher.js';
