/**
 * Labelled dataset folders: finding image/label pairs in the CamVid and Cityscapes layouts and
 * checking them (sizes, label format) before any pixel is decoded.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import type { DatasetFormat } from './label-maps.js';
import { readPngHeader, type PngHeader } from '../codecs/header.js';

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

/**
 * Natural order: runs of digits compare as numbers (`img2` < `img10`), everything else by
 * UTF-16 code unit; on a tie (e.g. `01` vs `1`) the plain string order decides. Independent of
 * locale, so every machine lists a dataset in the same order.
 */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else {
      return x < y ? -1 : 1;
    }
  }
  if (ta.length !== tb.length) return ta.length - tb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
const notFound = (message: string) => new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, message, { context: { stage: 'dataset' } });
const corrupt = (message: string) => new SegStreamError(ErrorCodes.INPUT_CORRUPT, message, { context: { stage: 'dataset' } });

function expectedLayout(format: DatasetFormat | undefined, split: string): string {
  const camvid = `CamVid: ${split}/*.png images with ${split}annot/*.png labels of the same name`;
  const cityscapes = `Cityscapes: leftImg8bit/${split}/<city>/*_leftImg8bit.png with gtFine/${split}/<city>/*_gtFine_labelIds.png`;
  return format === 'camvid' ? camvid : format === 'cityscapes' ? cityscapes : `${camvid}; or ${cityscapes}`;
}

const pngNames = async (dir: string) =>
  (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && /\.png$/i.test(e.name)).map((e) => e.name).sort(naturalCompare);

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
  return (await pngNames(images)).map((name) => ({ name, image: path.join(images, name), label: path.join(labels, name) }));
}

async function cityscapesPairs(dir: string, split: string): Promise<Pair[]> {
  const images = path.join(dir, 'leftImg8bit', split);
  const labels = path.join(dir, 'gtFine', split);
  if (!(await isDir(images)) || !(await isDir(labels))) {
    throw notFound(`${dir} is not a Cityscapes-layout dataset: ${await isDir(images) ? `${labels} is missing` : `${images} is missing`}; expected ${expectedLayout('cityscapes', split)}`);
  }
  const cities = (await readdir(images, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort(naturalCompare);
  const pairs: Pair[] = [];
  for (const city of cities) {
    for (const file of await pngNames(path.join(images, city))) {
      const m = /^(.*)_leftImg8bit\.png$/i.exec(file);
      if (!m) continue;
      pairs.push({ name: `${city}/${file}`, image: path.join(images, city, file), label: path.join(labels, city, `${m[1]}_gtFine_labelIds.png`) });
    }
  }
  return pairs;
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
