/**
 * Finding the frame sequences of an input: a folder of frames, a glob, a list of files, or a
 * dataset layout recognised from its folders (KITTI raw, KITTI semantics, KITTI road, CamVid,
 * Cityscapes, IDD-Lite), each frame paired with its ground truth where the dataset has one.
 */
import type { Dirent } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { naturalCompare } from './natural-order.js';
import { expandGlob, isGlob } from './glob.js';
import { isImageName } from './image-name.js';
import { folderIdentity } from './input-guard.js';

/** Layouts a sequence can come from. */
export type LayoutName =
  'frames' | 'glob' | 'files' | 'kitti-raw' | 'kitti-semantics' | 'kitti-road' | 'camvid' | 'cityscapes' | 'idd';

/**
 * How a sequence's ground truth is read and mapped to the model's classes:
 * `camvid` (8-bit CamVid-11 ids, 11 = Unlabelled), `cityscapes` (8-bit Cityscapes `labelIds`:
 * Cityscapes gtFine and KITTI semantics), `idd` (8-bit IDD level-1 ids 0..6, 255 void: IDD-Lite),
 * `kitti-road` (RGB: road = magenta, valid = red > 0).
 */
export type LabelFormat = 'camvid' | 'cityscapes' | 'idd' | 'kitti-road';

/** One frame of a sequence. */
export interface FrameEntry {
  /** Absolute image path. */
  file: string;
  /** File name without extension; outputs are named after it. */
  stem: string;
  /** Absolute ground-truth path, when the dataset has one for this frame. */
  label?: string;
}

/** A sequence of frames processed in natural file-name order. */
export interface Sequence {
  /** Path relative to the input (`image_02`, `training`, `val/aachen`), `""` when the input is the sequence. */
  id: string;
  layout: LayoutName;
  /** Folder holding the frames (the glob's base folder for globs). */
  dir: string;
  frames: FrameEntry[];
  /** Ground-truth format, when at least one frame has a label. */
  labelFormat?: LabelFormat;
}

/** Options of {@link findSequences}. */
export interface FindSequencesOptions {
  /** `batch`: walk the whole tree below the input and collect every sequence. Default false. */
  recursive?: boolean;
  /** Folders never entered (the run's own output folders). */
  exclude?: string[];
  /** Deepest folder level the walk enters below the root. Default 8. */
  maxDepth?: number;
  /** Receives what the walk left out and why (a folder reached twice through symlinks). */
  notes?: string[];
}

const KITTI_ROAD_RE = /^(um|umm|uu)_(\d+)$/;
/** IDD-Lite frame stems end in `_image` (`024541_image.jpg`; its label is `024541_label.png`). */
const IDD_IMAGE_RE = /_image$/;
const exists = async (p: string) => (await stat(p).catch(() => undefined)) !== undefined;
const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
/** File name without its extension; slices, so listing a folder of many frames makes little garbage. */
function stemOf(file: string): string {
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  return dot >= 0 && dot < base.length - 1 ? base.slice(0, dot) : base;
}

export { isImageName };

/**
 * Names of the entries of `dir` that `keep` takes, in natural order (none when it cannot be read).
 * Streams the folder: a folder of many thousand frames never becomes an array of all its entries.
 */
async function namesIn(dir: string, keep: (e: Dirent) => boolean | Promise<boolean>): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of await opendir(dir)) if (await keep(e)) names.push(e.name);
  } catch {
    return [];
  }
  return names.sort(naturalCompare);
}

const listImages = (dir: string) => namesIn(dir, (e) => (e.isFile() || e.isSymbolicLink()) && isImageName(e.name));

// A symlink to a folder counts as a folder (a sequence linked into a dataset tree); the walk guards against loops.
const subdirs = (dir: string) =>
  namesIn(
    dir,
    (e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && isDir(path.join(dir, e.name)))),
  );

