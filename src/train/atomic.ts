// SPDX-License-Identifier: MIT
// Crash-safe file replacement: write a temp file in the target's directory, fsync it, rename it
// over the target (atomic on POSIX within one filesystem), then fsync the directory so the rename
// itself is durable. A crash at any point leaves either the old file or the complete new one under
// the target name, plus at worst a stray temp file, which carries the writer's pid so a later
// writer can tell it is orphaned.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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
export function atomicWrite(target: string, write: (fd: number, tempPath: string) => void): void {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, 'wx', 0o644);
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
    throw e;
  }
  fsyncDir(dirname(target));
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
