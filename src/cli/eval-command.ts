/**
 * `seg-stream eval <dataset-dir>`: accuracy (per-class IoU, mIoU, pixel accuracy) and speed of a
 * model on a labelled dataset, through the same pipeline as video mode.
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import { DATASET_SPLITS } from '../eval/datasets.js';
import { evaluateDataset, type EvalResult } from '../eval/evaluate.js';
import { choiceFlag, intFlag, parseCommandLine, stringFlag } from './args.js';
import type { CliIo } from './main.js';
import { handleStopSignals } from './stop-signals.js';
import { terminalProgress } from './progress.js';

/** Flags of the eval command. */
export const EVAL_FLAGS = {
  split: { type: 'string' },
  format: { type: 'string' },
  model: { type: 'string', short: 'm' },
  engine: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
  workers: { type: 'string' },
  frames: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
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

Options:
  --split val|test|train   which split (default val)
  --format camvid|cityscapes
  -m, --model NAME|DIR     built-in model name or model folder (default camvid-default)
  --engine onnx|tfjs       inference engine (default onnx)
  --device cpu|cuda        inference device (default cpu)
  --threads N              CPU inference threads (default: cores)
  --workers N              preprocessing worker threads (default: cores)
  --frames N               only the first N images (natural order)
  --json                   print one JSON object on stdout (miou, perClass, frames, fps, method, ...)
  -q, --quiet              no progress bar

Same preprocessing as video mode; class maps are upscaled to the label size (nearest, pixel
centres) and scored per pixel. mIoU is the mean over classes with any labelled or predicted pixel.`;

/** Runs `seg-stream eval`; returns the exit code, throws SegStreamError for main to print. */
export async function runEvalCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, EVAL_FLAGS);
  if (values.help) {
    io.stdout.write(`${EVAL_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new SegStreamError(ErrorCodes.USAGE, positionals.length === 0 ? 'no dataset folder given; usage: seg-stream eval <dataset-dir> [--split val] (see seg-stream eval --help)' : `expected one dataset folder but received ${positionals.length}: ${positionals.join(' ')}`);
  }
  const frames = intFlag(values, 'frames');
  if (frames === 0) throw new SegStreamError(ErrorCodes.USAGE, 'Expected a positive whole number for --frames but received "0"');
  const progress = values.quiet ? undefined : terminalProgress(io.stderr);
  const stop = new AbortController();
  const releaseSignals = handleStopSignals(io.stderr, stop, 'stopping after the images in flight');
  try {
    const result = await evaluateDataset({
      dir: positionals[0]!,
      split: choiceFlag(values, 'split', DATASET_SPLITS),
      format: choiceFlag(values, 'format', ['camvid', 'cityscapes'] as const),
      model: stringFlag(values, 'model'),
      engine: choiceFlag(values, 'engine', ['onnx', 'tfjs'] as const),
      device: choiceFlag(values, 'device', ['cpu', 'cuda'] as const),
      threads: intFlag(values, 'threads'),
      workers: intFlag(values, 'workers'),
      frames,
      signal: stop.signal,
      onProgress: progress?.update,
    });
    progress?.done();
    io.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatEvalResult(result));
    return 0;
  } finally {
    progress?.done();
    releaseSignals();
  }
}

const show = (v: number | null) => (v === null ? '-' : v.toFixed(2));

/** The human-readable report: a class/IoU table, mIoU, pixel accuracy, free space, fps. */
export function formatEvalResult(r: EvalResult): string {
  const names = Object.keys(r.perClass);
  const w = Math.max(14, ...names.map((n) => n.length + 2));
  const lines = [
    `model ${r.model}, ${r.backend}`,
    `dataset ${r.dataset} (${r.format}, ${r.split}, ${r.frames} images)`,
    '',
    `${'class'.padEnd(w)}${'IoU'.padStart(6)}`,
    ...names.map((n) => `${n.padEnd(w)}${show(r.perClass[n] ?? null).padStart(6)}`),
    '',
    `${'mIoU'.padEnd(w)}${show(r.miou).padStart(6)}`,
    `${'pixel acc'.padEnd(w)}${show(r.pixelAccuracy).padStart(6)}`,
    `${'free space'.padEnd(w)}${show(r.freeSpace.iou).padStart(6)}  (precision ${show(r.freeSpace.precision)}, recall ${show(r.freeSpace.recall)})`,
    `${'fps'.padEnd(w)}${r.fps.toFixed(1).padStart(6)}`,
  ];
  return `${lines.join('\n')}\n`;
}
