// SPDX-License-Identifier: MIT
// Registers check suites (checks/cuda/checks_*.ts) with vitest: one describe per suite, one test per
// check, skipped with the reason in the title where no CUDA device is available.
import { describe, it } from 'vitest';
import { HAVE_CUDA, SKIP_REASON, type Suite } from '../../checks/cuda/helpers.js';

export function register(suites: Suite[]): void {
  // a suite can be empty here (the two-device checks on a one-device machine): vitest rejects that
  for (const suite of suites.filter((s) => s.checks.length > 0))
    describe.skipIf(!HAVE_CUDA)(`${suite.name}${SKIP_REASON}`, () => {
      for (const c of suite.checks) it(c.name, c.run);
    });
}
