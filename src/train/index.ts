// SPDX-License-Identifier: MIT
// lcss/train: configuration, the training loop, checkpoints and the sampling/evaluation helpers.
export { PRESETS, PRESET_NAMES, type TrainConfig, type DataConfig, type SamplingConfig } from './config.js';
export { SDE_NAMES, type Components, type DataSource } from './build.js';
export { type TrainOptions, type TrainResult } from './trainer.js';
export { type SampleRequest, type EvalResult } from './evaluate.js';
export { type Checkpoint, type CheckpointState } from './checkpoint.js';
export { Progress } from './progress.js';
export { type SpawnedJob, JobError, type JobEvent, type SpawnTrainOptions, type SpawnedTrainResult, type SpawnSampleOptions, type SpawnedSamples, type SpawnedEvaluation } from './spawn.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard, guardMethods } from '../api.js';
import * as _config from './config.js';
import * as _build from './build.js';
import * as _trainer from './trainer.js';
import * as _evaluate from './evaluate.js';
import * as _checkpoint from './checkpoint.js';
import * as _safetensors from '../io/safetensors.js';
import * as _progress from './progress.js';
import * as _spawn from './spawn.js';
export const resolveConfig = guard('resolveConfig', _config.resolveConfig);
export const validateConfig = guard('validateConfig', _config.validateConfig);
export const mergeConfig = guard('mergeConfig', _config.mergeConfig);
export const parseValue = guard('parseValue', _config.parseValue);
export const buildComponents = guard('buildComponents', _build.buildComponents);
export const buildScoreModel = guard('buildScoreModel', _build.buildScoreModel);
export const buildSDE = guard('buildSDE', _build.buildSDE);
export const train = guard('train', _trainer.train, true);
export const evaluateRun = guard('evaluateRun', _trainer.evaluateRun, true);
export const drawSamples = guard('drawSamples', _evaluate.drawSamples, true);
export const evaluateToy = guard('evaluateToy', _evaluate.evaluateToy, true);
export const evaluateDigits = guard('evaluateDigits', _evaluate.evaluateDigits, true);
export const saveCheckpoint = guard('saveCheckpoint', _checkpoint.saveCheckpoint);
export const loadCheckpoint = guard('loadCheckpoint', _checkpoint.loadCheckpoint);
export const latestCheckpoint = guard('latestCheckpoint', _checkpoint.latestCheckpoint);
export const listCheckpoints = guard('listCheckpoints', _checkpoint.listCheckpoints);
export const checkpointPath = guard('checkpointPath', _checkpoint.checkpointPath);
export const readSafetensors = guard('readSafetensors', _safetensors.readSafetensors);
export const writeSafetensors = guard('writeSafetensors', _safetensors.writeSafetensors);
export const inspectSafetensors = guard('inspectSafetensors', _safetensors.inspectSafetensors);
export const formatDuration = guard('formatDuration', _progress.formatDuration);
/** train() in a worker thread: events and a result promise, the calling thread stays free. */
export const spawn = guard('spawn', _spawn.spawn);
export const spawnSample = guard('spawnSample', _spawn.spawnSample);
export const spawnEvaluate = guard('spawnEvaluate', _spawn.spawnEvaluate);

// Methods of the public classes behind the guard too (named Class.method).
guardMethods(_progress.Progress);