function sequence(
  id: string,
  layout: LayoutName,
  dir: string,
  frames: FrameEntry[],
  labelFormat?: LabelFormat,
): Sequence {
  const seen = new Map<string, string>();
  for (const f of frames) {
    const other = seen.get(f.stem);
    if (other) {
      throw new SegStreamError(
        ErrorCodes.INPUT_CORRUPT,
        `${other} and ${f.file} share the name "${f.stem}", so their outputs would overwrite each other; rename or remove one`,
        {
          context: { stage: 'list' },
        },
      );
    }
    seen.set(f.stem, f.file);
  }
  const hasLabels = labelFormat !== undefined && frames.some((f) => f.label !== undefined);
  return { id, layout, dir, frames, ...(hasLabels ? { labelFormat } : {}) };
}

/** Frames of a plain folder; a CamVid-style sibling `<dir>annot/` with the same names is used as ground truth. */
async function plainFolder(dir: string, id: string, layout: LayoutName = 'frames'): Promise<Sequence | null> {
  const names = await listImages(dir);
  if (names.length === 0) return null;
  const annot = `${dir.replace(/[\\/]+$/, '')}annot`;
  const withAnnot = await isDir(annot);
  const frames: FrameEntry[] = [];
  // `dir` with one trailing separator: a frame's path is a concatenation, not a path.join per frame.
  const base = path.join(dir, path.sep);
  for (const name of names) {
    const frame: FrameEntry = { file: base + name, stem: stemOf(name) };
    if (withAnnot && (await exists(path.join(annot, name)))) frame.label = path.join(annot, name);
    frames.push(frame);
  }
  return sequence(id, withAnnot ? 'camvid' : layout, dir, frames, withAnnot ? 'camvid' : undefined);
}

const join = (prefix: string, id: string) => (prefix && id ? `${prefix}/${id}` : prefix || id);

/**
 * Recognises a known dataset layout at `dir` (not a plain frame folder). Returns its sequences,
 * ids prefixed with `prefix`, or null.
 */
async function datasetAt(dir: string, prefix: string): Promise<Sequence[] | null> {
  // KITTI raw: <drive>_sync/image_02/data/*.png and image_03 (the colour cameras).
  const cams = [];
  for (const cam of ['image_02', 'image_03']) if (await isDir(path.join(dir, cam, 'data'))) cams.push(cam);
  if (cams.length > 0) {
    const out: Sequence[] = [];
    for (const cam of cams) {
      const s = await plainFolder(path.join(dir, cam, 'data'), join(prefix, cam), 'kitti-raw');
      if (s) out.push(s);
    }
    return out;
  }
  if (/^image_0[0-3]$/.test(path.basename(dir)) && (await isDir(path.join(dir, 'data')))) {
    const s = await plainFolder(path.join(dir, 'data'), prefix, 'kitti-raw');
    return s ? [s] : null;
  }

  // KITTI semantics / road: <root>/{training,testing}/image_2, or a split folder holding image_2.
  const splits: [string, string][] = [];
  if (await isDir(path.join(dir, 'image_2'))) splits.push([dir, prefix]);
  else
    for (const s of ['training', 'testing'])
      if (await isDir(path.join(dir, s, 'image_2'))) splits.push([path.join(dir, s), join(prefix, s)]);
  if (splits.length > 0) {
    const out: Sequence[] = [];
    for (const [split, id] of splits) {
      const images = path.join(split, 'image_2');
      const names = await listImages(images);
      if (names.length === 0) continue;
      const road = names.every((n) => KITTI_ROAD_RE.test(stemOf(n)));
      const frames: FrameEntry[] = [];
      for (const name of names) {
        const stem = stemOf(name);
        // Road ground truth: gt_image_2/<cat>_road_<id>.png (the <cat>_lane_ files are lane markings, not road).
        const gt = road
          ? path.join(split, 'gt_image_2', `${stem.replace(KITTI_ROAD_RE, '$1_road_$2')}.png`)
          : path.join(split, 'semantic', name);
        frames.push({ file: path.join(images, name), stem, ...((await exists(gt)) ? { label: gt } : {}) });
      }
      out.push(
        sequence(id, road ? 'kitti-road' : 'kitti-semantics', images, frames, road ? 'kitti-road' : 'cityscapes'),
      );
    }
    return out.length > 0 ? out : null;
  }

  // Cityscapes: leftImg8bit/<split>/<city>/*_leftImg8bit.png with gtFine/<split>/<city>/*_gtFine_labelIds.png.
  // IDD-Lite: the same folders, leftImg8bit/<split>/<seq>/<id>_image.jpg with gtFine/<split>/<seq>/<id>_label.png.
  if (await isDir(path.join(dir, 'leftImg8bit'))) {
    const out: Sequence[] = [];
    for (const split of await subdirs(path.join(dir, 'leftImg8bit'))) {
      for (const city of await subdirs(path.join(dir, 'leftImg8bit', split))) {
        const images = path.join(dir, 'leftImg8bit', split, city);
        const names = await listImages(images);
        const idd = names.length > 0 && names.every((n) => IDD_IMAGE_RE.test(stemOf(n)));
        const frames: FrameEntry[] = [];
        for (const name of names) {
          const gt = idd
            ? path.join(dir, 'gtFine', split, city, `${stemOf(name).replace(IDD_IMAGE_RE, '')}_label.png`)
            : path.join(dir, 'gtFine', split, city, `${stemOf(name).replace(/_leftImg8bit$/, '')}_gtFine_labelIds.png`);
          frames.push({
            file: path.join(images, name),
            stem: stemOf(name),
            ...((await exists(gt)) ? { label: gt } : {}),
          });
        }
        const layout = idd ? 'idd' : 'cityscapes';
        if (frames.length > 0) out.push(sequence(join(prefix, `${split}/${city}`), layout, images, frames, layout));
      }
    }
    return out.length > 0 ? out : null;
  }

  // CamVid: <split>/ with <split>annot/ beside it.
  const names = await subdirs(dir);
  const camvid = names.filter((n) => names.includes(`${n}annot`));
  if (camvid.length > 0) {
    const out: Sequence[] = [];
    for (const split of camvid) {
      const s = await plainFolder(path.join(dir, split), join(prefix, split));
      if (s) out.push(s);
    }
    return out.length > 0 ? out : null;
  }
  return null;
}

