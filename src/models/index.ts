// SPDX-License-Identifier: MIT
// The models namespace: score networks, their configs and the score parameterisation per SDE.
export * from './small_unet.js';
