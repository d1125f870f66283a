// SPDX-License-Identifier: MIT
// Method forms of the ops (x.add(y), x.sum(1)...). Each method is the free function of src/ops
// with the tensor as first argument; nothing here has logic of its own. The ops layer's entry
// (src/ops/index.ts) installs them once; every module above src/ops imports ops through that
// entry, so no module has to remember a side-effect import to get them.
import { backward, type GradOptions } from '../autograd/engine.js';
import { argError } from '../errors.js';
import * as binary from './binary.js';
import * as castOps from './cast.js';
import * as inplace from './inplace.js';
import * as linalg from './linalg.js';
import * as reduce from './reduce.js';
import * as softmaxOps from './softmax.js';
import * as unary from './unary.js';
import * as view from './view.js';
import type { DeviceLike } from '../tensor/device.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { callGuarded } from '../api.js';

type TN = Tensor | number;

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(o: TN): Tensor; sub(o: TN): Tensor; mul(o: TN): Tensor; div(o: TN): Tensor; pow(o: TN): Tensor;
    maximum(o: TN): Tensor; minimum(o: TN): Tensor;
    eq(o: TN): Tensor; ne(o: TN): Tensor; lt(o: TN): Tensor; le(o: TN): Tensor; gt(o: TN): Tensor; ge(o: TN): Tensor;
    logicalAnd(o: Tensor): Tensor; logicalOr(o: Tensor): Tensor; logicalXor(o: Tensor): Tensor; logicalNot(): Tensor;
    neg(): Tensor; abs(): Tensor; sign(): Tensor; exp(): Tensor; log(): Tensor; log1p(): Tensor; expm1(): Tensor;
    sqrt(): Tensor; rsqrt(): Tensor; square(): Tensor; reciprocal(): Tensor; sin(): Tensor; cos(): Tensor;
    tanh(): Tensor; sigmoid(): Tensor; silu(): Tensor; relu(): Tensor; softplus(beta?: number, threshold?: number): Tensor;
    elu(alpha?: number): Tensor; gelu(approximate?: 'none' | 'tanh'): Tensor; erf(): Tensor; floor(): Tensor; ceil(): Tensor;
    round(): Tensor; clamp(min?: number | null, max?: number | null): Tensor; isnan(): Tensor; isfinite(): Tensor;
    sum(dim?: reduce.Dims, keepdim?: boolean): Tensor; mean(dim?: reduce.Dims, keepdim?: boolean): Tensor;
    max(dim?: reduce.Dims, keepdim?: boolean): Tensor; min(dim?: reduce.Dims, keepdim?: boolean): Tensor;
    argmax(dim?: number, keepdim?: boolean): Tensor; argmin(dim?: number, keepdim?: boolean): Tensor;
    var(dim?: reduce.Dims, opts?: reduce.VarOptions): Tensor; std(dim?: reduce.Dims, opts?: reduce.VarOptions): Tensor;
    logsumexp(dim?: reduce.Dims, keepdim?: boolean): Tensor; norm(p?: number, dim?: reduce.Dims, keepdim?: boolean): Tensor;
    softmax(dim?: number): Tensor; logSoftmax(dim?: number): Tensor;
    matmul(o: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor; view(shape: readonly number[]): Tensor; permute(dims: readonly number[]): Tensor;
    transpose(d0?: number, d1?: number): Tensor; narrow(dim: number, start: number, length: number): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor; select(dim: number, index: number): Tensor;
    expand(shape: readonly number[]): Tensor; squeeze(dim?: number | number[]): Tensor; unsqueeze(dim: number): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor; flip(dims: number | number[]): Tensor; contiguous(): Tensor;
    cast(dtype: DType): Tensor; to(device: DeviceLike): Tensor; clone(): Tensor; detach(): Tensor;
    float(): Tensor; double(): Tensor; int(): Tensor; bool(): Tensor;
    /** 2-D transpose (the last two dims). */
    readonly T: Tensor;
    backward(gradOutput?: Tensor | null, opts?: Omit<GradOptions, 'gradOutputs' | 'allowUnused'>): void;
    zero_(): Tensor; fill_(v: number): Tensor; copy_(src: Tensor): Tensor; add_(o: Tensor | number, alpha?: number): Tensor;
    mul_(o: Tensor | number): Tensor;
  }
}

let installed = false;

/** Puts the method forms on Tensor.prototype (once; later calls do nothing). */
export function installTensorMethods(): void {
  if (installed) return;
  installed = true;
  const P = Tensor.prototype as unknown as Record<string, unknown>;
  // Each method is the op behind the public-boundary guard (src/api.ts): an error names the method.
  const m = (name: string, fn: (...a: never[]) => unknown) => {
    P[name] = function (this: Tensor, ...args: unknown[]) {
      return callGuarded(name, fn as (...a: unknown[]) => unknown, undefined, [this, ...args]);
    };
  };

  for (const k of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor', 'logicalNot'] as const)
    m(k, binary[k] as never);
  for (const k of ['abs', 'sign', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tanh', 'sigmoid', 'silu', 'relu', 'softplus', 'elu', 'gelu', 'erf', 'floor', 'ceil', 'round', 'clamp', 'isnan', 'isfinite'] as const)
    m(k, unary[k] as never);
  m('neg', binary.neg as never);
  for (const k of ['sum', 'mean', 'max', 'min', 'argmax', 'argmin', 'std', 'logsumexp', 'norm'] as const) m(k, reduce[k] as never);
  m('var', reduce.variance as never);
  m('softmax', softmaxOps.softmax as never);
  m('logSoftmax', softmaxOps.logSoftmax as never);
  m('matmul', linalg.matmul as never);
  for (const k of ['reshape', 'view', 'permute', 'transpose', 'narrow', 'slice', 'select', 'expand', 'squeeze', 'unsqueeze', 'flatten', 'flip', 'contiguous'] as const)
    m(k, view[k] as never);
  for (const k of ['cast', 'to', 'clone', 'detach'] as const) m(k, castOps[k] as never);
  m('float', (t: Tensor) => castOps.cast(t, 'float32'));
  m('double', (t: Tensor) => castOps.cast(t, 'float64'));
  m('int', (t: Tensor) => castOps.cast(t, 'int32'));
  m('bool', (t: Tensor) => castOps.cast(t, 'bool'));
  Object.defineProperty(Tensor.prototype, 'T', { get(this: Tensor) { return view.transpose(this, -2, -1); } });
  m('backward', (t: Tensor, gradOutput?: Tensor | null, opts: Omit<GradOptions, 'gradOutputs'> = {}) => {
    if (opts === null || typeof opts !== 'object') throw argError('backward', 'opts', opts, 'an options object');
    backward(t, { ...opts, gradOutputs: gradOutput ?? null });
  });
  for (const k of ['zero_', 'fill_', 'copy_', 'add_', 'mul_'] as const) m(k, inplace[k] as never);
}
