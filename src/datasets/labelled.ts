/**
 * Labelled dataset splits for evaluation: the image/label pairs of a CamVid or Cityscapes split,
 * as the layout finder ({@link findSequences}) sees them, checked (labels present, 8-bit grey, of
 * their image's size) before any pixel is decoded.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import { readPngHeader, type PngHeader } from '../codecs/header.js';
import type { DatasetFormat } from './label-maps.js';
import { findSequences, type FrameEntry, type Sequence } from './layouts.js';

/** Dataset splits the evaluator accepts. */
export const DATASET_SPLITS = Object.freeze(['train', 'val', 'test'] as const);
/** A dataset split. */
export type DatasetSplit = (typeof DATASET_SPLITS)[number];

/** One image and its label. */
export interface DatasetSample {
  /** File name (CamVid) or `<city>/<file>` (Cityscapes), without directories above the split. */
  name: string;
  /** Absolute path of the RGB image. */
  image: string;
  /** Absolute path of the 8-bit greyscale label PNG. */
  label: string;
  width: number;
  height: number;
}

/** A listed dataset split. */
export interface Dataset {
  /** Absolute dataset folder. */
  dir: string;
  format: DatasetFormat;
  split: DatasetSplit;
  /** Samples in natural order, at most `limit`. */
  samples: DatasetSample[];
  /** Images in the split before `limit` was applied. */
  available: number;
}

/** Options of {@link listDataset}. */
export interface ListDatasetOptions {
  dir: string;
  /** Default `val`. */
  split?: DatasetSplit;
  /** Default: detected (`leftImg8bit/` → cityscapes, `<split>/` → camvid). */
  format?: DatasetFormat;
  /** Keep only the first `limit` samples (natural order); only those are checked. */
  limit?: number;
}

const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
const notFound = (message: string) => new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, message, { context: { stage: 'dataset' } });
const corrupt = (message: string) => new SegStreamError(ErrorCodes.INPUT_CORRUPT, message, { context: { stage: 'dataset' } });

function expectedLayout(format: DatasetFormat | undefined, split: string): string {
  const camvid = `CamVid: ${split}/*.png images with ${split}annot/*.png labels of the same name`;
  const cityscapes = `Cityscapes: leftImg8bit/${split}/<city>/*_leftImg8bit.png with gtFine/${split}/<city>/*_gtFine_labelIds.png`;
  return format === 'camvid' ? camvid : format === 'cityscapes' ? cityscapes : `${camvid}; or ${cityscapes}`;
}

/**
 * Lists and checks the image/label pairs of a dataset split.
 *
 * CamVid layout: `<dir>/<split>/*.png` and `<dir>/<split>annot/<same name>`. Cityscapes layout:
 * `<dir>/leftImg8bit/<split>/<city>/<stem>_leftImg8bit.png` and
 * `<dir>/gtFine/<split>/<city>/<stem>_gtFine_labelIds.png`. Labels must be 8-bit greyscale PNGs
 * of the image's size.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` for a missing folder, a folder
 *   without the expected layout (the message says what was expected) or a missing label;
 *   `SEGSTREAM_ERR_NO_FRAMES` for a split without images; `SEGSTREAM_ERR_INPUT_CORRUPT` for a
 *   file that is not a PNG, a label that is not 8-bit grey, or a label of another size;
 *   `SEGSTREAM_ERR_INVALID_OPTION` for a bad split, format or limit
 * @example
 * ```ts
 * const ds = await listDataset({ dir: 'datasets/camvid', split: 'val' });
 * ds.samples[0]; // { name: '0016E5_07959.png', image: '/…/val/0016E5_07959.png', label: '/…/valannot/0016E5_07959.png', width: 480, height: 360 }
 * ```
 */
