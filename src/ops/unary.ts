// SPDX-License-Identifier: MIT
// Elementwise unary ops. Each is one native kernel call; its gradient sits beside it, written with
// ops. The hot activations (tanh, sigmoid, silu, gelu, softplus, elu, relu) use a fused native
// gradient kernel unless a higher-order graph is being recorded, when the composite form is used.
import { argError, checkFinite, DTypeError } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { Binary, Unary, kernels } from '../native.js';
import { isFloat, type DType } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
// binary imports this file: its ops come through the forwarders of late.ts
import { add, div, ge, gt, le, logicalAnd, lt, mul, sub, where } from './late.js';
import { cast } from './cast.js';
import { full, zerosLike } from './creation.js';
import { checkTensor, nv } from './util.js';

/** Runs a unary kernel into a new contiguous tensor. */
export function unaryKernel(code: number, x: Tensor, p1 = 0, p2 = 0, outDType: DType = x.dtype): Tensor {
  const y = Tensor.empty(x.shape, outDType, x.device);
  if (y.size) kernels.unary({ op: code, p1, p2, y: nv(y), x: nv(x) });
  return y;
}

/** Runs a fused activation-gradient kernel: out = f'(a) * g (a is x or y depending on the op). */
function binaryGradKernel(code: number, a: Tensor, g: Tensor, p1 = 0, p2 = 0): Tensor {
  const out = Tensor.empty(g.shape, g.dtype, g.device);
  if (out.size) kernels.binary({ op: code, p1, p2, y: nv(out), a: nv(a), b: nv(g) });
  return out;
}

/** Float input: ints and bools are promoted to float32, as math functions expect. */
/**
 * Runs a float op on x, casting an int or bool x to float32 first; the cast is freed when the op
 * returns (an int tensor never requires grad, so no graph keeps it).
 */
function withFloat(op: string, x: unknown, f: (t: Tensor) => Tensor): Tensor {
  const t = checkTensor(op, 'x', x);
  if (isFloat(t.dtype)) return f(t);
  const c = cast(t, 'float32');
  try {
    return f(c);
  } finally {
    c.dispose();
  }
}

function numericInput(op: string, x: unknown): Tensor {
  const t = checkTensor(op, 'x', x);
  if (t.dtype === 'bool') throw new DTypeError(`${op}: argument 'x' has dtype bool, expected a numeric tensor (cast it first)`);
  return t;
}

const zeroGrad = (g: Tensor) => [zerosLike(g)];

export function neg(x: Tensor): Tensor {
  const t = numericInput('neg', x);
  return attachGrad(unaryKernel(Unary.neg, t), 'neg', [t], [], (g) => [neg(g)]);
}

export function abs(x: Tensor): Tensor {
  const t = numericInput('abs', x);
  return attachGrad(unaryKernel(Unary.abs, t), 'abs', [t], [t], (g, [x]) => [mul(g, sign(x))]);
}

export function sign(x: Tensor): Tensor {
  const t = numericInput('sign', x);
  return attachGrad(unaryKernel(Unary.sign, t), 'sign', [t], [], zeroGrad);
}

export function exp(x: Tensor): Tensor {
  return withFloat('exp', x, (t) => {
    const y = unaryKernel(Unary.exp, t);
    return attachGrad(y, 'exp', [t], [y], (g, [y]) => [mul(g, y)]);
  });
}

export function log(x: Tensor): Tensor {
  return withFloat('log', x, (t) => {
    return attachGrad(unaryKernel(Unary.log, t), 'log', [t], [t], (g, [x]) => [div(g, x)]);
  });
}

export function log1p(x: Tensor): Tensor {
  return withFloat('log1p', x, (t) => {
    return attachGrad(unaryKernel(Unary.log1p, t), 'log1p', [t], [t], (g, [x]) => [div(g, add(x, 1))]);
  });
}

export function expm1(x: Tensor): Tensor {
  return withFloat('expm1', x, (t) => {
    const y = unaryKernel(Unary.expm1, t);
    return attachGrad(y, 'expm1', [t], [y], (g, [y]) => [mul(g, add(y, 1))]);
  });
}

export function sqrt(x: Tensor): Tensor {
  return withFloat('sqrt', x, (t) => {
    const y = unaryKernel(Unary.sqrt, t);
    return attachGrad(y, 'sqrt', [t], [y], (g, [y]) => [div(mul(g, 0.5), y)]);
  });
}

export function rsqrt(x: Tensor): Tensor {
  return withFloat('rsqrt', x, (t) => {
    const y = unaryKernel(Unary.rsqrt, t);
    return attachGrad(y, 'rsqrt', [t], [y], (g, [y]) => [mul(mul(g, -0.5), powScalar(y, 3))]);
  });
}

