/** The `--version` lines about ffmpeg/ffprobe: which binary, its version, where from and why. */
import { binaryVersion, shortVersion } from './binary-choice.js';
import type { FfmpegBinaries, ResolvedBinary } from './binaries.js';

const WHY: Record<string, string> = {
  option: 'given in the options',
  env: 'from FFMPEG_PATH / FFPROBE_PATH',
  PATH: 'on PATH',
};

function line(name: string, b: ResolvedBinary): string {
  const why = b.reason ?? WHY[b.source] ?? `bundled (${b.source})`;
  return `${name}: ${b.path} (${shortVersion(binaryVersion(b.path))}; ${why})`;
}

/** One line per binary, e.g. `ffmpeg: /usr/bin/ffmpeg (5.1.9; ffmpeg 5.1.9 on PATH is newer than the bundled development build 2018)`. */
export function describeBinaries(b: FfmpegBinaries): string[] {
  const lines = [line('ffmpeg', b.ffmpeg), line('ffprobe', b.ffprobe)];
  if (b.ffprobe.source === '@ffprobe-installer/ffprobe')
    lines.push(
      'note: the bundled ffprobe crashes on MPEG-TS (.ts) files; seg-stream then retries with an ffprobe on PATH if there is one (install ffmpeg)',
    );
  return lines;
}
