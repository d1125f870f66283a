// SPDX-License-Identifier: MIT
// Errors for data files: every message names the reader, the file, the byte offset where the
// problem was found, what the format expects there and what the file holds instead, so a broken
// download can be located with a hex dump.
import { LcssError } from '../errors.js';

/** A data or checkpoint file that does not follow its format (bad magic, truncated, bad header). */
export class DataFormatError extends LcssError {
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Builds a DataFormatError: "<fn>: <file> at byte <offset>: expected <expected>, got <got>". */
export function formatError(fn: string, file: string, offset: number, expected: string, got: string): DataFormatError {
  return new DataFormatError(`${fn}: ${file} at byte ${offset}: expected ${expected}, got ${got}`, file, offset);
}