export function square(x: Tensor): Tensor {
  const t = numericInput('square', x);
  return attachGrad(unaryKernel(Unary.square, t), 'square', [t], [t], (g, [x]) => [mul(g, mul(x, 2))]);
}

export function reciprocal(x: Tensor): Tensor {
  return withFloat('reciprocal', x, (t) => {
    const y = unaryKernel(Unary.reciprocal, t);
    return attachGrad(y, 'reciprocal', [t], [y], (g, [y]) => [neg(mul(g, square(y)))]);
  });
}

export function sin(x: Tensor): Tensor {
  return withFloat('sin', x, (t) => {
    return attachGrad(unaryKernel(Unary.sin, t), 'sin', [t], [t], (g, [x]) => [mul(g, cos(x))]);
  });
}

export function cos(x: Tensor): Tensor {
  return withFloat('cos', x, (t) => {
    return attachGrad(unaryKernel(Unary.cos, t), 'cos', [t], [t], (g, [x]) => [neg(mul(g, sin(x)))]);
  });
}

export function tan(x: Tensor): Tensor {
  return withFloat('tan', x, (t) => {
    const y = unaryKernel(Unary.tan, t);
    return attachGrad(y, 'tan', [t], [y], (g, [y]) => [mul(g, add(square(y), 1))]);
  });
}

export function atan(x: Tensor): Tensor {
  return withFloat('atan', x, (t) => {
    return attachGrad(unaryKernel(Unary.atan, t), 'atan', [t], [t], (g, [x]) => [div(g, add(square(x), 1))]);
  });
}

// The derivatives of the saturating activations are computed from x, as e/(1+e)^2 with
// e = exp(-|x|) (tanh: 4e/(1+e)^2, e = exp(-2|x|)), never as y(1 - y) or 1 - y^2: those cancel as
// y approaches 1, and in float32 sigmoid'(15) came out 20 % off and tanh'(8) 13 % off (and every
// second derivative through them, logSigmoid's at -15 among them). The fused gradient kernels use
// the same formulas.

/** sigmoid'(x) = sigmoid(x) sigmoid(-x), from ops (differentiable again). */
function sigmoidPrime(x: Tensor): Tensor {
  // s(x) s(-x): both factors are accurate in each tail, so no 1 - s cancellation (4 ops)
  return mul(sigmoid(x), sigmoid(neg(x)));
}

/** tanh'(x) = 1 - tanh(x)^2, from ops. */
function tanhPrime(x: Tensor): Tensor {
  const e = exp(mul(abs(x), -2));
  return div(mul(e, 4), square(add(e, 1)));
}

export function tanh(x: Tensor): Tensor {
  return withFloat('tanh', x, (t) => {
    const y = unaryKernel(Unary.tanh, t);
    return attachGrad(y, 'tanh', [t], [t], (g, [x], ctx) =>
      [ctx.createGraph ? mul(g, tanhPrime(x)) : binaryGradKernel(Binary.tanhBwd, x, g)]);
  });
}

export function sigmoid(x: Tensor): Tensor {
  return withFloat('sigmoid', x, (t) => {
    const y = unaryKernel(Unary.sigmoid, t);
    return attachGrad(y, 'sigmoid', [t], [t], (g, [x], ctx) =>
      [ctx.createGraph ? mul(g, sigmoidPrime(x)) : binaryGradKernel(Binary.sigmoidBwd, x, g)]);
  });
}

export function silu(x: Tensor): Tensor {
  return withFloat('silu', x, (t) => {
    return attachGrad(unaryKernel(Unary.silu, t), 'silu', [t], [t], (g, [x], ctx) =>
      [ctx.createGraph ? siluGrad(x, g) : binaryGradKernel(Binary.siluBwd, x, g)]);
  });
}

/** silu'(x) = s + x s (1 - s), s = sigmoid(x), from ops (s (1 - s) without cancellation). */
function siluPrime(x: Tensor): Tensor {
  const sp = sigmoid(x);
  return add(sp, mul(x, mul(sp, sigmoid(neg(x)))));
}

/**
 * g * silu'(x) as one fused kernel whose own gradient is written with ops: the first-order
 * gradient of SiLU inside a higher-order graph. The exact Jacobian trace takes one such backward
 * per data dimension, so it must not cost the ~6 ops of the composite form.
 */
