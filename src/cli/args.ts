// SPDX-License-Identifier: MIT
// A small, strict argument parser: `--key value`, `--key=value`, boolean `--flag` / `--no-flag`.
// Each command declares its options; anything else is an error naming the option and the command.
import { ArgumentError } from '../errors.js';
import { checkWritable } from '../io/atomic.js';
import { closestName } from '../train/config.js';

export interface OptionSpec {
  /** 'string' | 'number' | 'boolean' */
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
  /** a short value name for help (e.g. 'N', 'FILE') */
  arg?: string;
  /** numbers: only integers are accepted */
  integer?: boolean;
  /** numbers: the smallest value accepted */
  min?: number;
  /** strings: a file the command writes; its folder is checked before any work is done */
  writes?: boolean;
  /** strings: may be given several times (--run a --run b); the value is the list, joined by '\n' */
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** accept any --a.b value (dotted config overrides) */
  dotted?: boolean;
  /** further names accepted like dotted overrides (top-level config keys: --evalEvery 500) */
  configKeys?: readonly string[];
  examples?: string[];
}

export interface Parsed {
  opts: Record<string, string | number | boolean>;
  dotted: Record<string, string>;
  positional: string[];
}

export function parseArgs(spec: CommandSpec, argv: string[]): Parsed {
  const opts: Record<string, string | number | boolean> = {};
  const dotted: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    let key = a.slice(2), value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    const o = spec.options[key];
    if (!o && key.startsWith('no-') && spec.options[key.slice(3)]?.type === 'boolean' && value === undefined) {
      opts[key.slice(3)] = false;
      continue;
    }
    if (!o) {
      if (spec.dotted && (key.includes('.') || spec.configKeys?.includes(key))) {
        if (value === undefined) {
          if (i + 1 >= argv.length) throw new ArgumentError(`lcss ${spec.name}: --${key} needs a value`);
          value = argv[++i];
        }
        dotted[key] = value;
        continue;
      }
      const near = closestName(key, [...Object.keys(spec.options), ...(spec.configKeys ?? [])]);
      throw new ArgumentError(`lcss ${spec.name}: unknown option --${key}${near ? ` (did you mean --${near}?)` : ''}; see \`lcss ${spec.name} --help\``);
    }
    if (o.type === 'boolean') {
      if (value === undefined) opts[key] = true;
      else if (value === 'true' || value === 'false') opts[key] = value === 'true';
      else throw new ArgumentError(`lcss ${spec.name}: --${key} takes no value or true/false, got ${JSON.stringify(value)}`);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && o.type !== 'number')) throw new ArgumentError(`lcss ${spec.name}: --${key} needs a value (${o.arg ?? o.type})`);
      value = argv[++i];
    }
    if (o.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new ArgumentError(`lcss ${spec.name}: --${key} expects a number, got ${JSON.stringify(value)}`);
      if (o.integer && !Number.isSafeInteger(n)) throw new ArgumentError(`lcss ${spec.name}: --${key} expects an integer, got ${JSON.stringify(value)}`);
      if (o.min !== undefined && n < o.min) throw new ArgumentError(`lcss ${spec.name}: --${key} expects ${o.integer ? 'an integer' : 'a number'} >= ${o.min}, got ${JSON.stringify(value)}`);
      opts[key] = n;
    } else if (o.multiple && typeof opts[key] === 'string') opts[key] = `${opts[key]}\n${value}`;
    else opts[key] = value;
  }
  for (const [k, o] of Object.entries(spec.options)) if (opts[k] === undefined && o.default !== undefined) opts[k] = o.default;
  // an output that cannot be written is reported now, not after minutes of sampling
  for (const [k, o] of Object.entries(spec.options)) if (o.writes && typeof opts[k] === 'string') checkWritable(`lcss ${spec.name} --${k}`, opts[k] as string);
  return { opts, dotted, positional };
}

export function helpText(spec: CommandSpec): string {
  const lines = [`lcss ${spec.name}: ${spec.summary}`, '', `usage: ${spec.usage}`, '', 'options:'];
  const rows = Object.entries(spec.options).map(([k, o]) => {
    const left = `  --${k}${o.type === 'boolean' ? '' : ` ${o.arg ?? o.type.toUpperCase()}`}`;
    const def = (o.default !== undefined ? ` (default ${o.default})` : '') + (o.multiple ? ' (repeatable)' : '');
    return [left, o.help + def] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  for (const [l, r] of rows) lines.push(l.padEnd(w) + r);
  if (spec.dotted) lines.push(`  --a.b VALUE`.padEnd(w) + 'any config field, e.g. --loss.gamma 1.2 --sampling.steps 200');
  if (spec.examples?.length) lines.push('', 'examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
