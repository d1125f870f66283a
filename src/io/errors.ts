// SPDX-License-Identifier: MIT
// Errors for data files: every message names the reader, the file, the byte offset where the
// problem was found, what the format expects there and what the file holds instead, so a broken
// download can be located with a hex dump.
import { readFileSync, statSync } from 'node:fs';
import { argError, LcssError } from '../errors.js';

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

/**
 * Reads a whole file for the reader `fn`: a missing file, a directory, a FIFO or any other
 * unreadable path is a DataFormatError naming it (never a raw fs error, and never a read that
 * blocks on a pipe), so the CLI can print one line for a user's mistake.
 */
export function readDataFile(fn: string, file: unknown): Buffer {
  if (typeof file !== 'string' || !file) throw argError(fn, 'file', file, 'a file path');
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataFormatError(`${fn}: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, file, -1);
  }
  if (st.isDirectory()) throw new DataFormatError(`${fn}: ${file} is a directory, expected a file`, file, -1);
  if (!st.isFile()) throw new DataFormatError(`${fn}: ${file} is not a regular file (a FIFO, socket or device)`, file, -1);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataFormatError(`${fn}: cannot read ${file}: ${(e as Error).message}`, file, -1);
  }
}
