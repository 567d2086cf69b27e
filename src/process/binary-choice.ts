/**
 * Which ffmpeg/ffprobe to run when the user has not chosen. The npm packages ship static builds:
 * `@ffmpeg-installer/ffmpeg` is a 2018 ffmpeg (4.1 era) and `@ffprobe-installer/ffprobe` a 2023
 * development build that crashes (SIGSEGV) on every MPEG-TS file. A system ffmpeg on PATH that is
 * newer than the bundled ffmpeg is preferred (both binaries from PATH, so they agree); otherwise
 * the bundled pair is used, and a bundled ffprobe that crashes is retried with the one on PATH.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** A version as ffmpeg prints it: release numbers, or the year of a development build. */
export interface BinaryVersion {
  /** The first line of `-version`. */
  text: string;
  /** [major, minor, patch] for releases; undefined for development builds (`N-12345-g…`). */
  release?: number[];
  /** The last year of the copyright line (development builds are dated only by it). */
  year?: number;
}

const versions = new Map<string, BinaryVersion | undefined>();

/** Runs `<file> -version` once per path and parses the first line; undefined when it does not run. */
export function binaryVersion(file: string): BinaryVersion | undefined {
  if (versions.has(file)) return versions.get(file);
  let version: BinaryVersion | undefined;
  const r = spawnSync(file, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0) {
    const text = (r.stdout.split('\n')[0] ?? '').trim();
    const m = /version\s+n?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
    const year = /Copyright \(c\) \d{4}-(\d{4})/.exec(text);
    version = {
      text,
      release: m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined,
      year: year ? Number(year[1]) : undefined,
    };
  }
  versions.set(file, version);
  return version;
}

/** True when `file` is ffmpeg 4.4 or later (a development build dated 2021 or later counts). */
export function isFfmpeg44OrLater(file: string): boolean {
  const v = binaryVersion(file);
  return v?.release ? v.release[0] > 4 || (v.release[0] === 4 && v.release[1] >= 4) : (v?.year ?? 0) >= 2021;
}

/** Short form for messages: `5.1.9` or `development build 2018`. */
export function shortVersion(v: BinaryVersion | undefined): string {
  if (!v) return 'unknown version';
  if (v.release) return v.release.join('.');
  return `development build${v.year ? ` ${v.year}` : ''}`;
}

/** True when `a` is a newer ffmpeg than `b` (release numbers, else copyright years). */
export function isNewer(a: BinaryVersion | undefined, b: BinaryVersion | undefined): boolean {
  if (!a) return false;
  if (!b) return true;
  if (a.release && b.release) {
    for (let i = 0; i < 3; i++) if (a.release[i] !== b.release[i]) return a.release[i] > b.release[i];
    return false;
  }
  return (a.year ?? 0) > (b.year ?? 0);
}

/** True for an existing regular file this process may execute. */
export function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` on PATH, when it is an executable file. */
export function onPathExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The system pair to use instead of the bundled ffmpeg, with the reason; undefined to keep it. */
export function newerSystemPair(
  bundledFfmpeg: string,
): { ffmpeg: string; ffprobe: string; reason: string } | undefined {
  const ffmpeg = onPathExecutable('ffmpeg');
  const ffprobe = onPathExecutable('ffprobe');
  if (!ffmpeg || !ffprobe || ffmpeg === bundledFfmpeg) return undefined;
  const system = binaryVersion(ffmpeg);
  const bundled = binaryVersion(bundledFfmpeg);
  if (!system || !isNewer(system, bundled)) return undefined;
  return {
    ffmpeg,
    ffprobe,
    reason: `ffmpeg ${shortVersion(system)} on PATH is newer than the bundled ${shortVersion(bundled)}`,
  };
}

/** An ffprobe to retry with after `crashed` died of a signal: the one on PATH, if it is another. */
export function fallbackFfprobe(crashed: string): string | undefined {
  const other = onPathExecutable('ffprobe');
  return other && other !== crashed ? other : undefined;
}
