// SPDX-License-Identifier: MIT
// checks/cuda/checks_kernels.ts under vitest (the GPU check script runs the same suites).
import { kernelSuites } from '../../checks/cuda/checks_kernels.js';
import { register } from './register.js';

register(kernelSuites());
