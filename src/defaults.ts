/**
 * Every default and limit of the shared options, declared once, and the checks of the options
 * that more than one layer validates (the engine's and the runs'). Per-mode defaults (threads and
 * workers of a video vs a frame-folder run) are derived here too, so no module declares its own.
 */
import { availableParallelism } from 'node:os';
import { invalidOption } from './errors.js';

/** Inference engines. */
export const ENGINE_NAMES = Object.freeze(['onnx', 'tfjs'] as const);
/** Inference devices. */
export const DEVICE_NAMES = Object.freeze(['cpu', 'cuda', 'webgpu'] as const);
/** x264 presets. */
export const X264_PRESETS = Object.freeze([
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
] as const);

/** Why a run stopped taking frames. */
export type StopReason = 'end' | 'frames' | 'duration' | 'signal';

const cores = Math.max(1, availableParallelism());

/** Upper bounds of the numeric options. */
export const LIMITS = Object.freeze({ batch: 64, workers: 64, threads: 256, maxInFlight: 1024 });

/** The defaults of every run and of the engine. */
export const DEFAULTS = Object.freeze({
  engine: 'onnx',
  device: 'cpu',
  batch: 1,
  alpha: 0.5,
  classes: 'road,vehicle',
  crf: 23,
  preset: 'veryfast',
  /** Pre-/post-processing worker threads. */
  workers: cores,
  /**
   * CPU inference threads of a video run: one core is left to decoding, encoding and the workers
   * (on 2 cores this measured faster than 2 inference threads competing with them).
   */
  videoThreads: Math.max(1, cores - 1),
  /** CPU inference threads of frame-folder and eval runs (their decoding runs in the workers). */
  folderThreads: cores,
  /** Strength of a bare `--smooth`; runs do not smooth unless given a strength (docs/temporal-stability.md). */
  smoothStrength: 0.8,
});

/** @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` unless `value` is an integer from 1 to `max`. */
export function positiveInt(value: unknown, option: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalidOption(option, `an integer from 1 to ${max}`, value);
  }
  return value;
}

/** @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` unless `value` is an engine name. */
export function checkEngineName(value: unknown): (typeof ENGINE_NAMES)[number] {
  if (!ENGINE_NAMES.includes(value as never)) throw invalidOption('engine', ENGINE_NAMES.join(' or '), value);
  return value as (typeof ENGINE_NAMES)[number];
}

/** @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` unless `value` is a device name. */
export function checkDevice(value: unknown): (typeof DEVICE_NAMES)[number] {
  if (!DEVICE_NAMES.includes(value as never)) throw invalidOption('device', DEVICE_NAMES.join(' or '), value);
  return value as (typeof DEVICE_NAMES)[number];
}

/** `defaults` overridden by the fields of `options` that are not undefined. */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  return { ...defaults, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as D & O;
}
