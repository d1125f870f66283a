// SPDX-License-Identifier: MIT
// Elementwise binary ops with full broadcasting (stride-0 views, no copies) and type promotion
// (bool < int32 < float32 < float64). A JS number operand uses a scalar kernel instead of
// materialising a tensor.
import { argError } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { Binary, Unary, kernels } from '../native.js';
import { isFloat, promote, type DType } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast } from './cast.js';
import { scalar } from './creation.js';
// reduce imports this file: sumToShape comes through the forwarder of late.ts
import { sumToShape } from './late.js';
import { eqS, geS, gtS, leS, log, logicalNot, ltS, neg, neS, powScalar, unaryKernel } from './unary.js';
import { checkSameDevice, checkTensor, nv, nvBroadcast } from './util.js';

export type TensorOrNumber = Tensor | number;

function asOperand(op: string, arg: string, v: unknown): Tensor | number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return checkTensor(op, arg, v);
}

/** Broadcasts a and b (same dtype) and runs a binary kernel into a new tensor. */
export function binaryKernel(code: number, a: Tensor, b: Tensor, outDType: DType = a.dtype, op = 'binary'): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const y = Tensor.empty(shape, outDType, a.device);
  if (y.size) kernels.binary({ op: code, p1: 0, p2: 0, y: nv(y), a: nvBroadcast(a, shape), b: nvBroadcast(b, shape) });
  return y;
}

interface ArithDef {
  /** t (op) s for a tensor t and a number s */
  right: (t: Tensor, s: number) => Tensor;
  /** s (op) t */
  left: (s: number, t: Tensor) => Tensor;
  /** tensors of one dtype */
  both: (a: Tensor, b: Tensor) => Tensor;
  fold: (a: number, b: number) => number;
  /** result is always floating point (true division, pow) */
  float?: boolean;
}

/** Dispatches on operand kinds and promotes dtypes; casts are temporaries freed on return. */
function arith(name: string, a: TensorOrNumber, b: TensorOrNumber, def: ArithDef): Tensor {
  const x = asOperand(name, 'a', a), y = asOperand(name, 'b', b);
  if (typeof x === 'number' && typeof y === 'number') return scalar(def.fold(x, y));
  const scalarDType = (t: Tensor, s: number): DType => {
    if (t.dtype === 'bool') return def.float || !Number.isInteger(s) ? 'float32' : 'int32';
    if (t.dtype === 'int32' && (def.float || !Number.isInteger(s))) return 'float32';
    return t.dtype;
  };
  // an int32 result takes the scalar as an int32: one outside its range is refused, not wrapped
  const fits = (d: DType, v: number, arg: string) => {
    if (d === 'int32' && !(v >= -(2 ** 31) && v <= 2 ** 31 - 1))
      throw argError(name, arg, v, 'a number in int32 range for an int32 tensor (cast the tensor to float first)');
  };
  if (typeof y === 'number') {
    const t = x as Tensor, d = scalarDType(t, y);
    fits(d, y, 'b');
    return d === t.dtype ? def.right(t, y) : tidy(() => def.right(cast(t, d), y));
  }
  if (typeof x === 'number') {
    const d = scalarDType(y, x);
    fits(d, x, 'a');
    return d === y.dtype ? def.left(x, y) : tidy(() => def.left(x, cast(y, d)));
  }
  checkSameDevice(name, x, y);
  let d = promote(x.dtype, y.dtype);
  if (def.float && !isFloat(d)) d = 'float32';
  if (d === 'bool') d = 'int32';
  if (x.dtype === d && y.dtype === d) return def.both(x, y);
  return tidy(() => def.both(x.dtype === d ? x : cast(x, d), y.dtype === d ? y : cast(y, d)));
}

export function add(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return arith('add', a, b, {
    fold: (p, q) => p + q,
    right: (t, s) => attachGrad(unaryKernel(Unary.addS, t, s), 'add', [t], [], (g) => [g]),
    left: (s, t) => add(t, s),
    both: (p, q) => attachGrad(binaryKernel(Binary.add, p, q, p.dtype, 'add'), 'add', [p, q], [], (g, _s, ctx) =>
      [ctx.needsGrad[0] ? sumToShape(g, p.shape) : null, ctx.needsGrad[1] ? sumToShape(g, q.shape) : null]),
  });
}

export function sub(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return arith('sub', a, b, {
    fold: (p, q) => p - q,
    right: (t, s) => attachGrad(unaryKernel(Unary.addS, t, -s), 'sub', [t], [], (g) => [g]),
    left: (s, t) => attachGrad(unaryKernel(Unary.rsubS, t, s), 'sub', [t], [], (g) => [neg(g)]),
    both: (p, q) => attachGrad(binaryKernel(Binary.sub, p, q, p.dtype, 'sub'), 'sub', [p, q], [], (g, _s, ctx) =>
      [ctx.needsGrad[0] ? sumToShape(g, p.shape) : null, ctx.needsGrad[1] ? sumToShape(neg(g), q.shape) : null]),
  });
}

