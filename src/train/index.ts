// SPDX-License-Identifier: MIT
// lcss/train: configuration, the training loop, checkpoints and the sampling/evaluation helpers.
export { PRESETS, PRESET_NAMES, resolveConfig, validateConfig, mergeConfig, parseValue, dottedToObject, type TrainConfig, type DataConfig, type SamplingConfig } from './config.js';
export { buildComponents, buildScoreModel, buildSDE, buildData, loadImages, SDE_NAMES, type Components, type DataSource } from './build.js';
export { train, evaluateRun, type TrainOptions, type TrainResult } from './trainer.js';
export { drawSamples, evaluateToy, evaluateDigits, type SampleRequest, type EvalResult } from './evaluate.js';
export { saveCheckpoint, loadCheckpoint, latestCheckpoint, listCheckpoints, checkpointPath, type Checkpoint, type CheckpointState } from './checkpoint.js';
export { readSafetensors, writeSafetensors, inspectSafetensors } from './safetensors.js';
export { Progress, formatDuration } from './progress.js';
