// SPDX-License-Identifier: MIT
// Finite-difference checks of first and second derivatives in float64, as torch.autograd.gradcheck:
// the analytic Jacobian (one backward per output element) against central differences.
import { ArgumentError, argError, AutogradError, checkBool, checkFinite, checkFunction, checkKnownKeys, checkOptions, DTypeError } from '../errors.js';
import { native, kernels } from '../native.js';
import { cat, reshape, zeros } from './ops.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { grad } from './engine.js';
import { noGrad } from './mode.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw with details on failure (default) or return false. */
  raiseException?: boolean;
}

type Fn = (...inputs: Tensor[]) => Tensor;

function readAll(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

/** Writes one element of a contiguous float64 tensor in place (bumps nothing: test-only). */
function poke(t: Tensor, i: number, v: number): void {
  native.write(t.storage.buffer, t.offset + i, new Float64Array([v]));
}

function checkInputs(op: string, inputs: Tensor[]): void {
  if (!Array.isArray(inputs)) throw argError(op, 'inputs', inputs, 'an array of tensors');
  // integer and bool inputs (indices, masks) are constants; differentiated ones must be float64
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw argError(op, `inputs[${i}]`, t, 'a Tensor');
    t.assertLive(op, `inputs[${i}]`);
    if (!t.requiresGrad) return;
    if (t.dtype !== 'float64') throw new DTypeError(`${op}: inputs[${i}] is ${t.dtype}; finite differences need float64 inputs`);
    if (!t.isContiguous) throw new ArgumentError(`${op}: inputs[${i}] must be contiguous`);
  });
}

function numericJacobian(fn: Fn, inputs: Tensor[], wrt: Tensor, eps: number): Float64Array[] {
  // rows: input elements; each row = d(output)/d(input_i) flattened
  const rows: Float64Array[] = [];
  const base = readAll(wrt);
  for (let i = 0; i < wrt.size; i++) {
    const f = (v: number) => {
      poke(wrt, i, v);
      return tidy(() => readAll(fn(...inputs)));
    };
    const plus = f(base[i] + eps), minus = f(base[i] - eps);
    poke(wrt, i, base[i]);
    rows.push(plus.map((p, k) => (p - minus[k]) / (2 * eps)));
  }
  return rows;
}

function analyticJacobian(fn: Fn, inputs: Tensor[], createGraph: boolean): Float64Array[][] {
  // jac[j][i] = d out / d input_j[i] as a row per input element
  const out = fn(...inputs);
  const n = out.size;
  const jac = inputs.map((t) => Array.from({ length: t.size }, () => new Float64Array(n)));
  // an output that does not depend on any input (e.g. the gradient of a linear op) has a zero Jacobian
  if (!out.requiresGrad) {
    out.dispose();
    return jac;
  }
  for (let k = 0; k < n; k++) {
    tidy(() => {
      const go = Tensor.empty(out.shape, out.dtype, out.device);
      kernels.fill({ y: { buffer: go.storage.buffer, offset: 0, shape: [n], strides: [1] }, value: 0 });
      poke(go, k, 1);
      const diff = inputs.map((t, j) => j).filter((j) => inputs[j].requiresGrad);
      const gs = grad(out, diff.map((j) => inputs[j]), { gradOutputs: go, retainGraph: true, allowUnused: true, createGraph });
      gs.forEach((g, q) => {
        const j = diff[q];
        if (!g) return;
        const v = readAll(g);
        for (let i = 0; i < v.length; i++) jac[j][i][k] = v[i];
      });
    });
  }
  out.dispose();
  return jac;
}

/**
 * Checks fn's gradients against central finite differences. Inputs must be float64 tensors with
 * requiresGrad; fn returns one tensor.
 */
function checkGradcheckOptions(op: string, o: unknown): GradcheckOptions {
  const c = checkOptions(op, 'options', o as GradcheckOptions);
  checkKnownKeys(op, 'options', c, ['eps', 'atol', 'rtol', 'raiseException']);
  for (const k of ['eps', 'atol', 'rtol'] as const) if (c[k] !== undefined) checkFinite(op, k, c[k], { min: 0 });
  if (c.raiseException !== undefined) checkBool(op, 'raiseException', c.raiseException);
  return c;
}

export function gradcheck(fn: Fn, inputs: Tensor[], options: GradcheckOptions = {}): boolean {
  checkFunction('gradcheck', 'fn', fn);
  const opts = checkGradcheckOptions('gradcheck', options);
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  checkInputs('gradcheck', inputs);
  const analytic = tidy(() => analyticJacobian(fn, inputs, false));
  for (let j = 0; j < inputs.length; j++) {
    if (!inputs[j].requiresGrad) continue;
    const numeric = numericJacobian(fn, inputs, inputs[j], eps);
    for (let i = 0; i < numeric.length; i++)
      for (let k = 0; k < numeric[i].length; k++) {
        const a = analytic[j][i][k], b = numeric[i][k];
        if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
          if (opts.raiseException === false) return false;
          throw new AutogradError(`gradcheck: d output[${k}] / d inputs[${j}][${i}]: analytic ${a} vs numeric ${b} (atol ${atol}, rtol ${rtol})`);
        }
      }
  }
  return true;
}

/**
 * Checks second derivatives: the gradient of <grad(fn), v> (v a fixed random-like vector) against
 * finite differences of that gradient, i.e. gradcheck of the first-order gradient function.
 */
export function gradgradcheck(fn: Fn, inputs: Tensor[], options: GradcheckOptions = {}): boolean {
  checkFunction('gradgradcheck', 'fn', fn);
  const opts = checkGradcheckOptions('gradgradcheck', options);
  checkInputs('gradgradcheck', inputs);
  const probe = tidy(() => {
    const out = noGrad(() => fn(...inputs));
    // a fixed, non-symmetric upstream gradient so every output element matters
    const vals = new Float64Array(out.size).map((_, i) => 0.3 + 0.7 * Math.sin(1.7 * i + 0.5));
    const t = Tensor.empty(out.shape, 'float64', out.device);
    if (t.size) native.write(t.storage.buffer, 0, vals);
    return t;
  });
  const wanted = inputs.filter((t) => t.requiresGrad);
  const gradFn = (...ins: Tensor[]) => {
    const out = fn(...ins);
    const gs = grad(out, ins.filter((t) => t.requiresGrad), { gradOutputs: probe, createGraph: true, allowUnused: true });
    // flatten all first-order gradients into one output
    const parts = gs.map((g, i) => g ?? zeros([wanted[i].size], { dtype: 'float64', device: wanted[i].device }));
    return parts.length === 1 ? reshape(parts[0], [-1]) : cat(parts.map((t) => reshape(t, [-1])), 0);
  };
  try {
    return gradcheck(gradFn, inputs, { atol: 1e-4, rtol: 1e-3, ...opts });
  } finally {
    probe.dispose();
  }
}
