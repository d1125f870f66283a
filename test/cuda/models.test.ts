// SPDX-License-Identifier: MIT
// checks/cuda/checks_models.ts under vitest (the GPU check script runs the same suites).
import { modelSuites } from '../../checks/cuda/checks_models.js';
import { register } from './register.js';

register(modelSuites());