/** Expected layouts, for "nothing found" messages. */
export const LAYOUT_HELP =
  'a folder of PNG/JPEG frames, a glob ("frames/*.png"), KITTI raw (<drive>_sync/image_02/data/*.png), KITTI semantics (training/image_2 + training/semantic), ' +
  'KITTI road (training/image_2/um_000000.png + training/gt_image_2), CamVid (<split>/ + <split>annot/), Cityscapes (leftImg8bit/ + gtFine/) ' +
  'or IDD-Lite (leftImg8bit/<split>/<seq>/*_image.jpg + gtFine/<split>/<seq>/*_label.png)';

/**
 * Finds the sequences of an input: a glob or file list, a frame folder, or a dataset layout;
 * with `recursive`, every sequence anywhere below the input folder.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` when the input does not exist;
 *   `SEGSTREAM_ERR_NO_FRAMES` when it holds no frames (without `recursive` and with sequences
 *   below: the message says what was found there and names option `recursive`, and the error's
 *   `context.option` is `recursive`; otherwise it lists the layouts looked for);
 *   `SEGSTREAM_ERR_INPUT_CORRUPT` when two frames of a sequence share a name
 * @example
 * ```ts
 * const seqs = await findSequences('kitti/2011_09_26_drive_0005_sync');
 * // [{ id: 'image_02', layout: 'kitti-raw', frames: [...] }, { id: 'image_03', ... }]
 * ```
 */
