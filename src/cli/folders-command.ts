/**
 * Frame folders from the command line: `seg-stream <folder|glob> …` (one input, its sequences)
 * and `seg-stream batch <root> …` (every sequence found below root).
 */
import { stat } from 'node:fs/promises';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { isGlob } from '../datasets/glob.js';
import { LAYOUT_HELP, isImageName } from '../datasets/layouts.js';
import type { FolderRunSummary } from '../runs/folders/manifest.js';
import { segmentFolder } from '../runs/folders/segment-folder.js';
import {
  RUN_FLAGS,
  commonRunFlags,
  intFlag,
  numberFlag,
  parseCommandLine,
  stringFlag,
  type ParsedArgs,
} from './args.js';
import type { CliIo } from './io.js';
import { sayFlag } from './option-flags.js';
import { withStopSignals } from './signals.js';
import { terminalProgress } from './progress.js';
import { startPreview, watched } from './preview-flags.js';
import { networkInputText } from '../infer/input-size.js';

/** Help text of `seg-stream batch`. */
export const BATCH_HELP = `seg-stream batch — segment every frame sequence below a folder

Usage:
  seg-stream batch <root> --masks <dir> [--free-space <dir>] [--kitti-road <dir>] [--free-space-json <file>] [-o <video.mp4>] [options]
  seg-stream <frames-dir|glob> --masks <dir> ...      one input (its sequences: e.g. image_02 and image_03 of a KITTI drive)

Sequences found: ${LAYOUT_HELP}.
Outputs are named after the input frames (same stem) at each frame's own size. With several
sequences, each gets a subfolder <dir>/<sequence>/ and a video <name>-<sequence>.mp4.

Options (besides the video command's --model, --engine, --device, --batch, --workers, --threads,
--frames, --alpha, --classes, --crf, --preset, --json, --quiet):
  --masks DIR            class-id PNGs (8-bit, pixel = model class id)
  --free-space DIR       0/255 PNGs of the model's free-space classes
  --kitti-road DIR       8-bit road confidence, round(255 * P(road)): um_road_000000.png, else <stem>_road.png
  --free-space-json F    one JSON line per frame: {sequence, frame, index, width, height, boundary[W], freeFraction}
                         boundary[x] = first non-free row above the free run at the bottom of column x;
                         -1 = whole column free; null = bottom pixel not free
  -o FILE, --fps N       overlay video per sequence (default 10 fps); frames scaled to the first frame's size
  --overwrite            redo all frames; default: skip frames whose outputs all exist ("skipped" in --json)
  --manifest FILE        manifest.json path (default: in the first output folder)
  --no-score             skip scoring against CamVid / Cityscapes / KITTI semantics / KITTI road ground truth
  --frames N             process at most N frames in this run (skipped frames not counted)
  --preview [HOST:]PORT  live page of the run (see seg-stream --help); --preview-token T`;

/** Flags that only frame folders take; a video input with one of them is a usage error. */
const FOLDER_ONLY = ['kitti-road', 'free-space-json', 'fps', 'overwrite', 'manifest', 'no-score'] as const;

/** Refuses folder-only flags for a video input. */
export function rejectFolderFlags(values: ParsedArgs['values']): void {
  const given = FOLDER_ONLY.filter((f) => values[f] !== undefined);
  if (given.length > 0) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `--${given[0]} applies to folders of frames, not to a video input; give a frame folder, a glob or use seg-stream batch`,
    );
  }
}

/** The folder-run input the positionals name (a folder, a glob, several image files), or undefined for a video/URL. */
export async function folderInputOf(positionals: string[]): Promise<string | string[] | undefined> {
  if (positionals.length === 1) {
    const input = positionals[0];
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return undefined;
    if ((await stat(input).catch(() => undefined))?.isDirectory()) return input;
    if (isGlob(input) && (await stat(input).catch(() => undefined)) === undefined) return input;
    return undefined;
  }
  // An unquoted glob the shell has already expanded.
  if (positionals.length > 1 && positionals.every(isImageName)) return positionals;
  return undefined;
}