function siluGrad(x: Tensor, g: Tensor): Tensor {
  return attachGrad(binaryGradKernel(Binary.siluBwd, x, g), 'siluGrad', [x, g], [x, g], (gg, [x, g], ctx) => {
    let dx: Tensor | null = null, dg: Tensor | null = null;
    if (ctx.needsGrad[0]) {
      // silu''(x) = s (1 - s) (2 + x (1 - 2 s)) with 1 - s = sigmoid(-x): no cancellation in
      // either tail, and as few ops as the cancelling form (this runs in every SSM / exact step)
      const sp = sigmoid(x), sn = sigmoid(neg(x));
      const second = mul(mul(sp, sn), add(mul(x, sub(sn, sp)), 2));
      dx = mul(mul(gg, g), second);
    }
    if (ctx.needsGrad[1]) dg = ctx.createGraph ? mul(gg, siluPrime(x)) : binaryGradKernel(Binary.siluBwd, x, gg);
    return [dx, dg];
  });
}

export function logSigmoid(x: Tensor): Tensor {
  return withFloat('logSigmoid', x, (t) => {
    return attachGrad(unaryKernel(Unary.logSigmoid, t), 'logSigmoid', [t], [t], (g, [x], ctx) =>
      [ctx.createGraph ? mul(g, sigmoid(neg(x))) : binaryGradKernel(Binary.logSigmoidBwd, x, g)]);
  });
}

/** log(1 + exp(beta x)) / beta, linear above `threshold` (as torch.nn.Softplus). */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return withFloat('softplus', x, (t) => {
    checkFinite('softplus', 'beta', beta, { min: 0, minExclusive: true });
    checkFinite('softplus', 'threshold', threshold);
    return attachGrad(unaryKernel(Unary.softplus, t, beta, threshold), 'softplus', [t], [t], (g, [x], ctx) => {
      if (!ctx.createGraph) return [binaryGradKernel(Binary.softplusBwd, x, g, beta, threshold)];
      const bx = mul(x, beta);
      return [where(gt(bx, threshold), g, mul(g, sigmoid(bx)))];
    });
  });
}

export function relu(x: Tensor): Tensor {
  const t = numericInput('relu', x);
  if (t.dtype === 'int32') return unaryKernel(Unary.clamp, t, 0, 2 ** 31 - 1);
  return attachGrad(unaryKernel(Unary.relu, t), 'relu', [t], [t], (g, [x], ctx) =>
    [ctx.createGraph ? where(gt(x, 0), g, 0) : binaryGradKernel(Binary.reluBwd, x, g)]);
}

export function elu(x: Tensor, alpha = 1): Tensor {
  return withFloat('elu', x, (t) => {
    checkFinite('elu', 'alpha', alpha);
    return attachGrad(unaryKernel(Unary.elu, t, alpha), 'elu', [t], [t], (g, [x], ctx) =>
      [ctx.createGraph ? where(gt(x, 0), g, mul(g, mul(exp(x), alpha))) : binaryGradKernel(Binary.eluBwd, x, g, alpha)]);
  });
}

/** GELU, exact (erf) by default; approximate: 'tanh' for the tanh form. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return withFloat('gelu', x, (t) => {
    if (approximate !== 'none' && approximate !== 'tanh') throw argError('gelu', 'approximate', approximate, "'none' or 'tanh'");
    const tanhForm = approximate === 'tanh';
    const y = unaryKernel(tanhForm ? Unary.geluTanh : Unary.gelu, t);
    return attachGrad(y, 'gelu', [t], [t], (g, [x], ctx) => {
      if (!ctx.createGraph) return [binaryGradKernel(tanhForm ? Binary.geluTanhBwd : Binary.geluBwd, x, g)];
      if (tanhForm) {
        // 1 + tanh(u) and 1 - tanh(u)^2 from e = exp(-2|u|), as the fused kernels do: the tanh
        // form cancelled in the negative tail (gradient -6.4e-3 and second derivative -13.7 at
        // x = -100, where both are 0)
        const c = Math.sqrt(2 / Math.PI);
        const u = mul(add(x, mul(powScalar(x, 3), 0.044715)), c);
        const e = exp(mul(abs(u), -2)), d = add(e, 1);
        const onePlusT = where(lt(u, 0), div(mul(e, 2), d), div(2, d));
        const sech2 = div(mul(e, 4), square(d));
        const du = mul(add(mul(square(x), 3 * 0.044715), 1), c);
        return [mul(g, add(mul(onePlusT, 0.5), mul(mul(mul(x, 0.5), sech2), du)))];
      }
      const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [mul(g, add(cdf, mul(x, pdf)))];
    });
  });
}

export function erf(x: Tensor): Tensor {
  return withFloat('erf', x, (t) => {
    return attachGrad(unaryKernel(Unary.erf, t), 'erf', [t], [t], (g, [x]) =>
      [mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))]);
  });
}

export function floor(x: Tensor): Tensor {
  const t = numericInput('floor', x);
  if (!isFloat(t.dtype)) return unaryKernel(Unary.addS, t, 0);
  return attachGrad(unaryKernel(Unary.floor, t), 'floor', [t], [], zeroGrad);
}

export function ceil(x: Tensor): Tensor {
  const t = numericInput('ceil', x);
  if (!isFloat(t.dtype)) return unaryKernel(Unary.addS, t, 0);
  return attachGrad(unaryKernel(Unary.ceil, t), 'ceil', [t], [], zeroGrad);
}

/** Round half to even. */
export function round(x: Tensor): Tensor {
  const t = numericInput('round', x);
  if (!isFloat(t.dtype)) return unaryKernel(Unary.addS, t, 0);
  return attachGrad(unaryKernel(Unary.round, t), 'round', [t], [], zeroGrad);
}