export async function findSequences(input: string | string[], options: FindSequencesOptions = {}): Promise<Sequence[]> {
  if (Array.isArray(input)) {
    // A shell-expanded glob arrives in the shell's order (frame1, frame10, frame2): natural order, as a quoted glob.
    const files = input.map((f) => path.resolve(f)).sort(naturalCompare);
    for (const f of files) if (!(await exists(f))) throw notFound(f);
    return [
      sequence(
        '',
        'files',
        path.dirname(files[0]),
        files.map((file) => ({ file, stem: stemOf(file) })),
      ),
    ];
  }
  if (isGlob(input)) {
    const { base, files } = await expandGlob(input);
    const images = files.filter((f) => isImageName(path.basename(f)));
    if (images.length === 0)
      throw new SegStreamError(
        ErrorCodes.NO_FRAMES,
        `the pattern ${JSON.stringify(input)} matches no PNG or JPEG file`,
      );
    return [
      sequence(
        '',
        'glob',
        base,
        images.map((file) => ({ file, stem: stemOf(file) })),
      ),
    ];
  }
  const root = path.resolve(input);
  if (!(await exists(root))) throw notFound(root);
  if (!(await isDir(root))) throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `${root} is not a folder of frames`);
  const found = await walkTree(root, options);
  if (found.length > 0) return found;
  if (!options.recursive) {
    // Nothing here: say what is below (a KITTI raw date folder holds drives) and how to take it.
    const below = await walkTree(root, { ...options, recursive: true, notes: undefined });
    if (below.length > 0)
      throw new SegStreamError(
        ErrorCodes.NO_FRAMES,
        `no frames in ${root} itself; found ${describeBelow(below)}; set option \`recursive\` to take every sequence below it`,
        { context: { option: 'recursive' } },
      );
  }
  throw new SegStreamError(
    ErrorCodes.NO_FRAMES,
    `no frames found in ${root}; expected ${LAYOUT_HELP}${options.recursive ? ' anywhere below it' : ''}`,
  );
}

const LAYOUT_NAMES: Readonly<Record<LayoutName, string>> = Object.freeze({
  frames: 'frame folders',
  glob: 'globs',
  files: 'files',
  'kitti-raw': 'KITTI raw',
  'kitti-semantics': 'KITTI semantics',
  'kitti-road': 'KITTI road',
  camvid: 'CamVid',
  cityscapes: 'Cityscapes',
  idd: 'IDD-Lite',
});

/** "4 sequences below it (KITTI raw, in 2 folders: 2011_09_26_drive_0001_sync, 2011_09_26_drive_0002_sync)". */
function describeBelow(found: readonly Sequence[]): string {
  const layouts = [...new Set(found.map((s) => LAYOUT_NAMES[s.layout]))].join(', ');
  const tops = [...new Set(found.map((s) => s.id.split('/')[0]))];
  const shown = tops.length > 3 ? `${tops.slice(0, 3).join(', ')}, …` : tops.join(', ');
  return `${found.length} sequence${found.length === 1 ? '' : 's'} below it (${layouts}, in ${tops.length} folder${tops.length === 1 ? '' : 's'}: ${shown})`;
}

/** The sequences at `root` (and, with `recursive`, anywhere below it). */
async function walkTree(root: string, options: FindSequencesOptions): Promise<Sequence[]> {
  const exclude = await folderIds(options.exclude ?? []);
  const visited = new Map<string, string>();
  const found: Sequence[] = [];
  const maxDepth = options.maxDepth ?? 8;
  const walk = async (dir: string, depth: number): Promise<void> => {
    const id = await folderIdentity(dir);
    // Folders are told apart by device and inode: an output folder reached through a symlink is still excluded, and a symlink loop ends.
    if (depth > 0 && id !== undefined && exclude.has(id)) return;
    if (id !== undefined) {
      const first = visited.get(id);
      if (first !== undefined) {
        options.notes?.push(`${dir} was not read again: it is the folder ${first} (reached twice through symlinks)`);
        return;
      }
      visited.set(id, dir);
    }
    const prefix = path.relative(root, dir).split(path.sep).join('/');
    const dataset = await datasetAt(dir, prefix);
    if (dataset) {
      found.push(...dataset);
      return;
    }
    const plain = await plainFolder(dir, prefix);
    if (plain) found.push(plain);
    if (!options.recursive || depth >= maxDepth) return;
    for (const sub of await subdirs(dir)) await walk(path.join(dir, sub), depth + 1);
  };
  await walk(root, 0);
  return found;
}

async function folderIds(dirs: readonly string[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const d of dirs) {
    const id = await folderIdentity(path.resolve(d));
    if (id !== undefined) ids.add(id);
  }
  return ids;
}

function notFound(p: string): SegStreamError {
  return new SegStreamError(
    ErrorCodes.INPUT_NOT_FOUND,
    `${p} does not exist; give a video file, a folder of frames or a glob`,
  );
}
