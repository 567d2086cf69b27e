/**
 * Labelled dataset splits for evaluation: the image/label pairs of a CamVid, Cityscapes or
 * IDD-Lite split, as the layout finder ({@link findSequences}) sees them, optionally narrowed to
 * some sequence folders (a validation fold, see {@link sequenceFold}), checked (labels present,
 * 8-bit grey, of their image's size) before any pixel is decoded.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import { imageSize, readPngHeader, type PngHeader } from '../codecs/header.js';
import type { DatasetFormat } from './label-maps.js';
import { SEQUENCE_FOLDS, sequenceFold } from './folds.js';
import { findSequences, type FrameEntry, type Sequence } from './layouts.js';

/** Dataset splits the evaluator accepts. */
export const DATASET_SPLITS = Object.freeze(['train', 'val', 'test'] as const);
/** A dataset split. */
export type DatasetSplit = (typeof DATASET_SPLITS)[number];

/** One image and its label. */
export interface DatasetSample {
  /** File name (CamVid) or `<city>/<file>` (Cityscapes, IDD: `<seq>/<file>`), without directories above the split. */
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
  /** Images in the split (in the chosen sequence folders) before `limit` was applied. */
  available: number;
  /** The sequence folders chosen by `fold` or `sequences`, in natural order; absent when the whole split is listed. */
  subset?: { fold?: number; folds?: number; sequences: string[] };
}

/** Options of {@link listDataset}. */
export interface ListDatasetOptions {
  dir: string;
  /** Default `val`. */
  split?: DatasetSplit;
  /** Default: detected (`leftImg8bit/` with `*_image.jpg` frames → idd, other `leftImg8bit/` → cityscapes, `<split>/` → camvid). */
  format?: DatasetFormat;
  /** Keep only the first `limit` samples (natural order); only those are checked. */
  limit?: number;
  /**
   * Keep only the sequence folders (Cityscapes cities, IDD sequences) of this fold,
   * 0..{@link SEQUENCE_FOLDS}−1, as {@link sequenceFold} assigns them.
   */
  fold?: number;
  /** Keep only these sequence folders (names under `<split>/`); each must exist. Not with `fold`. */
  sequences?: readonly string[];
}

const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
const notFound = (message: string) =>
  new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, message, { context: { stage: 'dataset' } });
const corrupt = (message: string) =>
  new SegStreamError(ErrorCodes.INPUT_CORRUPT, message, { context: { stage: 'dataset' } });

function expectedLayout(format: DatasetFormat | undefined, split: string): string {
  const camvid = `CamVid: ${split}/*.png images with ${split}annot/*.png labels of the same name`;
  const cityscapes = `Cityscapes: leftImg8bit/${split}/<city>/*_leftImg8bit.png with gtFine/${split}/<city>/*_gtFine_labelIds.png`;
  const idd = `IDD-Lite: leftImg8bit/${split}/<seq>/<id>_image.jpg with gtFine/${split}/<seq>/<id>_label.png`;
  return format === 'camvid'
    ? camvid
    : format === 'cityscapes'
      ? cityscapes
      : format === 'idd'
        ? idd
        : `${camvid}; or ${cityscapes}; or ${idd}`;
}

/**
 * Lists and checks the image/label pairs of a dataset split.
 *
 * CamVid layout: `<dir>/<split>/*.png` and `<dir>/<split>annot/<same name>`. Cityscapes layout:
 * `<dir>/leftImg8bit/<split>/<city>/<stem>_leftImg8bit.png` and
 * `<dir>/gtFine/<split>/<city>/<stem>_gtFine_labelIds.png`. IDD-Lite layout:
 * `<dir>/leftImg8bit/<split>/<seq>/<id>_image.jpg` (or `.png`) and
 * `<dir>/gtFine/<split>/<seq>/<id>_label.png`. Labels must be 8-bit greyscale PNGs of the image's
 * size. `fold` or `sequences` keep whole sequence folders (Cityscapes and IDD layouts).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` for a missing folder, a folder
 *   without the expected layout (the message says what was expected) or a missing label;
 *   `SEGSTREAM_ERR_NO_FRAMES` for a split without images; `SEGSTREAM_ERR_INPUT_CORRUPT` for a
 *   file that is not a PNG, a label that is not 8-bit grey, or a label of another size;
 *   `SEGSTREAM_ERR_INVALID_OPTION` for a bad split, format, limit or fold, a fold or sequence
 *   list on a CamVid layout (no sequence folders), or a sequence folder the split does not have
 * @example
 * ```ts
 * const ds = await listDataset({ dir: 'datasets/camvid', split: 'val' });
 * ds.samples[0]; // { name: '0016E5_07959.png', image: '/…/val/0016E5_07959.png', label: '/…/valannot/0016E5_07959.png', width: 480, height: 360 }
 * ```
 */