export async function listDataset(options: ListDatasetOptions): Promise<Dataset> {
  const split = options.split ?? 'val';
  if (!DATASET_SPLITS.includes(split)) throw invalidOption('split', DATASET_SPLITS.join(' or '), split);
  if (options.format !== undefined && options.format !== 'camvid' && options.format !== 'cityscapes') {
    throw invalidOption('format', 'camvid or cityscapes', options.format);
  }
  const { limit } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw invalidOption('frames', 'a positive integer', limit);
  const dir = path.resolve(options.dir);
  if (!(await isDir(dir))) throw notFound(`dataset folder ${dir} does not exist or is not a folder; expected ${expectedLayout(options.format, split)}`);

  let format = options.format;
  if (format === undefined) {
    if (await isDir(path.join(dir, 'leftImg8bit'))) format = 'cityscapes';
    else if (await isDir(path.join(dir, split))) format = 'camvid';
    else throw notFound(`${dir} has no ${split} split in a known layout; expected ${expectedLayout(undefined, split)}`);
  }
  const pairs = format === 'camvid' ? await camvidPairs(dir, split) : await cityscapesPairs(dir, split);
  if (pairs.length === 0) throw new SegStreamError(ErrorCodes.NO_FRAMES, `no PNG images in the ${split} split of ${dir}; expected ${expectedLayout(format, split)}`);
  const chosen = pairs.slice(0, limit);
  const samples: DatasetSample[] = [];
  for (let i = 0; i < chosen.length; i += 32) samples.push(...(await Promise.all(chosen.slice(i, i + 32).map(checkPair))));
  return { dir, format, split, samples, available: pairs.length };
}

type Pair = { name: string; image: string; label: string };

async function camvidPairs(dir: string, split: string): Promise<Pair[]> {
  const images = path.join(dir, split);
  const labels = path.join(dir, `${split}annot`);
  if (!(await isDir(images)) || !(await isDir(labels))) {
    throw notFound(`${dir} is not a CamVid-layout dataset: ${await isDir(images) ? `${labels} is missing` : `${images} is missing`}; expected ${expectedLayout('camvid', split)}`);
  }
  const seq = (await sequencesOf(dir)).find((s) => s.layout === 'camvid' && s.id === split);
  return pairsOf(seq?.frames ?? [], (f) => path.basename(f.file), (f) => path.join(labels, path.basename(f.file)));
}

async function cityscapesPairs(dir: string, split: string): Promise<Pair[]> {
  const images = path.join(dir, 'leftImg8bit', split);
  const labels = path.join(dir, 'gtFine', split);
  if (!(await isDir(images)) || !(await isDir(labels))) {
    throw notFound(`${dir} is not a Cityscapes-layout dataset: ${await isDir(images) ? `${labels} is missing` : `${images} is missing`}; expected ${expectedLayout('cityscapes', split)}`);
  }
  const pairs: Pair[] = [];
  for (const seq of (await sequencesOf(dir)).filter((s) => s.layout === 'cityscapes' && s.id.startsWith(`${split}/`))) {
    const city = seq.id.slice(split.length + 1);
    const name = (f: FrameEntry) => `${city}/${path.basename(f.file)}`;
    pairs.push(...pairsOf(seq.frames, name, (f) => path.join(labels, city, `${f.stem.replace(/_leftImg8bit$/, '')}_gtFine_labelIds.png`)));
  }
  return pairs;
}

/** The sequences the layout finder sees in `dir` (none when it finds no frames). */
async function sequencesOf(dir: string): Promise<Sequence[]> {
  return findSequences(dir).catch((err: unknown) => {
    if (err instanceof SegStreamError && err.code === ErrorCodes.NO_FRAMES) return [];
    throw err;
  });
}

/** PNG frames as image/label pairs; a frame without its label gets the path where it was expected. */
function pairsOf(frames: FrameEntry[], name: (f: FrameEntry) => string, expected: (f: FrameEntry) => string): Pair[] {
  return frames.filter((f) => /\.png$/i.test(f.file)).map((f) => ({ name: name(f), image: f.file, label: f.label ?? expected(f) }));
}

async function checkPair(pair: Pair): Promise<DatasetSample> {
  const image = await readPngHeader(pair.image);
  let label: PngHeader;
  try {
    label = await readPngHeader(pair.label);
  } catch (err) {
    if (err instanceof SegStreamError && err.code === ErrorCodes.INPUT_NOT_FOUND) {
      throw notFound(`the label of ${pair.image} is missing: expected ${pair.label}; add it or remove the image`);
    }
    throw err;
  }
  if (label.colorType !== 0 || label.bitDepth !== 8) {
    throw corrupt(`label ${pair.label} is a ${label.bitDepth}-bit ${COLOR_TYPES[label.colorType] ?? `colour type ${label.colorType}`} PNG; labels must be 8-bit greyscale PNGs holding one class id per pixel`);
  }
  if (label.width !== image.width || label.height !== image.height) {
    throw corrupt(`label ${pair.label} is ${label.width}x${label.height} but its image ${pair.image} is ${image.width}x${image.height}; labels must have their image's size`);
  }
  return { ...pair, width: image.width, height: image.height };
}

const COLOR_TYPES: Record<number, string> = { 0: 'greyscale', 2: 'RGB', 3: 'palette', 4: 'greyscale+alpha', 6: 'RGBA' };
