// SPDX-License-Identifier: MIT
// The models namespace: score networks, their configs and the score parameterisation per SDE.
export * from './small_unet.js';
export * from './mlp.js';
export * from './blocks.js';
export * from './ncsnpp.js';
export * from './refinenet.js';
export * from './ncsnv2.js';
export * from './score.js';
export * from './configs.js';