export async function listDataset(options: ListDatasetOptions): Promise<Dataset> {
  const split = options.split ?? 'val';
  if (!DATASET_SPLITS.includes(split)) throw invalidOption('split', DATASET_SPLITS.join(' or '), split);
  if (
    options.format !== undefined &&
    options.format !== 'camvid' &&
    options.format !== 'cityscapes' &&
    options.format !== 'idd'
  ) {
    throw invalidOption('format', 'camvid, cityscapes or idd', options.format);
  }
  const { limit, fold, sequences } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
    throw invalidOption('frames', 'a positive integer', limit);
  if (fold !== undefined && (!Number.isInteger(fold) || fold < 0 || fold >= SEQUENCE_FOLDS))
    throw invalidOption('fold', `an integer from 0 to ${SEQUENCE_FOLDS - 1}`, fold);
  if (fold !== undefined && sequences !== undefined)
    throw invalidOption('sequences', 'either a fold or a list of sequence folders, not both', sequences.join(','));
  if (sequences !== undefined && sequences.length === 0)
    throw invalidOption('sequences', 'at least one sequence folder', '');
  const dir = path.resolve(options.dir);
  if (!(await isDir(dir)))
    throw notFound(
      `dataset folder ${dir} does not exist or is not a folder; expected ${expectedLayout(options.format, split)}`,
    );

  let format = options.format;
  if (format === undefined) {
    if (await isDir(path.join(dir, 'leftImg8bit'))) {
      const idd = (await sequencesOf(dir)).some((s) => s.layout === 'idd');
      format = idd ? 'idd' : 'cityscapes';
    } else if (await isDir(path.join(dir, split))) format = 'camvid';
    else throw notFound(`${dir} has no ${split} split in a known layout; expected ${expectedLayout(undefined, split)}`);
  }
  if (format === 'camvid' && (fold !== undefined || sequences !== undefined)) {
    throw invalidOption(
      fold !== undefined ? 'fold' : 'sequences',
      'a layout with sequence folders (cityscapes or idd)',
      `${dir} (camvid layout)`,
    );
  }
  let pairs = format === 'camvid' ? await camvidPairs(dir, split) : await sequencePairs(dir, split, format);
  if (pairs.length === 0)
    throw new SegStreamError(
      ErrorCodes.NO_FRAMES,
      `no ${format === 'idd' ? 'JPEG or PNG' : 'PNG'} images in the ${split} split of ${dir}; expected ${expectedLayout(format, split)}`,
    );
  let subset: Dataset['subset'];
  if (fold !== undefined || sequences !== undefined) {
    const folders = [...new Set(pairs.map((p) => p.sequence!))];
    const missing = sequences?.filter((s) => !folders.includes(s)) ?? [];
    if (missing.length > 0)
      throw invalidOption('sequences', `sequence folders of the ${split} split of ${dir}`, missing.join(', '));
    const keep = new Set(fold !== undefined ? folders.filter((f) => sequenceFold(f) === fold) : sequences);
    pairs = pairs.filter((p) => keep.has(p.sequence!));
    if (pairs.length === 0)
      throw new SegStreamError(
        ErrorCodes.NO_FRAMES,
        `fold ${fold} of the ${split} split of ${dir} holds no sequence folder (${folders.length} folders in ${SEQUENCE_FOLDS} folds)`,
      );
    subset = {
      ...(fold !== undefined ? { fold, folds: SEQUENCE_FOLDS } : {}),
      sequences: folders.filter((f) => keep.has(f)),
    };
  }
  const chosen = pairs.slice(0, limit);
  const samples: DatasetSample[] = [];
  for (let i = 0; i < chosen.length; i += 32)
    samples.push(...(await Promise.all(chosen.slice(i, i + 32).map(checkPair))));
  return { dir, format, split, samples, available: pairs.length, ...(subset ? { subset } : {}) };
}

