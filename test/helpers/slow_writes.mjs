// SPDX-License-Identifier: MIT
// Preloaded (node --import) by the crash-safety tests: while globalThis.lcssSlowWritesMs is set,
// every fs.writeSync pauses that long after writing, so a test can kill a writer in the middle of
// a file. The production writer has no test hook; this replaces the builtin for the child only.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const original = fs.writeSync;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
fs.writeSync = function slowWriteSync(...args) {
  const r = original.apply(this, args);
  const ms = Number(globalThis.lcssSlowWritesMs ?? process.env.LCSS_SLOW_WRITES_MS ?? 0);
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
  return r;
};
syncBuiltinESMExports();
