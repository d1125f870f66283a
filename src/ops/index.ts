// SPDX-License-Identifier: MIT
// The ops layer's entry and the one way into src/ops from the layers above (test/layering.test.ts
// checks it). Loading it loads every op family, links the families that call one another
// (late.ts), hands autograd the few ops it runs (autograd/ops.ts) and puts the method forms on
// Tensor (methods.ts). So any module that can call an op can also call x.add(y), and no module
// has to remember a side-effect import for either.
import { bindAutogradOps } from '../autograd/ops.js';
import { bindLateOps } from './late.js';
import { installTensorMethods } from './methods.js';
import * as attentionOps from './attention.js';
import * as binaryOps from './binary.js';
import * as castOps from './cast.js';
import * as convOps from './conv.js';
import * as creationOps from './creation.js';
import * as dropoutOps from './dropout.js';
import * as indexingOps from './indexing.js';
import * as inplaceOps from './inplace.js';
import * as joinOps from './join.js';
import * as linalgOps from './linalg.js';
import * as normOps from './norm.js';
import * as poolOps from './pool.js';
import * as randomOps from './random.js';
import * as reduceOps from './reduce.js';
import * as softmaxOps from './softmax.js';
import * as steinOps from './stein.js';
import * as unaryOps from './unary.js';
import * as utilOps from './util.js';
import * as viewOps from './view.js';

bindLateOps({
  add: binaryOps.add, sub: binaryOps.sub, mul: binaryOps.mul, div: binaryOps.div, where: binaryOps.where,
  ge: binaryOps.ge, gt: binaryOps.gt, le: binaryOps.le, lt: binaryOps.lt, logicalAnd: binaryOps.logicalAnd,
  sumToShape: reduceOps.sumToShape,
});
bindAutogradOps({
  add: binaryOps.add, clone: castOps.clone, detach: castOps.detach, onesLike: creationOps.onesLike,
  zeros: creationOps.zeros, cat: joinOps.cat, reshape: viewOps.reshape,
});
installTensorMethods();

export * from './attention.js';
export * from './binary.js';
export * from './cast.js';
export * from './conv.js';
export * from './creation.js';
export * from './dropout.js';
export * from './indexing.js';
export * from './inplace.js';
export * from './join.js';
export * from './linalg.js';
export * from './norm.js';
export * from './pool.js';
export * from './random.js';
export * from './reduce.js';
export * from './softmax.js';
export * from './stein.js';
export * from './unary.js';
export * from './util.js';
export * from './view.js';
// Re-exported so the declaration file of this entry loads methods.d.ts, whose augmentation of
// Tensor gives TypeScript users the method forms (a plain import would be dropped from it).
export { installTensorMethods };
// Each family as a namespace too, for the package entry (src/index.ts), which guards them family by family.
export { attentionOps, binaryOps, castOps, convOps, creationOps, dropoutOps, indexingOps, inplaceOps, joinOps, linalgOps, normOps, poolOps, randomOps, reduceOps, softmaxOps, steinOps, unaryOps, utilOps, viewOps };
