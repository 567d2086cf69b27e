/**
 * The JSON summary of a video or live run, apart from the run itself so that the summaries built
 * outside it (a live run stopped while connecting) share the type without an import cycle.
 */
import type { EgoMaskSummary } from '../../render/ego-mask-source.js';
import type { StopReason } from '../../defaults.js';
import type { NetworkInput } from '../../infer/input-size.js';
import type { ChunkRange } from './range.js';
import type { StabilitySummary } from '../../temporal/stability.js';
import type { LatencySummary } from '../latency.js';
import type { StageMs } from '../stats.js';

/** The JSON summary of a run. */
export interface RunSummary {
  /** The input, credentials removed. */
  input: string;
  live: boolean;
  /** A chunk run (`range`): the frames of the whole file it covered. */
  range?: ChunkRange;
  /** `videos`: live runs whose camera changed size, every overlay file in order (`video` is the first). */
  outputs: {
    video?: string;
    videos?: string[];
    segments?: string[];
    masks?: string;
    freeSpace?: string;
    stats?: string;
  };
  /** Frames written to every output. */
  frames: number;
  /** `frames / wallSeconds`. */
  fps: number;
  /** From the moment the engine is ready to the outputs being complete. */
  wallSeconds: number;
  /** Before that: probing the input, loading the model, starting the engine (the workers start alongside). */
  setupSeconds: number;
  engine: string;
  backend: string;
  model: string;
  /**
   * The size frames were resized to for the network, the same for the whole run, and how the
   * card chose it (`aspect`: from the source's aspect; `stretch`: the card's one size). Absent
   * when no engine ran (a live run stopped while connecting).
   */
  networkInput?: NetworkInput;
  source: { width: number; height: number; fps: string; frames?: number; audio: string[] };
  /** With option `egoMask`: where the mask came from, how much it covers, the PNG read or written. */
  egoMask?: EgoMaskSummary;
  /** Milliseconds per frame: decode/encode are ffmpeg CPU time, the others time spent in the stage. */
  stageMs: StageMs;
  /** Live streams: frames received but dropped as stale before preprocessing. Files never drop. */
  droppedFrames: number;
  /** Live streams: connections lost and made again. */
  reconnects: number;
  /** Milliseconds from a frame leaving the decoder to leaving the sinks. */
  latencyMs: LatencySummary;
  /** How steady the labels are between consecutive frames (docs/temporal-stability.md); `smooth` is the strength used (0: off). */
  stability: StabilitySummary & { smooth: number };
  /** Why the run ended. */
  stopped: StopReason;
  peakRssMB: number;
  /** The most frames in flight at once (bounded by maxInFlight). */
  peakInFlight: number;
  ffmpeg: { path: string; source: string };
  /**
   * Files: error messages ffmpeg logged while decoding (damaged or truncated input); 0 for a
   * clean file. The run still succeeds: frames that decode are all written.
   */
  decodeErrors: number;
  /**
   * Unfinished live recordings of earlier runs that were killed, found in the output folders and
   * kept (fragmented MP4, playable up to their last fragment); stale temporary files of killed
   * runs are removed.
   */
  staleRecordings: string[];
  /**
   * Files: frames the input holds (counted at probe) that could not be decoded. In the overlay
   * their time is kept (the last good frame is held), so picture and sound stay in sync.
   */
  missingFrames: number;
}
