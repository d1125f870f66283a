// SPDX-License-Identifier: MIT
// Activations as named functions (so a GroupNorm can fuse SiLU when it sees one) and as modules
// (so they can sit in a Sequential with torch-style indices).
import { tidy } from '../tensor/scope.js';
import { argError, checkFinite } from '../errors.js';
import { checkFloatTensor, maximum, mul, elu, gelu, relu, silu, softplus, tanh } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** An elementwise activation that knows its name ('silu' lets GroupNorm fuse it). */
export type Activation = ((x: Tensor) => Tensor) & { readonly kind: ActivationName };

export type ActivationName = 'silu' | 'relu' | 'elu' | 'lrelu' | 'gelu' | 'tanh' | 'softplus' | 'identity';

const named = (kind: ActivationName, fn: (x: Tensor) => Tensor): Activation => Object.assign((x: Tensor) => fn(x), { kind });

/** LeakyReLU with slope a < 1: max(x, a x), whose gradient is 1 or a (ties are measure zero). */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  checkFloatTensor('leakyRelu', 'x', x);
  checkFinite('leakyRelu', 'slope', slope, { max: 1 });
  return tidy(() => maximum(x, mul(x, slope)));
}

const TABLE: Record<ActivationName, Activation> = {
  silu: named('silu', silu),
  relu: named('relu', relu),
  elu: named('elu', (x) => elu(x)),
  // score_sde's 'lrelu' is LeakyReLU(0.2)
  lrelu: named('lrelu', (x) => leakyRelu(x, 0.2)),
  gelu: named('gelu', (x) => gelu(x)),
  tanh: named('tanh', tanh),
  softplus: named('softplus', (x) => softplus(x)),
  identity: named('identity', (x) => mul(x, 1)),
};

/** Names accepted by getActivation; 'swish' is score_sde's name for SiLU. */
export const ACTIVATIONS = [...Object.keys(TABLE), 'swish'] as const;

/** The activation called `name` (score_sde config names: 'swish', 'elu', 'relu', 'lrelu'). */
export function getActivation(name: string | Activation): Activation {
  return lookupActivation('getActivation', name);
}

/** getActivation on behalf of `op` (a module constructor), named in its errors. */
function lookupActivation(op: string, name: string | Activation): Activation {
  if (typeof name === 'function') return name;  // a custom activation (x) => Tensor
  if (typeof name !== 'string') throw argError(op, 'name', name, `an activation function or one of ${ACTIVATIONS.join(', ')}`);
  const key = name.toLowerCase();
  const a = TABLE[(key === 'swish' ? 'silu' : key) as ActivationName];
  if (!a) throw argError(op, 'name', name, `one of ${ACTIVATIONS.join(', ')}`);
  return a;
}

/** An activation as a parameter-free module. */
export class ActivationModule extends Module {
  readonly act: Activation;
  constructor(name: string | Activation) {
    super();
    this.act = lookupActivation(new.target.name, name);
  }
  forward(x: Tensor): Tensor {
    return this.act(x);
  }
}

export class SiLU extends ActivationModule {
  constructor() {
    super('silu');
  }
}

export class ReLU extends ActivationModule {
  constructor() {
    super('relu');
  }
}

export class ELU extends ActivationModule {
  constructor() {
    super('elu');
  }
}

export class Tanh extends ActivationModule {
  constructor() {
    super('tanh');
  }
}
