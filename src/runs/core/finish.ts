/**
 * The finish step of every run kind, in the worker threads, written once: from a frame's class
 * map at the network's output size to everything the sinks take, in one fixed order:
 *
 *   class mask (frame size) → free-space mask → boundary → overlay (blended in the frame's format,
 *   then scaled to an overlay video's size or encoded as JPEG)
 *
 * What a run wants is a {@link FinishConstants} made once per run (or a few: folders have one with
 * and one without the overlay); per frame only the frame travels ({@link FinishFrame}). The
 * constants' derived tables are built once per thread and run (`id`). Buffers: `pixels` is moved
 * to the worker and back; every buffer of the result is new or the thread's own copy, moved back.
 */
import { encodePng } from '../../codecs/png-encode.js';
import { freeSpaceMask, upscaleClassMap } from '../../pixels/class-map.js';
import { EGO_CLASS, egoFor, fillEgo, restoreUnderEgo, saveUnderEgo, type EgoMask } from '../../pixels/ego-mask.js';
import { freeSpaceBoundary } from '../../pixels/free-space-boundary.js';
import {
  applyClassChanges,
  scoreClassChanges,
  type ClassChanges,
  type HeadScoresView,
} from '../../pixels/score-upsample.js';
import { resizeRgb24 } from '../../pixels/resample.js';
import { stampLegend, type LegendStamp } from '../../render/legend.js';
import { blendOverlay, blendOverlayI420 } from '../../render/overlay.js';
import type { PixelFormat } from '../../types.js';
import { headLookup } from '../../infer/argmax.js';
import type { LoadedModel } from '../../infer/types.js';

/** What a run's finish step makes, the same for all its frames. */
export interface FinishConstants {
  /** Identifies the run's constants within the process, so a thread derives its tables once (0: derive per frame). */
  id?: number;
  /** RGBA class LUT (`buildClassLut`) of the overlay; `null`: no overlay, the pixels are handed back untouched. */
  lut: Uint8Array | null;
  /** Overlay opacity 0..1. */
  alpha: number;
  /** Encode the class-id PNG at the frame size. */
  masks: boolean;
  /** Class ids of free space; `null`: no free-space outputs. */
  freeSpaceIds: number[] | null;
  /** Encode the 0/255 free-space PNG at the frame size (default: whenever `freeSpaceIds` is set and `raw` is not). */
  freeSpacePng?: boolean;
  /** The free-space boundary (per column) and the free fraction of the frame. */
  boundary?: boolean;
  /** Hand back the class ids and the 0/255 free space at the frame size as raw bytes (written logs). */
  raw?: boolean;
  /** JPEG quality of the overlay (`overlayJpeg`); undefined: no JPEG. RGB24 frames only. */
  jpegQuality?: number;
  /** The heads' channel → class tables (`headLookup`), for frames that bring their scores (see {@link FinishFrame.scores}). */
  luts?: Int16Array[] | null;
  /** The model card's `outputOffset` (see `classMapAt`). */
  offset?: number;
  /** The camera's own vehicle (option `egoMask`), used for frames of its size: no overlay there, class-id masks 255, never free space. */
  ego?: EgoMask | null;
  /** The overlay's key (option `legend`), composited over the blended frame. */
  legend?: LegendStamp | null;
}

/** One frame to finish. */
export interface FinishFrame {
  /** The frame in `format`; moved to the worker and back (blended when the constants have a LUT). */
  pixels?: Uint8Array;
  format: PixelFormat;
  width: number;
  height: number;
  /** Class ids at the network's output size, `mapWidth * mapHeight` bytes. */
  classMap: Uint8Array;
  mapWidth: number;
  mapHeight: number;
  /**
   * The network's scores behind `classMap` (moved to the worker): every output then takes the
   * class of the bilinear-resized scores at each frame pixel (`classMapAt`); absent, the class map
   * is enlarged by nearest neighbour.
   */
  scores?: HeadScoresView | null;
  /** An overlay video of another size than the frame: the blended RGB24 frame is scaled to it (`video`). */
  videoWidth?: number;
  videoHeight?: number;
}

