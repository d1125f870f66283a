// SPDX-License-Identifier: MIT
// Crash-safe file replacement: write a temp file in the target's directory, fsync it, rename it
// over the target (atomic on POSIX within one filesystem), then fsync the directory so the rename
// itself is durable. A crash at any point leaves either the old file or the complete new one under
// the target name, plus at worst a stray temp file, which carries the writer's pid so a later
// writer can tell it is orphaned.
import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileError } from '../errors.js';

const TMP = /^\.(.+)\.tmp-(\d+)-[0-9a-f]+$/;

/** The temp name used for `target` by this process. */
export function tempPathFor(target: string): string {
  const rnd = Math.floor(Math.random() * 0xffffffff).toString(16);
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${rnd}`);
}

/** Whether a file name is one of our temp files (and of which target and writer pid). */
export function parseTempName(name: string): { target: string; pid: number } | null {
  const m = TMP.exec(name);
  return m ? { target: m[1], pid: Number(m[2]) } : null;
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    // some filesystems (and Windows) refuse fsync on directories; the rename is still atomic there
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Writes `target` atomically: `write(fd)` fills a fresh temp file, which is then fsynced, renamed
 * over `target`, and the directory fsynced. On any error the temp file is removed.
 */
export function atomicWrite(target: string, write: (fd: number, tempPath: string) => void, fn = 'atomicWrite'): void {
  const tmp = tempPathFor(target);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw fileError(fn, target, e);
  }
  let closed = false;
  try {
    write(fd, tmp);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, target);
  } catch (e) {
    if (!closed) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw (e as NodeJS.ErrnoException)?.syscall ? fileError(fn, target, e) : e;
  }
  fsyncDir(dirname(target));
}

/** A system error met writing `target`, as a FileError naming the function the user called. */
export function fileError(fn: string, target: string, e: unknown): FileError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why: Record<string, string> = {
    ENOENT: `the folder ${dirname(target)} does not exist`,
    ENOTDIR: `${dirname(target)} is not a folder`,
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOSPC: 'no space left on the device',
    EROFS: 'the filesystem is read-only',
    EISDIR: `${target} is a folder`,
  };
  return new FileError(`${fn}: cannot write ${target}: ${(code && why[code]) ?? (e as Error)?.message ?? String(e)}`, target, code);
}

/** Replaces `target` atomically with `data` (a string is written as UTF-8). */
export function atomicWriteFile(target: string, data: string | Uint8Array, fn = 'atomicWriteFile'): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  atomicWrite(target, (fd) => {
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
  }, fn);
}

/**
 * Checks, before any work, that `target` could be written: its folder exists, is a folder, and is
 * writable. Commands that compute for minutes and then save call this first.
 */
export function checkWritable(fn: string, target: string): void {
  try {
    const st = statSync(dirname(target));
    if (!st.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    accessSync(dirname(target), constants.W_OK);
    if (existsSync(target) && statSync(target).isDirectory()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
  } catch (e) {
    throw fileError(fn, target, e);
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Removes temp files in `dir` left by writers that are no longer running; returns their names. */
export function removeOrphanTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const t = parseTempName(name);
    if (!t || alive(t.pid)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      /* raced with another cleaner */
    }
  }
  return removed;
}