export function mul(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return arith('mul', a, b, {
    fold: (p, q) => p * q,
    right: (t, s) => attachGrad(unaryKernel(Unary.mulS, t, s), 'mul', [t], [], (g) => [mul(g, s)]),
    left: (s, t) => mul(t, s),
    both: (p, q) => attachGrad(binaryKernel(Binary.mul, p, q, p.dtype, 'mul'), 'mul', [p, q], [p, q], (g, [p, q], ctx) =>
      [ctx.needsGrad[0] ? sumToShape(mul(g, q), p.shape) : null, ctx.needsGrad[1] ? sumToShape(mul(g, p), q.shape) : null]),
  });
}

/** True division (integer operands give float32). */
export function div(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return arith('div', a, b, {
    float: true,
    fold: (p, q) => p / q,
    right: (t, s) => attachGrad(unaryKernel(Unary.mulS, t, 1 / s), 'div', [t], [], (g) => [mul(g, 1 / s)]),
    left: (s, t) => {
      const out = unaryKernel(Unary.rdivS, t, s);
      return attachGrad(out, 'div', [t], [t, out], (g, [t, out]) => [neg(div(mul(g, out), t))]);
    },
    both: (p, q) => {
      const out = binaryKernel(Binary.div, p, q, p.dtype, 'div');
      return attachGrad(out, 'div', [p, q], [q, out], (g, [q, out], ctx) => [
        ctx.needsGrad[0] ? sumToShape(div(g, q), p.shape) : null,
        ctx.needsGrad[1] ? sumToShape(neg(div(mul(g, out), q)), q.shape) : null,
      ]);
    },
  });
}

/** a ** b elementwise; either may be a number (a number base must be positive). */
export function pow(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return arith('pow', a, b, {
    float: true,
    fold: (p, q) => p ** q,
    right: (t, s) => powScalar(t, s),
    left: (s, t) => {
      if (!(s > 0)) throw argError('pow', 'a', s, 'a positive base when the exponent is a tensor');
      const out = unaryKernel(Unary.rpowS, t, s);
      return attachGrad(out, 'pow', [t], [out], (g, [out]) => [mul(g, mul(out, Math.log(s)))]);
    },
    both: (p, q) => {
      const out = binaryKernel(Binary.pow, p, q, p.dtype, 'pow');
      return attachGrad(out, 'pow', [p, q], [p, q, out], (g, [p, q, out], ctx) => [
        ctx.needsGrad[0] ? sumToShape(mul(g, mul(q, pow(p, sub(q, 1)))), p.shape) : null,
        ctx.needsGrad[1] ? sumToShape(mul(g, mul(out, log(where(gt(p, 0), p, 1)))), q.shape) : null,
      ]);
    },
  });
}

function minmax(name: 'maximum' | 'minimum', a: TensorOrNumber, b: TensorOrNumber): Tensor {
  const isMax = name === 'maximum';
  const right = (t: Tensor, s: number) =>
    attachGrad(unaryKernel(isMax ? Unary.maxS : Unary.minS, t, s), name, [t], [t], (g, [t]) => [where(isMax ? geS(t, s) : leS(t, s), g, 0)]);
  return arith(name, a, b, {
    fold: isMax ? Math.max : Math.min,
    right,
    left: (s, t) => right(t, s),
    both: (p, q) => attachGrad(binaryKernel(isMax ? Binary.maximum : Binary.minimum, p, q, p.dtype, name), name, [p, q], [p, q], (g, [p, q], ctx) => {
      // ties split the gradient evenly, so maximum(x, x) has gradient 1
      const win = isMax ? gt(p, q) : lt(p, q), tie = eq(p, q);
      const half = mul(where(tie, g, 0), 0.5);
      return [
        ctx.needsGrad[0] ? sumToShape(add(where(win, g, 0), half), p.shape) : null,
        ctx.needsGrad[1] ? sumToShape(add(where(logicalOr(win, tie), 0, g), half), q.shape) : null,
      ];
    }),
  });
}

export const maximum = (a: TensorOrNumber, b: TensorOrNumber): Tensor => minmax('maximum', a, b);
export const minimum = (a: TensorOrNumber, b: TensorOrNumber): Tensor => minmax('minimum', a, b);