/** A frame and the run's constants: the `finish` worker task. `run` is the same object for every frame of a run. */
export interface FinishTask extends FinishFrame {
  run: FinishConstants;
}

/** What the finish step made. */
export interface FinishOutput {
  /** The frame handed back (blended with a LUT), unless `video` took its place. */
  pixels?: Uint8Array;
  /** The blended frame scaled to `videoWidth x videoHeight` (RGB24). */
  video?: Uint8Array;
  maskPng?: Uint8Array;
  freeSpacePng?: Uint8Array;
  classIds?: Uint8Array;
  freeSpace?: Uint8Array;
  boundary?: Int32Array;
  freeFraction?: number;
  overlayJpeg?: Uint8Array;
}

// The thread's buffers, reused across frames of one size (a thread finishes one frame at a time).
let fullMap = new Uint8Array(0);
let freeFull = new Uint8Array(0);
let freeSmall = new Uint8Array(0);
// The boundary's class table of the last run seen by this thread.
let boundaryLutOf = { id: -1, lut: new Uint8Array(256) };

/**
 * Whether the constants need the class ids at the frame size (with scores, every output but the
 * overlay takes them from there; the overlay blends the network-size map and the changed pixels).
 */
export function needsFullMap(c: FinishConstants, f?: FinishFrame): boolean {
  return c.masks || c.raw === true || c.boundary === true || (f?.scores != null && c.freeSpaceIds !== null);
}

/**
 * Whether the finish step reads the network's scores (the run's heads' tables are set and some
 * output takes its classes at the frame size); otherwise the engine need not return them, and
 * about 2 MB a frame stay where they are made.
 */
export function usesScores(c: FinishConstants): boolean {
  return (
    (c.luts?.length ?? 0) > 0 &&
    (c.lut !== null || c.freeSpaceIds !== null || c.masks || c.raw === true || c.boundary === true)
  );
}

/**
 * The class ids of `f` at the frame size: of the bilinear scores when the frame has them
 * (`classMapAt`: the nearest enlargement with `changes`, found here unless given), else the class
 * map enlarged nearest-neighbour (pixel centres); 255 under the ego mask. `own`: a new buffer (to
 * be handed back); otherwise the thread's, valid until the next frame.
 */
export function classMaskOf(
  f: FinishFrame,
  c: FinishConstants,
  own = false,
  changes?: ClassChanges | null,
): Uint8Array {
  const n = f.width * f.height;
  if (!own && fullMap.length !== n) fullMap = new Uint8Array(n);
  const out = own ? new Uint8Array(n) : fullMap;
  upscaleClassMap(f.classMap, f.mapWidth, f.mapHeight, f.width, f.height, out);
  if (f.scores) applyClassChanges(out, changes ?? scoreChangesOf(f, c));
  const ego = egoFor(c.ego, f.width, f.height);
  if (ego) fillEgo(out, ego, EGO_CLASS);
  return out;
}

/** Where the class of `f`'s bilinear scores differs from its class map's nearest enlargement (`scoreClassChanges`). */
function scoreChangesOf(f: FinishFrame, c: FinishConstants): ClassChanges {
  const src = { classMap: f.classMap, width: f.mapWidth, height: f.mapHeight, scores: f.scores, luts: c.luts };
  return scoreClassChanges({ ...src, offset: c.offset }, f.width, f.height);
}

/**
 * Finishes one frame (see the module comment). `full`: the class mask at the frame size when the
 * caller made it already (a score needs it too).
 */
