/**
 * Finds the ffmpeg and ffprobe binaries, in this order:
 * explicit option / `FFMPEG_PATH` (`FFPROBE_PATH`) → `ffmpeg-static` → the registry packages
 * `@ffmpeg-installer/ffmpeg` / `@ffprobe-installer/ffprobe` → `ffmpeg` / `ffprobe` on PATH; except
 * that a system ffmpeg on PATH newer than the bundled one is preferred (see binary-choice.ts).
 */
import { createRequire } from 'node:module';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { isExecutable, newerSystemPair, onPathExecutable } from './binary-choice.js';

const require = createRequire(import.meta.url);

/** Where a binary was found. */
export type BinarySource =
  'option' | 'env' | 'ffmpeg-static' | '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe' | 'PATH';

/** A resolved binary and how it was found. */
export interface ResolvedBinary {
  path: string;
  source: BinarySource;
  /** Why this one was chosen over the bundled binary, when it was. */
  reason?: string;
}

/** The pair of binaries the pipeline runs. */
export interface FfmpegBinaries {
  ffmpeg: ResolvedBinary;
  ffprobe: ResolvedBinary;
}

/** Explicit binary paths; each wins over every other source. */
export interface FfmpegBinaryOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
}

function fromPackage(id: string, pick: (mod: unknown) => unknown): string | undefined {
  try {
    const value = pick(require(id));
    return typeof value === 'string' && isExecutable(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function resolveOne(
  name: 'ffmpeg' | 'ffprobe',
  explicit: string | undefined,
  envVar: string,
  packages: [BinarySource, string, (mod: unknown) => unknown][],
): ResolvedBinary {
  const chosen: [BinarySource, string | undefined][] = [
    ['option', explicit],
    ['env', process.env[envVar] || undefined],
  ];
  for (const [source, file] of chosen) {
    if (file === undefined) continue;
    if (!isExecutable(file)) {
      throw new SegStreamError(
        ErrorCodes.FFMPEG_NOT_FOUND,
        `${name} binary ${JSON.stringify(file)} (from ${source === 'env' ? envVar : 'options'}) is not an executable file; fix the path or unset it`,
      );
    }
    return { path: file, source };
  }
  for (const [source, id, pick] of packages) {
    const file = fromPackage(id, pick);
    if (file) return { path: file, source };
  }
  const found = onPathExecutable(name);
  if (found) return { path: found, source: 'PATH' };
  throw new SegStreamError(
    ErrorCodes.FFMPEG_NOT_FOUND,
    `no ${name} binary found; reinstall seg-stream (it ships one through ${packages.map((p) => p[1]).join(', ')}), install ${name} on PATH, or set ${envVar}`,
  );
}

let cached: FfmpegBinaries | undefined;

/**
 * Resolves ffmpeg and ffprobe. Without options the result is cached for the process.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_FFMPEG_NOT_FOUND` when a binary cannot be found.
 */
export function resolveFfmpeg(options: FfmpegBinaryOptions = {}): FfmpegBinaries {
  const plain = options.ffmpegPath === undefined && options.ffprobePath === undefined;
  if (plain && cached) return cached;
  const pickPath = (mod: unknown) => (mod as { path?: unknown })?.path;
  const result: FfmpegBinaries = {
    ffmpeg: resolveOne('ffmpeg', options.ffmpegPath, 'FFMPEG_PATH', [
      ['ffmpeg-static', 'ffmpeg-static', (mod) => mod],
      ['@ffmpeg-installer/ffmpeg', '@ffmpeg-installer/ffmpeg', pickPath],
    ]),
    ffprobe: resolveOne('ffprobe', options.ffprobePath, 'FFPROBE_PATH', [
      ['@ffprobe-installer/ffprobe', '@ffprobe-installer/ffprobe', pickPath],
    ]),
  };
  // Neither chosen by the user: a newer system ffmpeg beats the bundled 2018 build (see binary-choice.ts).
  if (
    result.ffmpeg.source !== 'option' &&
    result.ffmpeg.source !== 'env' &&
    result.ffprobe.source !== 'option' &&
    result.ffprobe.source !== 'env' &&
    result.ffmpeg.source !== 'PATH'
  ) {
    const system = newerSystemPair(result.ffmpeg.path);
    if (system) {
      result.ffmpeg = { path: system.ffmpeg, source: 'PATH', reason: system.reason };
      result.ffprobe = { path: system.ffprobe, source: 'PATH', reason: system.reason };
    }
  }
  if (plain) cached = result;
  return result;
}
