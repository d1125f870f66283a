// SPDX-License-Identifier: MIT
// Progress for humans: on a TTY, log lines stay and a single bar line (step, loss, it/s, ETA)
// is redrawn under them; log lines alone otherwise (CI logs, files). The bar is erased, not left
// behind, before each log line, so a terminal shows one line per logged step, as a log file does.
import { argError, checkFinite, checkInt, checkOptions } from '../errors.js';

export function formatDuration(s: number): string {
  if (typeof s !== 'number') throw argError('formatDuration', 'seconds', s, 'a number');
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** force the plain-line mode */
  plain?: boolean;
  quiet?: boolean;
  /** what is counted (default 'step'; sampling says 'sampler step') */
  label?: string;
  /** show the loss on the bar (default true; false for sampling, which has none) */
  showLoss?: boolean;
}

export class Progress {
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private last = 0;
  private lineOpen = false;

  constructor(readonly total: number, private readonly o: ProgressOptions = {}) {
    checkInt('Progress', 'total', total, 1);
    checkOptions('Progress', 'options', o);
    this.o = o ?? {};
    this.out = this.o.stream ?? process.stderr;
    if (typeof (this.out as { write?: unknown })?.write !== 'function') throw argError('Progress', 'stream', this.out, 'a writable stream');
    this.tty = !o.plain && !!this.out.isTTY;
  }

  /** Redraws the bar (at most 10 times a second) on a TTY; no-op otherwise. */
  update(step: number, loss: number, itPerSec: number): void {
    checkFinite('Progress.update', 'step', step, { min: 0 });
    if (this.o.quiet || !this.tty) return;
    const now = Date.now();
    if (now - this.last < 100 && step < this.total) return;
    this.last = now;
    const width = 24;
    const done = Math.round((width * step) / this.total);
    const eta = itPerSec > 0 ? (this.total - step) / itPerSec : NaN;
    const loss_ = this.o.showLoss === false ? '' : ` loss ${fmt(loss)} |`;
    const line = `${this.o.label ?? 'step'} ${step}/${this.total} [${'='.repeat(done)}${done < width ? '>' : ''}${' '.repeat(Math.max(0, width - done - 1))}]${loss_} ${itPerSec.toFixed(1)} it/s | ETA ${formatDuration(eta)}`;
    this.out.write(`\r${line}\x1b[K`);
    this.lineOpen = true;
  }

  /** A log line (closes the bar's line first on a TTY). */
  log(line: string): void {
    if (typeof line !== 'string') throw argError('Progress.log', 'line', line, 'a string');
    if (this.o.quiet) return;
    if (this.lineOpen) {
      // erase the bar (its loss is one step's, the log line's a window mean: one line, not two)
      this.out.write('\r\x1b[K');
      this.lineOpen = false;
      this.last = 0; // redraw it under the log line at the next update
    }
    this.out.write(line + '\n');
  }

  done(): void {
    if (this.lineOpen) this.out.write('\r\x1b[K');
    this.lineOpen = false;
  }
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}