export function finishFrame(f: FinishFrame, c: FinishConstants, full?: Uint8Array): FinishOutput {
  const out: FinishOutput = {};
  const { width, height } = f;
  // With scores and no full map from the caller: the changed pixels, found once for the full map and the overlay.
  const changes = f.scores && full === undefined ? scoreChangesOf(f, c) : null;
  if (full === undefined && needsFullMap(c, f)) full = classMaskOf(f, c, c.raw === true, changes);
  if (c.masks) out.maskPng = encodePng(full!, width, height, 'gray');
  if (c.raw) out.classIds = full;
  if (c.freeSpaceIds !== null) finishFreeSpace(f, c, full, out);
  if (c.lut !== null && f.pixels !== undefined) {
    const blend = f.format === 'yuv420p' ? blendOverlayI420 : blendOverlay;
    const ego = egoFor(c.ego, width, height);
    const underEgo = ego ? saveUnderEgo(f.pixels, f.format, ego) : null;
    if (f.scores && !changes) blend(f.pixels, width, height, full!, width, height, c.lut, c.alpha);
    else blend(f.pixels, width, height, f.classMap, f.mapWidth, f.mapHeight, c.lut, c.alpha, changes);
    if (underEgo) restoreUnderEgo(f.pixels, f.format, ego!, underEgo);
    if (c.legend) stampLegend(f.pixels, f.format, width, height, c.legend);
  }
  if (f.videoWidth !== undefined && f.videoHeight !== undefined && f.pixels !== undefined && c.lut !== null) {
    const video = resizeRgb24(f.pixels, width, height, f.videoWidth, f.videoHeight);
    out.video = video.byteOffset !== 0 || video.byteLength !== video.buffer.byteLength ? video.slice() : video;
  } else out.pixels = f.pixels;
  return out;
}

/** Free space: the 0/255 mask (raw and/or PNG) and the boundary. */
function finishFreeSpace(f: FinishFrame, c: FinishConstants, full: Uint8Array | undefined, out: FinishOutput): void {
  const ids = c.freeSpaceIds!;
  const { width, height } = f;
  const png = c.freeSpacePng ?? !c.raw;
  const ego = egoFor(c.ego, width, height);
  if (c.raw) out.freeSpace = freeSpaceMask(full!, ids);
  if (png) {
    if (freeFull.length !== width * height) freeFull = new Uint8Array(width * height);
    if (f.scores) freeSpaceMask(full!, ids, freeFull);
    else {
      // From the class map at the network size, then scaled: the same pixels as masking a nearest `full`, on fewer of them.
      const small = f.mapWidth * f.mapHeight;
      if (freeSmall.length !== small) freeSmall = new Uint8Array(small);
      freeSpaceMask(f.classMap.subarray(0, small), ids, freeSmall);
      upscaleClassMap(freeSmall, f.mapWidth, f.mapHeight, width, height, freeFull);
      if (ego) fillEgo(freeFull, ego, 0);
    }
    out.freeSpacePng = encodePng(freeFull, width, height, 'gray');
  }
  if (c.boundary) {
    const fs = freeSpaceBoundary(full!, width, height, boundaryLut(c), ego ? EGO_CLASS : undefined);
    out.boundary = fs.boundary;
    out.freeFraction = fs.freeFraction;
  }
}

/** The 0/1 free-space class table of `c`, built once per thread and run. */
function boundaryLut(c: FinishConstants): Uint8Array {
  if (c.id !== undefined && c.id > 0 && boundaryLutOf.id === c.id) return boundaryLutOf.lut;
  const lut = new Uint8Array(256);
  for (const id of c.freeSpaceIds!) lut[id] = 1;
  boundaryLutOf = { id: c.id ?? 0, lut };
  return lut;
}

/** The `finish` task: {@link finishFrame}, then the overlay as JPEG when asked for (sharp, loaded only then). */
export async function finishTask(t: FinishTask): Promise<FinishOutput> {
  const out = finishFrame(t, t.run);
  if (t.run.jpegQuality !== undefined && out.pixels !== undefined) {
    const { default: sharp } = await import('sharp');
    const buf = await sharp(out.pixels, { raw: { width: t.width, height: t.height, channels: 3 } })
      .jpeg({ quality: t.run.jpegQuality })
      .toBuffer();
    out.overlayJpeg = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
  }
  return out;
}

/** The constants by which frames with scores take the class of the resized scores: the heads' tables and the card's output offset. */
export function scoreTables(model: LoadedModel): Pick<FinishConstants, 'luts' | 'offset'> {
  return { luts: model.card.heads.map(headLookup), offset: model.card.outputOffset };
}

let lastId = 0;

/** Constants for a run: `c` with a process-unique `id` (call once per run, not per frame). */
export function finishConstants(c: Omit<FinishConstants, 'id'>): Readonly<FinishConstants> {
  return Object.freeze({ ...c, id: ++lastId });
}
