/**
 * `seg-stream eval <dataset-dir>`: accuracy (per-class IoU, mIoU, pixel accuracy) and speed of a
 * model on a labelled dataset, through the same pipeline as video mode.
 */
import { DEFAULTS, DEVICE_NAMES, ENGINE_NAMES } from '../defaults.js';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { DATASET_SPLITS } from '../datasets/labelled.js';
import { SEQUENCE_FOLDS } from '../datasets/folds.js';
import { evaluateDataset, type EvalResult } from '../runs/eval/evaluate.js';
import { choiceFlag, intFlag, parseCommandLine, pickFlags, stringFlag } from './args.js';
import type { CliIo } from './io.js';
import { withStopSignals } from './signals.js';
import { terminalProgress } from './progress.js';
import { SMOOTH_FLAG, expandSmooth, smoothFlag } from './smooth-flag.js';
import { networkInputText } from '../infer/input-size.js';

/** Flags of the eval command. */
export const EVAL_FLAGS = {
  split: { type: 'string' },
  format: { type: 'string' },
  fold: { type: 'string' },
  sequences: { type: 'string' },
  ...pickFlags('model', 'engine', 'device', 'threads', 'workers', 'frames', 'json', 'quiet', 'debug', 'help'),
} as const;

/** Help text of `seg-stream eval`. */
export const EVAL_HELP = `seg-stream eval — accuracy of a model on a labelled dataset

Usage:
  seg-stream eval <dataset-dir> [options]

Dataset layouts (detected, or chosen with --format):
  camvid       <dir>/<split>/*.png images, <dir>/<split>annot/*.png 8-bit labels of the same name
               (class index per pixel, 11 = Unlabelled, ignored)
  cityscapes   <dir>/leftImg8bit/<split>/<city>/*_leftImg8bit.png with
               <dir>/gtFine/<split>/<city>/*_gtFine_labelIds.png (mapped to the CamVid-11 classes)
  idd          IDD-Lite: <dir>/leftImg8bit/<split>/<seq>/<id>_image.jpg with
               <dir>/gtFine/<split>/<seq>/<id>_label.png, level-1 ids 0..6 (255 void); scored
               per IDD group, the model's CamVid classes mapped to groups (docs/accuracy.md)

Options:
  --split val|test|train   which split (default val)
  --format camvid|cityscapes|idd
  --fold K                 only the sequence folders of fold K (0..${SEQUENCE_FOLDS - 1}): whole folders, by a hash
                           of the folder name (cityscapes, idd)
  --sequences FILE         only the sequence folders named in FILE, one per line (# comments)
  -m, --model NAME|DIR     built-in model name or model folder (default camvid-default)
  --engine onnx|tfjs       inference engine (default onnx)
  --device NAME            cpu (default), webgpu (onnx engine) or cuda
  --threads N              CPU inference threads (default: cores)
  --workers N              preprocessing worker threads (default: cores)
  --frames N               only the first N images (natural order)
  --smooth [S]             temporal smoothing over the images in natural order (a sequence), strength 0..0.95 (default ${DEFAULTS.smoothStrength})
  --json                   print one JSON object on stdout (miou, perClass, frames, fps, method, ...)
  -q, --quiet              no progress bar

Same preprocessing as video mode; class maps are upscaled to the label size (nearest, pixel
centres) and scored per pixel. mIoU is the mean over classes with any labelled or predicted pixel.`;

/** Runs `seg-stream eval`; returns the exit code, throws SegStreamError for main to print. */
export async function runEvalCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(expandSmooth(argv), { ...EVAL_FLAGS, ...SMOOTH_FLAG });
  if (values.help) {
    io.stdout.write(`${EVAL_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      positionals.length === 0
        ? 'no dataset folder given; usage: seg-stream eval <dataset-dir> [--split val] (see seg-stream eval --help)'
        : `expected one dataset folder but received ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const frames = intFlag(values, 'frames');
  if (frames !== undefined && frames < 1)
    throw new SegStreamError(ErrorCodes.USAGE, `Expected a positive whole number for --frames but received ${frames}`);
  const fold = intFlag(values, 'fold');
  const sequences = await readSequenceList(stringFlag(values, 'sequences'));
  const progress = values.quiet ? undefined : terminalProgress(io.stderr);
  try {
    const result = await withStopSignals(io, 'stopping the evaluation (a part of a split gives no result)', (signal) =>
      evaluateDataset({
        dir: positionals[0],
        split: choiceFlag(values, 'split', DATASET_SPLITS),
        format: choiceFlag(values, 'format', ['camvid', 'cityscapes', 'idd'] as const),
        model: stringFlag(values, 'model'),
        engine: choiceFlag(values, 'engine', ENGINE_NAMES),
        device: choiceFlag(values, 'device', DEVICE_NAMES),
        threads: intFlag(values, 'threads'),
        workers: intFlag(values, 'workers'),
        frames,
        fold,
        sequences,
        smooth: smoothFlag(values),
        signal,
        onProgress: progress?.update,
      }),
    );
    progress?.done();
    io.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatEvalResult(result));
    return 0;
  } finally {
    progress?.done();
  }
}

/** The folder names of a `--sequences` file: one per line, blank lines and `#` comments skipped. */
async function readSequenceList(file: string | undefined): Promise<string[] | undefined> {
  if (file === undefined) return undefined;
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new SegStreamError(
      ErrorCodes.INPUT_NOT_FOUND,
      `cannot read the --sequences file ${file}: ${err.code ?? err.message}`,
    );
  });
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.length > 0);
}

const show = (v: number | null) => (v === null ? '-' : v.toFixed(2));

/** The human-readable report: a class/IoU table, mIoU, pixel accuracy, free space, fps. */
export function formatEvalResult(r: EvalResult): string {
  const names = Object.keys(r.perClass);
  const w = Math.max(14, ...names.map((n) => n.length + 2));
  const lines = [
    `model ${r.model}, ${r.backend}${r.networkInput ? `, ${networkInputText(r.networkInput)}` : ''}`,
    `dataset ${r.dataset} (${r.format}, ${r.split}${r.subset ? `, ${r.subset.fold !== undefined ? `fold ${r.subset.fold} of ${r.subset.folds}: ` : ''}${r.subset.sequences.length} sequence folders` : ''}, ${r.frames} images)`,
    '',
    `${'class'.padEnd(w)}${'IoU'.padStart(6)}`,
    ...names.map((n) => `${n.padEnd(w)}${show(r.perClass[n] ?? null).padStart(6)}`),
    '',
    `${'mIoU'.padEnd(w)}${show(r.miou).padStart(6)}`,
    `${'pixel acc'.padEnd(w)}${show(r.pixelAccuracy).padStart(6)}`,
    `${'free space'.padEnd(w)}${show(r.freeSpace.iou).padStart(6)}  (precision ${show(r.freeSpace.precision)}, recall ${show(r.freeSpace.recall)})`,
    `${'flicker'.padEnd(w)}${show(r.stability.flicker).padStart(6)}  (% of unchanged-source pixels whose class changed between consecutive images${r.stability.smooth ? `; --smooth ${r.stability.smooth}` : ''})`,
    `${'fps'.padEnd(w)}${r.fps.toFixed(1).padStart(6)}`,
  ];
  return `${lines.join('\n')}\n`;
}
