/**
 * seg-stream: semantic segmentation of driving video.
 *
 * Three runs, each one call with plain options, progress, a stop signal and a summary:
 * {@link segmentVideo} (a video file or live stream), {@link segmentFolder} (frame folders and
 * datasets) and {@link evaluateDataset} (accuracy on a labelled split). The parts they are made
 * of — sources, model loading, the engine, the worker pool, the encoder — are exported for
 * pipelines of your own.
 *
 * @example
 * ```ts
 * import { segmentVideo } from 'seg-stream';
 * const summary = await segmentVideo({ input: 'drive.mp4', output: 'overlay.mp4', masks: 'masks/' });
 * ```
 */

// Runs.
export { segmentVideo, type RunSummary } from './runs/video/segment-video.js';
export type { SegmentVideoOptions } from './runs/video/options.js';
export { segmentFolder } from './runs/folders/segment-folder.js';
export type { SegmentFolderOptions } from './runs/folders/options.js';
export type { FolderRunSummary } from './runs/folders/manifest.js';
export { segmentLog, type LogRunSummary } from './runs/logs/segment-log.js';
export type { SegmentLogOptions } from './runs/logs/options.js';
export { planLogChunks, type LogChunk, type LogChunkPlan, type PlanLogChunksOptions } from './runs/logs/chunks.js';
export { mergeLogParts, type MergeLogPartsOptions, type MergedLog } from './runs/logs/merge.js';
export { evaluateDataset, type EvaluateOptions, type EvalResult } from './runs/eval/evaluate.js';
export type { Progress } from './runs/stats.js';
// Chunked runs of one long video (docs/fleet.md "Chunked runs of a long video").
export { planChunks, type Chunk, type ChunkPlan, type PlanChunksOptions } from './runs/video/chunks.js';
export type { ChunkRange } from './runs/video/range.js';
export { stitchVideo, type StitchVideoOptions, type StitchResult } from './runs/video/stitch.js';
export { mergeStatsFiles, mergeChunkSummaries, type ChunkTotals } from './runs/video/chunk-merge.js';

// Sources.
export { probeVideo, type VideoInfo } from './ingest/probe.js';
export { decodeFrames } from './ingest/video-decoder.js';
export { liveFrames } from './ingest/live/source.js';
export { InFlightGate } from './ingest/gate.js';
export { findSequences, type Sequence } from './datasets/layouts.js';
export { listDataset } from './datasets/labelled.js';

// Models and engines.
export { DEFAULT_MODEL, listModels, loadModel } from './infer/model-card.js';
export { createEngine } from './infer/engine.js';
export type { Engine, LoadedModel, ModelCard } from './infer/types.js';

// Workers, outputs, binaries.
export { createFramePool, type FramePool } from './runs/frame-pool.js';
export { VideoEncoder } from './sinks/video-encoder.js';
export { PngDirectory } from './sinks/png-directory.js';
export { resolveFfmpeg } from './process/binaries.js';

// Overlay colours and the ego mask (docs/overlay.md).
export { ROLES_PALETTE, resolvePalette, overlayLut, type PaletteDefinition } from './render/palettes.js';
export { findEgoMask, readEgoMaskFile, type EgoMaskSummary } from './render/ego-mask-source.js';

// A live page of a run (pass `preview` to a run's options).
export { PreviewServer, type PreviewServerOptions } from './preview/server.js';
export type { PreviewSnapshot } from './preview/run-stats.js';
export type { RunPreview } from './runs/run-preview.js';
// Temporal stability (docs/temporal-stability.md).
export { TemporalStage } from './temporal/stage.js';
export type { StabilitySummary } from './temporal/stability.js';

// Many machines (docs/fleet.md): queue work in Redis, run it on workers, read the status.
export { enqueue, type EnqueueOptions, type EnqueuedJob } from './fleet/enqueue.js';
export { startWorker, type StartWorkerOptions, type FleetWorker, type WorkerEvent } from './fleet/worker.js';
export { fleetStatus, type FleetStatus, type JobStatus } from './fleet/status.js';

// Errors and types.
export { ErrorCodes, SegStreamError, isSegStreamError, type ErrorCode } from './errors.js';
export type { Frame } from './types.js';
