#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The `lcss` executable (package.json "bin").
import { runCli } from './main.js';

runCli();
