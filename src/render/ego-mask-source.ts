/**
 * Where a run's ego mask comes from (option `egoMask`): a 0/255 PNG at the source size
 * ({@link readEgoMaskFile}), or `auto`: the static bottom region of the first seconds of the input,
 * read once by a separate, small ffmpeg decode before the run starts ({@link findEgoMask}), and
 * written out as a PNG the user can check and pass back next time ({@link writeEgoMaskPng}).
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodePng } from '../codecs/png-encode.js';
import { decodePngBytes } from '../codecs/png-decode.js';
import { ErrorCodes, optionError } from '../errors.js';
import { childError, runOnce } from '../process/run-once.js';
import { upscaleClassMap } from '../pixels/class-map.js';
import { egoMaskFromBytes, egoMaskToBytes, type EgoMask } from '../pixels/ego-mask.js';
import { StaticBottomFinder } from '../pixels/static-bottom.js';
import { temporaryPathFor } from '../sinks/atomic-file.js';

/** Seconds from the start of the input that `auto` looks at. */
export const EGO_AUTO_SECONDS = 2;

/** What the run summary (and `--json`) says about the ego mask. */
export interface EgoMaskSummary {
  /** `file`: read from `egoMask`; `auto`: looked for in the first seconds. */
  source: 'file' | 'auto';
  /** False when `auto` found no static bottom region (then nothing is masked). */
  found: boolean;
  /** The PNG read (`file`) or written for the user to check and reuse (`auto`, when found). */
  file?: string;
  /** Masked pixels / all pixels, 0..1 (6 decimals). */
  fraction: number;
  /** First masked row from the top (the bonnet's highest point), or null when nothing is masked. */
  top: number | null;
}

/**
 * Reads a 0/255 ego mask PNG (8-bit greyscale, 255 = the camera's own vehicle) of exactly
 * `width x height` (the source as displayed).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming option `egoMask` when the file is
 *   missing, not such a PNG, of another size, or holds other values than 0 and 255
 */
export async function readEgoMaskFile(file: string, width: number, height: number): Promise<EgoMask> {
  const png = await readEgoMaskPng(file, `${width}x${height}`);
  if (png.width !== width || png.height !== height)
    throw egoMaskFileError(
      file,
      `is ${png.width}x${png.height} but the source is ${width}x${height}`,
      `${width}x${height}`,
    );
  return egoMaskFromBytes(png.data, width, height);
}

function egoMaskFileError(file: string, why: string, size: string) {
  return optionError(
    'egoMask',
    `\`egoMask\` ${file} ${why}; give a 0/255 8-bit greyscale PNG of ${size} (255 = the car) or auto`,
  );
}

/** Reads and checks a 0/255 greyscale PNG (any size; `size` names the size wanted in messages). */
async function readEgoMaskPng(
  file: string,
  size: string,
): Promise<{ width: number; height: number; data: Uint8Array }> {
  const bad = (why: string) => egoMaskFileError(file, why, size);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw bad(`cannot be read (${(err as Error).message})`);
  }
  let png;
  try {
    png = decodePngBytes(bytes, file);
  } catch {
    png = null;
  }
  if (!png || png.channels !== 1 || png.indices) throw bad('is not an 8-bit greyscale PNG');
  if (png.data.some((v) => v !== 0 && v !== 255)) throw bad('holds values other than 0 and 255');
  return png;
}

/**
 * Option `egoMask` of work queued for other machines: a 0/255 PNG file, checked now as a run would
 * check it (its size is checked against each source when the job runs), as an absolute path.
 * `auto` is refused: it writes its PNG beside the first output, which a job writes in its staging.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming option `egoMask`
 */
export async function queuedEgoMask(option: string): Promise<string> {
  if (option === 'auto')
    throw optionError(
      'egoMask',
      '`egoMask` auto is for local runs: run one clip of the camera locally with `egoMask` auto (it writes <output>.ego-mask.png), check it, and queue the work with that file',
    );
  if (typeof option !== 'string' || option === '')
    throw optionError('egoMask', `Expected a PNG file for \`egoMask\` but received ${JSON.stringify(option)}`);
  await readEgoMaskPng(option, 'the source size');
  return path.resolve(option);
}

/** Options of {@link findEgoMask}. */
export interface FindEgoMaskOptions {
  ffmpeg: string;
  input: string;
  /** The source as displayed (the decoder's frame size). */
  width: number;
  height: number;
  /** Frames per second, when known: bounds the frames read (default 30). */
  fps?: number;
  /** ffmpeg arguments before `-i` (live streams: transport and timeouts). */
  inputArgs?: string[];
  signal?: AbortSignal;
}

/**
 * Looks for the static bottom region in the first {@link EGO_AUTO_SECONDS} seconds of `input`,
 * decoded once at about 1/3 size in grey; returns it at the source size, or null when there is none.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_DECODE_FAILED` when ffmpeg cannot read the input
 */
