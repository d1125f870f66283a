// SPDX-License-Identifier: MIT
// checks/cuda/checks_runtime.ts under vitest (the GPU check script runs the same suites).
import { runtimeSuites } from '../../checks/cuda/checks_runtime.js';
import { register } from './register.js';

register(runtimeSuites());
