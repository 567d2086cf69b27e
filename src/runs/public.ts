/**
 * What callers outside `runs/` (the fleet, the fleet commands) may use of the run kinds: each
 * kind's public entry (resolve its options, run it, and for the kinds a fleet splits, plan the
 * parts and merge them), their summaries, and the progress type. Everything else in `runs/` is
 * internal: when the kinds move onto the run-kind contract, this file is the one that follows.
 */

/** The run core: progress every kind reports. */
export type { Progress } from './stats.js';

/** Video files and live streams: resolve, run (whole, a frame range, or live). */
export { resolveVideoOptions, type SegmentVideoOptions } from './video/options.js';
export { segmentVideo, type RunSummary } from './video/segment-video.js';
/** Video files in chunks: plan them (cut at key frames), run each as a range, merge the parts. */
export { planChunks, type Chunk, type ChunkPlan } from './video/chunks.js';
export type { ChunkRange } from './video/range.js';
export { stitchVideo } from './video/stitch.js';
export { mergeChunkSummaries, mergeStatsFiles, type ChunkTotals } from './video/chunk-merge.js';

/** Frame folders and datasets: resolve, where a sequence's outputs go, run sequences, merge their manifests and scores. */
export { resolveFolderOptions, type SegmentFolderOptions } from './folders/options.js';
export { OutputPlan } from './folders/outputs.js';
export { runFolders, type FolderRun } from './folders/segment-folder.js';
export { defaultManifestPath, writeManifest, type FolderRunSummary } from './folders/manifest.js';
export { mergeScoreCounts, type ScoreCounts, type ScoreReport } from './folders/scores.js';

/** Driving logs: tell one by its first bytes, run it (whole, or a window of log time), plan its chunks, merge their logs. */
export { detectLogFormat } from './logs/readers/detect.js';
export { segmentLog, type LogRunSummary, type SegmentLogOptions } from './logs/segment-log.js';
export { planLogChunks, type LogChunk, type LogChunkPlan } from './logs/chunks.js';
export { mergeLogParts, type MergedLog } from './logs/merge.js';