/** An image, its label, and (Cityscapes, IDD) the sequence folder under the split holding them. */
type Pair = { name: string; image: string; label: string; sequence?: string };

async function camvidPairs(dir: string, split: string): Promise<Pair[]> {
  const images = path.join(dir, split);
  const labels = path.join(dir, `${split}annot`);
  if (!(await isDir(images)) || !(await isDir(labels))) {
    throw notFound(
      `${dir} is not a CamVid-layout dataset: ${(await isDir(images)) ? `${labels} is missing` : `${images} is missing`}; expected ${expectedLayout('camvid', split)}`,
    );
  }
  const seq = (await sequencesOf(dir)).find((s) => s.layout === 'camvid' && s.id === split);
  return pairsOf(
    (seq?.frames ?? []).filter((f) => /\.png$/i.test(f.file)),
    (f) => path.basename(f.file),
    (f) => path.join(labels, path.basename(f.file)),
  );
}

/** Cityscapes and IDD-Lite: `leftImg8bit/<split>/<seq>/` frames with `gtFine/<split>/<seq>/` labels. */
async function sequencePairs(dir: string, split: string, format: 'cityscapes' | 'idd'): Promise<Pair[]> {
  const images = path.join(dir, 'leftImg8bit', split);
  const labels = path.join(dir, 'gtFine', split);
  if (!(await isDir(images)) || !(await isDir(labels))) {
    const what = format === 'idd' ? 'an IDD-Lite' : 'a Cityscapes';
    throw notFound(
      `${dir} is not ${what}-layout dataset: ${(await isDir(images)) ? `${labels} is missing` : `${images} is missing`}; expected ${expectedLayout(format, split)}`,
    );
  }
  const labelName = (f: FrameEntry) =>
    format === 'idd'
      ? `${f.stem.replace(/_image$/, '')}_label.png`
      : `${f.stem.replace(/_leftImg8bit$/, '')}_gtFine_labelIds.png`;
  const pairs: Pair[] = [];
  for (const seq of (await sequencesOf(dir)).filter((s) => s.layout === format && s.id.startsWith(`${split}/`))) {
    const folder = seq.id.slice(split.length + 1);
    const name = (f: FrameEntry) => `${folder}/${path.basename(f.file)}`;
    const frames = format === 'idd' ? seq.frames : seq.frames.filter((f) => /\.png$/i.test(f.file));
    pairs.push(
      ...pairsOf(frames, name, (f) => path.join(labels, folder, labelName(f))).map((p) => ({ ...p, sequence: folder })),
    );
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

/** Frames as image/label pairs; a frame without its label gets the path where it was expected. */
function pairsOf(frames: FrameEntry[], name: (f: FrameEntry) => string, expected: (f: FrameEntry) => string): Pair[] {
  return frames.map((f) => ({ name: name(f), image: f.file, label: f.label ?? expected(f) }));
}

async function checkPair({ sequence: _, ...pair }: Pair): Promise<DatasetSample> {
  const image = /\.png$/i.test(pair.image) ? await readPngHeader(pair.image) : await imageSize(pair.image);
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
    throw corrupt(
      `label ${pair.label} is a ${label.bitDepth}-bit ${COLOR_TYPES[label.colorType] ?? `colour type ${label.colorType}`} PNG; labels must be 8-bit greyscale PNGs holding one class id per pixel`,
    );
  }
  if (label.width !== image.width || label.height !== image.height) {
    throw corrupt(
      `label ${pair.label} is ${label.width}x${label.height} but its image ${pair.image} is ${image.width}x${image.height}; labels must have their image's size`,
    );
  }
  return { ...pair, width: image.width, height: image.height };
}

const COLOR_TYPES: Record<number, string> = { 0: 'greyscale', 2: 'RGB', 3: 'palette', 4: 'greyscale+alpha', 6: 'RGBA' };
