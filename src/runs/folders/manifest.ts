/**
 * The run's `manifest.json`: what was read, with which model, what was written, counts, timings
 * and scores. Rewritten atomically at the end of every run (also after Ctrl-C).
 */
import path from 'node:path';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import type { NetworkInput } from '../../infer/input-size.js';
import type { StageMs } from '../stats.js';
import type { LayoutName, LabelFormat } from '../../datasets/layouts.js';
import type { ResolvedFolderOptions } from './options.js';
import type { ScoreReport } from './scores.js';
import type { StabilitySummary } from '../../temporal/stability.js';

/** One sequence in the summary and manifest. */
export interface SequenceSummary {
  id: string;
  layout: LayoutName;
  /** Absolute folder of its frames. */
  dir: string;
  /** Frames in the sequence. */
  frames: number;
  /** Frames processed in this run. */
  processed: number;
  /** Frames skipped because their outputs were complete. */
  skipped: number;
  /** Frames with ground truth, and its format. */
  labelled: number;
  labelFormat?: LabelFormat;
  /** Distinct frame sizes, `WxH`. */
  sizes: string[];
  /** The overlay video of this sequence, when written. */
  video?: string;
  scores?: ScoreReport;
  /** Label stability between consecutive frames processed in this run (docs/temporal-stability.md); absent when no two were consecutive. */
  stability?: StabilitySummary;
}

/** Summary of a frame-folder run (`--json` prints it; the manifest holds it). */
export interface FolderRunSummary {
  input: string | string[];
  recursive: boolean;
  model: string;
  modelDir: string;
  engine: string;
  backend: string;
  /** The network input size of the run (absent when nothing was segmented); see `NetworkInput`. */
  networkInput?: NetworkInput;
  outputs: {
    masks?: string;
    freeSpace?: string;
    kittiRoad?: string;
    freeSpaceJson?: string;
    videos?: string[];
    manifest: string;
    perSequenceFolders: boolean;
  };
  sequences: SequenceSummary[];
  /** Frames in all sequences. */
  total: number;
  /** Frames processed in this run. */
  frames: number;
  /** Frames whose outputs were already complete (not decoded, not inferred). */
  skipped: number;
  /** Frames processed per second of wall time (model loading excluded). */
  fps: number;
  wallSeconds: number;
  /** Milliseconds per processed frame and stage (decode = worker decode + preprocess; render = masks, boundary, road map, overlay, scoring). */
  stageMs: StageMs;
  /** Frames decoded by ffmpeg (16-bit or interlaced PNG) rather than the built-in PNG decoder. */
  ffmpegDecoded: number;
  /** JPEG frames, decoded by sharp. */
  sharpDecoded: number;
  /** `error`: the run failed part-way; the frames it finished are kept and `error` says why. */
  stopped: 'end' | 'frames' | 'signal' | 'error';
  /** The failure that ended the run, when `stopped` is `error` (the CLI reports it and exits 1). */
  error?: { code: string; message: string };
  /** Scores per ground-truth format over every labelled frame (skipped frames re-scored from their saved masks when --masks is written). */
  scores: ScoreReport[];
  /** Frames with ground truth that were not scored (skipped without a saved mask to read back). */
  unscored: number;
  notes: string[];
  peakRssMB: number;
  startedAt: string;
  finishedAt: string;
}

/** Default manifest path: `manifest.json` in the first output folder, else beside the first output file. */
export function defaultManifestPath(
  o: Pick<ResolvedFolderOptions, 'masks' | 'freeSpace' | 'kittiRoad' | 'freeSpaceJson' | 'output' | 'manifest'>,
): string {
  if (o.manifest) return path.resolve(o.manifest);
  const dir = o.masks ?? o.freeSpace ?? o.kittiRoad;
  if (dir) return path.resolve(dir, 'manifest.json');
  const file = path.resolve((o.freeSpaceJson ?? o.output)!);
  return path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.manifest.json`);
}

/** Writes the manifest atomically. */
export async function writeManifest(
  file: string,
  summary: FolderRunSummary,
  options: Record<string, unknown>,
): Promise<void> {
  const body = { seg_stream_manifest: 1, ...summary, options };
  await writeFileAtomic(file, Buffer.from(`${JSON.stringify(body, null, 2)}\n`));
}
