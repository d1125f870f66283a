// SPDX-License-Identifier: MIT
// The op case table on CUDA vs the CPU backend (checks/cuda/checks_table.ts), skipped with the reason
// in the title where no CUDA device is available (CI has no GPU; a development build on the CPU
// emulator runs it, see native/cuda/emu). Inputs are fresh each run unless LCSS_TEST_SEED pins them
// (the seed is in every failure message).
import { tableSuites } from '../../checks/cuda/checks_table.js';
import { register } from './register.js';

register(tableSuites(Number(process.env.LCSS_TEST_SEED ?? Math.floor(Math.random() * 1e6))));
