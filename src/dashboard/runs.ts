// SPDX-License-Identifier: MIT
// The run directories a dashboard serves, and the only ways it reads them. A request names a run
// (never a path); a file is read only when its real path, symlinks resolved, lies inside the real
// path of that run's directory, so `..`, encoded dots, absolute paths and symlinks pointing out
// of the run all end at "not found".
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { ArgumentError } from '../errors.js';

export interface DashboardRun {
  /** URL-safe name: the folder's base name, made unique */
  name: string;
  /** real path of the run directory */
  dir: string;
}

/** What a run name may look like: no separators, no dots alone, no encodings. */
export const RUN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

/** Names the run directories (base names, "-2", "-3"... on clashes); each must exist. */
export function registerRuns(fn: string, dirs: readonly string[]): DashboardRun[] {
  if (!Array.isArray(dirs) || !dirs.length) throw new ArgumentError(`${fn}: no run directory given (--run DIR, repeatable)`);
  const out: DashboardRun[] = [];
  for (const d of dirs) {
    if (typeof d !== 'string' || !d) throw new ArgumentError(`${fn}: --run got ${JSON.stringify(d)}, expected a run directory`);
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new ArgumentError(`${fn}: --run ${d} is not a directory (start a training with --out ${d} first)`);
    const dir = realpathSync(resolve(d));
    if (out.some((r) => r.dir === dir)) continue;
    let base = basename(dir).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '') || 'run';
    base = base.slice(0, 90);
    let name = base;
    for (let k = 2; out.some((r) => r.name === name); k++) name = `${base}-${k}`;
    out.push({ name, dir });
  }
  return out;
}

/**
 * The real path of `file` (a bare file name) inside the run, or null when it does not exist, is
 * not a regular file, or resolves (through a symlink) outside the run directory.
 */
export function fileInRun(run: DashboardRun, file: string): string | null {
  if (!/^[A-Za-z0-9._-]+$/.test(file) || file === '.' || file === '..') return null;
  let real: string;
  try {
    real = realpathSync(join(run.dir, file));
  } catch {
    return null;
  }
  if (!real.startsWith(run.dir + sep)) return null;
  try {
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

function readText(run: DashboardRun, file: string): string | null {
  const p = fileInRun(run, file);
  if (!p) return null;
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null; // replaced or removed between the check and the read: as if not there yet
  }
}

/**
 * The records of metrics.jsonl. The trainer appends while we read, so the last line may be cut
 * short, and a resume rewrites the file: a line that does not parse is skipped, never an error.
 */
export function readRunMetrics(run: DashboardRun): Record<string, unknown>[] {
  const text = readText(run, 'metrics.jsonl');
  if (!text) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as unknown;
      if (r && typeof r === 'object' && typeof (r as { step?: unknown }).step === 'number') out.push(r as Record<string, unknown>);
    } catch {
      /* a partial line */
    }
  }
  return out;
}

/** config.json of the run, or null (not written yet, or unreadable). */
export function readRunConfig(run: DashboardRun): Record<string, unknown> | null {
  const text = readText(run, 'config.json');
  if (!text) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The newest samples-NNNNNNN.png of the run (real path), or null. */
export function latestSample(run: DashboardRun): string | null {
  let names: string[];
  try {
    names = readdirSync(run.dir).filter((n) => /^samples-\d+\.png$/.test(n)).sort();
  } catch {
    return null;
  }
  for (let i = names.length - 1; i >= 0; i--) {
    const p = fileInRun(run, names[i]);
    if (p) return p;
  }
  return null;
}

/** A cheap fingerprint of what the page shows: changes when metrics, config or samples change. */
export function runVersion(run: DashboardRun): string {
  const parts: string[] = [];
  for (const f of ['metrics.jsonl', 'config.json', 'summary.json']) {
    const p = fileInRun(run, f);
    if (!p) {
      parts.push('-');
      continue;
    }
    try {
      const s = statSync(p);
      parts.push(`${s.size}:${s.mtimeMs}`);
    } catch {
      parts.push('-');
    }
  }
  parts.push(latestSample(run) ?? '-');
  return parts.join('|');
}

/** Summary for the run list: last step, configured steps, finished or not. */
export function runStatus(run: DashboardRun): { name: string; dir: string; step: number; steps: number | null; finished: boolean } {
  const m = readRunMetrics(run);
  const cfg = readRunConfig(run);
  const step = m.length ? Math.max(...m.map((r) => r.step as number)) : 0;
  const steps = typeof cfg?.steps === 'number' ? cfg.steps : null;
  return { name: run.name, dir: run.dir, step, steps, finished: fileInRun(run, 'summary.json') !== null && steps !== null && step >= steps };
}