/** Elementwise clamp to [min, max] (either bound may be omitted). Gradient 1 inside, 0 outside. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const t = numericInput('clamp', x);
  const lo = min ?? -Infinity, hi = max ?? Infinity;
  if (typeof lo !== 'number' || Number.isNaN(lo)) throw argError('clamp', 'min', min, 'a number');
  if (typeof hi !== 'number' || Number.isNaN(hi)) throw argError('clamp', 'max', max, 'a number');
  if (lo > hi) throw argError('clamp', 'max', max, `a number >= min (${lo})`);
  // int32 with fractional bounds promotes to float32 (as a fractional scalar operand does)
  const fractional = (v: number) => Number.isFinite(v) && !Number.isInteger(v);
  if (t.dtype === 'int32' && (fractional(lo) || fractional(hi))) return tidy(() => clamp(cast(t, 'float32'), min, max));
  const y = t.dtype === 'int32'
    ? unaryKernel(Unary.clamp, t, Math.min(Math.max(lo, -(2 ** 31)), 2 ** 31 - 1), Math.max(Math.min(hi, 2 ** 31 - 1), -(2 ** 31)))
    : unaryKernel(Unary.clamp, t, lo, hi);
  return attachGrad(y, 'clamp', [t], [t], (g, [x]) => [where(logicalAnd(ge(x, lo), le(x, hi)), g, 0)]);
}

/** x ** p for a scalar exponent. */
export function powScalar(x: Tensor, p: number): Tensor {
  return withFloat('pow', x, (t) => {
    checkFinite('pow', 'exponent', p);
    if (p === 1) return attachGrad(unaryKernel(Unary.mulS, t, 1), 'pow', [t], [], (g) => [g]);
    return attachGrad(unaryKernel(Unary.powS, t, p), 'pow', [t], [t], (g, [x]) =>
      [p === 2 ? mul(g, mul(x, 2)) : mul(g, mul(powScalar(x, p - 1), p))]);
  });
}

// Comparisons with a scalar and predicates (bool results, no gradient) are defined here because
// the gradients above use them; binary.ts re-exports the tensor-tensor forms under the same names.
function cmpS(code: number, name: string, x: Tensor, v: number): Tensor {
  const t = checkTensor(name, 'x', x);
  if (typeof v !== 'number') throw argError(name, 'other', v, 'a number or a tensor');
  if (t.dtype !== 'bool') return unaryKernel(code, t, v, 0, 'bool');
  return tidy(() => unaryKernel(code, cast(t, 'int32'), v, 0, 'bool'));
}
export const gtS = (x: Tensor, v: number) => cmpS(Unary.gtS, 'gt', x, v);
export const geS = (x: Tensor, v: number) => cmpS(Unary.geS, 'ge', x, v);
export const ltS = (x: Tensor, v: number) => cmpS(Unary.ltS, 'lt', x, v);
export const leS = (x: Tensor, v: number) => cmpS(Unary.leS, 'le', x, v);
export const eqS = (x: Tensor, v: number) => cmpS(Unary.eqS, 'eq', x, v);
export const neS = (x: Tensor, v: number) => cmpS(Unary.neS, 'ne', x, v);

export function isnan(x: Tensor): Tensor {
  const t = checkTensor('isnan', 'x', x);
  return isFloat(t.dtype) ? unaryKernel(Unary.isnan, t, 0, 0, 'bool') : full([...t.shape], false, { device: t.device });
}

export function isfinite(x: Tensor): Tensor {
  const t = checkTensor('isfinite', 'x', x);
  return isFloat(t.dtype) ? unaryKernel(Unary.isfinite, t, 0, 0, 'bool') : full([...t.shape], true, { device: t.device });
}

export function logicalNot(x: Tensor): Tensor {
  const t = checkTensor('logicalNot', 'x', x);
  return t.dtype === 'bool' ? unaryKernel(Unary.not, t) : tidy(() => unaryKernel(Unary.not, cast(t, 'bool')));
}

