/**
 * seg-stream: semantic segmentation of driving video.
 *
 * The whole run is one call, {@link segmentVideo}; the building blocks (sources, engines,
 * renderers, sinks, the worker pool) are exported for pipelines of your own.
 *
 * @example
 * ```ts
 * import { segmentVideo } from 'seg-stream';
 * const summary = await segmentVideo({ input: 'drive.mp4', output: 'overlay.mp4', masks: 'masks/' });
 * ```
 */
export { segmentVideo, type RunSummary } from './pipeline/segment-video.js';
export { resolveVideoOptions, DEFAULT_VIDEO_OPTIONS, type SegmentVideoOptions } from './pipeline/options.js';
export { DEFAULT_RUN_OPTIONS, type RunOptions } from './pipeline/run-options.js';
export { InFlightGate } from './pipeline/in-flight-gate.js';
export { batchedConcurrency, restoreOrder } from './pipeline/operators.js';
export type { Progress, StageMs } from './pipeline/stats.js';

export { probeVideo, parseRational, chooseFrameRate, type VideoInfo, type ProbeOptions } from './ingest/probe.js';
export { decodeFrames, decoderArgs, type DecodeOptions } from './ingest/video-decoder.js';

export * from './infer/index.js';
export * from './render/index.js';
export * from './workers/index.js';

export { VideoEncoder, encoderArgs, type VideoEncoderOptions } from './sinks/video-encoder.js';
export { PngDirectory } from './sinks/png-directory.js';
export { writeFileAtomic, temporaryPathFor } from './sinks/atomic-file.js';

export { resolveFfmpeg, type FfmpegBinaries, type ResolvedBinary, type FfmpegBinaryOptions } from './config/ffmpeg-binaries.js';
export { ErrorCodes, SegStreamError, isSegStreamError, exitCodeFor, type ErrorCode, type ErrorContext } from './errors.js';
export type { Frame, Segmentation, StageName, Rational } from './types.js';
export * from './eval/index.js';
export { main as runCli } from './cli/main.js';
export * from './batch/index.js';
export * from './temporal/index.js';
