// SPDX-License-Identifier: MIT
// test/cuda/checks_models.ts under vitest (the GPU check script runs the same suites).
import { modelSuites } from './checks_models.js';
import { register } from './register.js';

register(modelSuites());
