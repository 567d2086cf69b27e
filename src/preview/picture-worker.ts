/**
 * The preview's worker module (a one-thread {@link WorkerPool} of its own, loaded from the
 * compiled `dist/preview/picture-worker.js`): paints the asked views of a frame at preview size
 * and encodes them as JPEG with sharp (libvips), off the run's main thread. Started only when a
 * browser asks for a picture.
 */
import sharp from 'sharp';
import { defineTask } from '../workers/task.js';
import { ownsBuffer } from '../workers/transfer.js';
import {
  boundaryFractions,
  paintPreview,
  pixelShares,
  previewSize,
  type PaintStyle,
  type PixelShares,
  type PreviewPixels,
  type PreviewView,
} from './paint.js';

// One libvips thread: the run needs the other cores, and a preview picture is small.
sharp.concurrency(1);
sharp.cache(false);

/** A frame to paint. */
export interface PreviewTask {
  frame: PreviewPixels;
  views: PreviewView[];
  style: PaintStyle;
  maxWidth: number;
  quality: number;
  boundary: boolean;
}

/** The pictures of one frame. */
export interface PreviewTaskResult {
  index: number;
  width: number;
  height: number;
  images: Partial<Record<PreviewView, Uint8Array>>;
  shares: PixelShares;
  boundary?: (number | null)[];
}

// One picture at a time: the painted pixels reuse one buffer (no garbage per picture).
let canvas = new Uint8Array(0);

/** Paints and encodes `task.views` of `task.frame`. */
async function paintPictures(task: PreviewTask): Promise<PreviewTaskResult> {
  const { frame, style } = task;
  const { width, height } = previewSize(frame.width, frame.height, task.maxWidth);
  const images: PreviewTaskResult['images'] = {};
  if (canvas.length < width * height * 3) canvas = new Uint8Array(width * height * 3);
  const rgb = canvas.subarray(0, width * height * 3);
  for (const view of task.views) {
    paintPreview(frame, view, style, width, height, rgb);
    const jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: task.quality })
      .toBuffer();
    // Moved back to the caller: a JPEG that shares its ArrayBuffer with other bytes is copied first.
    images[view] = ownsBuffer(jpeg) ? new Uint8Array(jpeg.buffer) : new Uint8Array(jpeg);
  }
  return {
    index: frame.index,
    width,
    height,
    images,
    shares: pixelShares(frame.classMap, style),
    boundary: task.boundary ? boundaryFractions(frame, style.isFree) : undefined,
  };
}

/** The pictures of one frame; the JPEGs move back to the caller. */
export const picture = defineTask(paintPictures, (r) => Object.values(r.images));