export function atan2(a: Tensor, b: Tensor): Tensor {
  const fail = () => { throw argError('atan2', 'b', b, 'a tensor'); };
  return arith('atan2', checkTensor('atan2', 'a', a), checkTensor('atan2', 'b', b), {
    float: true,
    fold: Math.atan2,
    right: fail,
    left: fail,
    both: (p, q) => attachGrad(binaryKernel(Binary.atan2, p, q, p.dtype, 'atan2'), 'atan2', [p, q], [p, q], (g, [p, q], ctx) => {
      const r2 = add(mul(p, p), mul(q, q));
      return [ctx.needsGrad[0] ? sumToShape(div(mul(g, q), r2), p.shape) : null,
              ctx.needsGrad[1] ? sumToShape(neg(div(mul(g, p), r2)), q.shape) : null];
    }),
  });
}

export { neg };

type Cmp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const CMP_CODE: Record<Cmp, number> = { eq: Binary.eq, ne: Binary.ne, lt: Binary.lt, le: Binary.le, gt: Binary.gt, ge: Binary.ge };
const CMP_SCALAR = { eq: eqS, ne: neS, lt: ltS, le: leS, gt: gtS, ge: geS };
const CMP_SWAP: Record<Cmp, Cmp> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };

function compare(name: Cmp, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  const x = asOperand(name, 'a', a), y = asOperand(name, 'b', b);
  if (typeof x === 'number' && typeof y === 'number') throw argError(name, 'a', a, 'a tensor (at least one operand)');
  if (typeof y === 'number') return CMP_SCALAR[name](x as Tensor, y);
  if (typeof x === 'number') return CMP_SCALAR[CMP_SWAP[name]](y, x);
  checkSameDevice(name, x, y);
  let d = promote(x.dtype, y.dtype);
  // bool operands order as 0 < 1 (the bool kernels only test equality)
  if (d === 'bool' && name !== 'eq' && name !== 'ne') d = 'int32';
  if (x.dtype === d && y.dtype === d) return binaryKernel(CMP_CODE[name], x, y, 'bool', name);
  return tidy(() => binaryKernel(CMP_CODE[name], x.dtype === d ? x : cast(x, d), y.dtype === d ? y : cast(y, d), 'bool', name));
}

export const eq = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('eq', a, b);
export const ne = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('ne', a, b);
export const lt = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('lt', a, b);
export const le = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('le', a, b);
export const gt = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('gt', a, b);
export const ge = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('ge', a, b);

function logical(name: string, code: number, a: Tensor, b: Tensor): Tensor {
  const p = checkTensor(name, 'a', a), q = checkTensor(name, 'b', b);
  checkSameDevice(name, p, q);
  if (p.dtype === 'bool' && q.dtype === 'bool') return binaryKernel(code, p, q, 'bool', name);
  return tidy(() => binaryKernel(code, p.dtype === 'bool' ? p : cast(p, 'bool'), q.dtype === 'bool' ? q : cast(q, 'bool'), 'bool', name));
}
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => logical('logicalAnd', Binary.and, a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => logical('logicalOr', Binary.or, a, b);
export const logicalXor = (a: Tensor, b: Tensor): Tensor => logical('logicalXor', Binary.xor, a, b);
export { logicalNot };

/** cond ? a : b elementwise, broadcasting all three; a and b may be numbers. */
export function where(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  const c0 = checkTensor('where', 'cond', cond);
  const x = asOperand('where', 'a', a), y = asOperand('where', 'b', b);
  const ref = typeof x !== 'number' ? x : typeof y !== 'number' ? y : null;
  const dt: DType = ref ? (typeof x !== 'number' && typeof y !== 'number' ? promote(x.dtype, y.dtype) : ref.dtype) : 'float32';
  const dev = ref ? ref.device : c0.device;
  const simple = c0.dtype === 'bool' && typeof x !== 'number' && typeof y !== 'number' && x.dtype === dt && y.dtype === dt;
  if (!simple) {
    return tidy(() => where(c0.dtype === 'bool' ? c0 : cast(c0, 'bool'),
      typeof x === 'number' ? scalar(x, dt, dev) : x.dtype === dt ? x : cast(x, dt),
      typeof y === 'number' ? scalar(y, dt, dev) : y.dtype === dt ? y : cast(y, dt)));
  }
  const tx = x as Tensor, ty = y as Tensor;
  checkSameDevice('where', c0, tx, ty);
  const shape = broadcastShapes('where', c0.shape, tx.shape, ty.shape);
  const out = Tensor.empty(shape, dt, dev);
  if (out.size) kernels.where({ y: nv(out), cond: nvBroadcast(c0, shape), a: nvBroadcast(tx, shape), b: nvBroadcast(ty, shape) });
  if (!isFloat(dt)) return out;
  return attachGrad(out, 'where', [tx, ty], [c0], (g, [c], ctx) => [
    ctx.needsGrad[0] ? sumToShape(where(c, g, 0), tx.shape) : null,
    ctx.needsGrad[1] ? sumToShape(where(c, 0, g), ty.shape) : null,
  ]);
}