export async function findEgoMask(o: FindEgoMaskOptions): Promise<EgoMask | null> {
  const f = Math.max(1, Math.floor(Math.min(o.width, o.height) / 180));
  const w = Math.max(1, Math.floor(o.width / f)),
    h = Math.max(1, Math.floor(o.height / f));
  const frames = Math.max(8, Math.min(240, Math.ceil(EGO_AUTO_SECONDS * (o.fps ?? 30))));
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...(o.inputArgs ?? []),
    '-i',
    o.input,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
  ];
  args.push(
    '-t',
    String(EGO_AUTO_SECONDS),
    '-frames:v',
    String(frames),
    '-vf',
    `scale=${w}:${h}:flags=area,format=gray`,
    '-f',
    'rawvideo',
    'pipe:1',
  );
  const r = await runOnce(o.ffmpeg, args, {
    tool: 'ffmpeg',
    stage: 'ego-mask',
    signal: o.signal,
    timeoutMs: 60_000,
    maxStdoutBytes: frames * w * h,
  });
  if (r.aborted) return null;
  if (r.code !== 0 && !r.overflow)
    throw childError(
      ErrorCodes.DECODE_FAILED,
      `could not read the first ${EGO_AUTO_SECONDS} s of ${o.input} to find the ego mask (${r.timedOut ? 'timed out' : `exit code ${r.code}`}); give --ego-mask FILE instead`,
      r,
    );
  const finder = new StaticBottomFinder(w, h);
  for (let p = 0; p + w * h <= r.stdout.length; p += w * h) finder.add(r.stdout.subarray(p, p + w * h));
  const small = finder.result();
  if (!small) return null;
  const full = new Uint8Array(o.width * o.height);
  upscaleClassMap(small, w, h, o.width, o.height, full);
  return egoMaskFromBytes(full, o.width, o.height);
}

/**
 * Writes the mask as a 0/255 PNG next to `firstOutput` (`out/run.mp4` → `out/run.ego-mask.png`;
 * a folder `out/masks` → `out/masks.ego-mask.png`), never over an existing file (then
 * `….ego-mask-2.png`, `-3`, …). Returns the path written.
 */
export async function writeEgoMaskPng(ego: EgoMask, firstOutput: string): Promise<string> {
  const png = encodePng(egoMaskToBytes(ego), ego.width, ego.height, 'gray');
  const trimmed = firstOutput.replace(/[/\\]+$/, '');
  const ext = path.extname(trimmed);
  const stem = ext.length > 1 && ext.length <= 5 ? trimmed.slice(0, -ext.length) : trimmed;
  // Written whole under a temporary name, then linked to the first free name (link never replaces a file).
  const tmp = temporaryPathFor(`${stem}.ego-mask.png`);
  await writeFile(tmp, png);
  try {
    for (let n = 1; n < 1000; n++) {
      const file = `${stem}.ego-mask${n === 1 ? '' : `-${n}`}.png`;
      const linked = await link(tmp, file).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') return false;
          throw err;
        },
      );
      if (linked) return file;
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
  throw optionError('egoMask', `too many ego mask files next to ${firstOutput}; remove old ones`);
}

/** The summary of a run's ego mask. */
export function egoMaskSummary(source: 'file' | 'auto', ego: EgoMask | null, file?: string): EgoMaskSummary {
  let top: number | null = null;
  if (ego) for (let y = 0; y < ego.height && top === null; y++) if (ego.rows[y + 1] > ego.rows[y]) top = y;
  const fraction = ego ? Math.round((ego.pixels / (ego.width * ego.height)) * 1e6) / 1e6 : 0;
  return { source, found: ego !== null, ...(file ? { file } : {}), fraction, top };
}

/** A run's ego mask and how to report it. */
export interface RunEgoMask {
  /** The mask at the source size, or null when `auto` found none. */
  mask: EgoMask | null;
  /** Writes the PNG of a found `auto` mask next to `firstOutput` (if any) and says what was used. */
  publish(firstOutput: string | undefined): Promise<EgoMaskSummary>;
}

/**
 * Resolves option `egoMask` for a run whose frames are `o.width x o.height`: undefined without
 * one; a file is read and checked, `auto` looks at the input's first seconds. Call it before any
 * output is written (a bad file fails the run first).
 *
 * @throws {SegStreamError} see {@link readEgoMaskFile} and {@link findEgoMask}
 */
export async function resolveEgoMask(
  option: string | undefined,
  o: FindEgoMaskOptions,
): Promise<RunEgoMask | undefined> {
  if (option === undefined) return undefined;
  if (typeof option !== 'string' || option === '')
    throw optionError('egoMask', `Expected a PNG file or auto for \`egoMask\` but received ${JSON.stringify(option)}`);
  if (option !== 'auto') {
    const mask = await readEgoMaskFile(option, o.width, o.height);
    return { mask, publish: () => Promise.resolve(egoMaskSummary('file', mask, path.resolve(option))) };
  }
  const mask = await findEgoMask(o);
  return {
    mask,
    publish: async (firstOutput) =>
      egoMaskSummary(
        'auto',
        mask,
        mask && firstOutput ? path.resolve(await writeEgoMaskPng(mask, firstOutput)) : undefined,
      ),
  };
}