/** `seg-stream batch <root>`. */
export async function runBatchCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, RUN_FLAGS);
  if (values.help) {
    io.stdout.write(`${BATCH_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      positionals.length === 0
        ? 'no root folder given; usage: seg-stream batch <root> --masks out/ (see seg-stream batch --help)'
        : `expected one root folder but received ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  return runFolderRun(values, positionals[0], true, io);
}

/** Runs a folder/batch run from parsed flags. */
export async function runFolderRun(
  values: ParsedArgs['values'],
  input: string | string[],
  recursive: boolean,
  io: CliIo,
): Promise<number> {
  for (const f of [
    'duration',
    'segment-time',
    'stats',
    'rtsp-transport',
    'timeout',
    'reconnect-max',
    'reconnect-delay',
    'no-drop',
    'live',
    'no-live',
    'no-audio',
    'pad-even',
  ] as const) {
    if (values[f] !== undefined)
      throw new SegStreamError(ErrorCodes.USAGE, `--${f} applies to video inputs, not to folders of frames`);
  }
  const frames = intFlag(values, 'frames');
  if (frames !== undefined && frames < 1)
    throw new SegStreamError(ErrorCodes.USAGE, `Expected a positive whole number for --frames but received ${frames}`);
  const fps = numberFlag(values, 'fps');
  if (fps !== undefined && !(fps > 0))
    throw new SegStreamError(ErrorCodes.USAGE, `Expected a frame rate > 0 for --fps but received ${fps}`);
  const preview = await startPreview(values, [input].flat().join(' '), false, io.stderr);
  const progress = values.quiet || values.json ? undefined : terminalProgress(io.stderr);
  try {
    const summary = await withStopSignals(io, 'finishing the frames in flight and writing the manifest', (signal) =>
      watched(
        preview,
        segmentFolder({
          input,
          recursive,
          masks: stringFlag(values, 'masks'),
          freeSpace: stringFlag(values, 'free-space'),
          kittiRoad: stringFlag(values, 'kitti-road'),
          freeSpaceJson: stringFlag(values, 'free-space-json'),
          output: stringFlag(values, 'output'),
          fps,
          manifest: stringFlag(values, 'manifest'),
          overwrite: values.overwrite === true ? true : undefined,
          score: values['no-score'] === true ? false : undefined,
          frames,
          ...commonRunFlags(values),
          egoMask: stringFlag(values, 'ego-mask'),
          legend: values.legend === true ? true : undefined,
          signal,
          onProgress: progress?.update,
          preview,
        }).catch((err: unknown) => {
          throw sayFlag(err, 'recursive', `use seg-stream batch ${[input].flat().join(' ')}`);
        }),
      ),
    );
    progress?.done();
    if (values.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else io.stderr.write(formatFolderSummary(summary));
    return 0;
  } finally {
    progress?.done();
    await preview?.close();
  }
}

const show = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(2));

/** The human-readable end of a run: counts, speed, scores. */
export function formatFolderSummary(s: FolderRunSummary): string {
  const lines = [
    `seg-stream: ${s.frames} frames in ${s.wallSeconds.toFixed(1)} s (${s.fps.toFixed(1)} fps, ${s.backend}${s.networkInput ? `, ${networkInputText(s.networkInput)}` : ''}), ${s.skipped} skipped as complete, ${s.sequences.length} sequence${s.sequences.length === 1 ? '' : 's'}${s.stopped === 'end' ? '' : `, stopped (${s.stopped})`}; manifest ${s.outputs.manifest}`,
  ];
  for (const r of s.scores) {
    lines.push(`scores on ${r.frames} ${r.dataset} frames (${r.labelSpace}):`);
    if (r.perClass) {
      for (const [name, iou] of Object.entries(r.perClass)) lines.push(`  ${name.padEnd(14)}${show(iou).padStart(7)}`);
      lines.push(
        `  ${'mIoU'.padEnd(14)}${show(r.miou).padStart(7)}`,
        `  free space IoU ${show(r.freeSpace?.iou)} (precision ${show(r.freeSpace?.precision)}, recall ${show(r.freeSpace?.recall)})`,
      );
    }
    if (r.road)
      lines.push(
        `  road IoU ${show(r.road.iou)} (precision ${show(r.road.precision)}, recall ${show(r.road.recall)}, F1 ${show(r.road.f1)})`,
      );
  }
  for (const n of s.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}
