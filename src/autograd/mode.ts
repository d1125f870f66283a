// SPDX-License-Identifier: MIT
// Gradient recording mode. noGrad(fn) runs fn without recording; for async code use
// setGradEnabled around each synchronous step.
import { checkBool, checkFunction } from '../errors.js';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

export function setGradEnabled(on: boolean): boolean {
  checkBool('setGradEnabled', 'on', on);
  const prev = enabled;
  enabled = on;
  return prev;
}

export function noGrad<T>(fn: () => T): T {
  checkFunction('noGrad', 'fn', fn);
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

export function enableGrad<T>(fn: () => T): T {
  checkFunction('enableGrad', 'fn', fn);
  const prev = setGradEnabled(true);
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
