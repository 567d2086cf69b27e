/**
 * Where the frames of a video run come from: the ffmpeg decoder of a file (paused by the
 * in-flight gate), or a live stream (newest frame wins, stale ones dropped; reconnects).
 */
import { map, type Observable } from 'rxjs';
import { decodeFrames } from '../../ingest/video-decoder.js';
import { liveFrames } from '../../ingest/live/source.js';
import type { RunContext } from '../context.js';
import type { FrameItem } from '../core/frame-steps.js';
import { rangeSeekSeconds } from './range.js';
import type { VideoPlan } from './plan.js';
import type { VideoFrame } from './frame.js';

export type { VideoFrame };

/** The run's frames, each in a chain item of its own. */
export function videoFrames(p: VideoPlan, run: RunContext): Observable<FrameItem<VideoFrame>> {
  const { opts, file, gate } = p;
  const { binaries } = run;
  const onSpawn = (c: NonNullable<VideoPlan['decoder']>) => (p.decoder = c);
  if (!file) {
    return liveFrames({
      ffmpeg: binaries.ffmpeg.path,
      ffprobe: binaries.ffprobe.path,
      url: opts.input,
      info: p.info,
      gate,
      noDrop: opts.noDrop,
      stats: p.liveStats,
      ...p.connect,
      stopSignal: run.stop.signal,
      onSpawn,
      onSizeChange: opts.onSizeChange ?? 'follow',
      // Exact limits, decided where frames enter: none in flight passes them; time counts from the first frame.
      maxFrames: opts.frames,
      maxSeconds: opts.duration,
      onLimit: (l) => run.endedBy(l === 'frames' ? 'frames' : 'duration'),
      onStatus: (s) =>
        opts.preview?.connection(s.type === 'connected' || s.type === 'reconnected' ? 'running' : 'reconnecting'),
    }).pipe(map((frame): FrameItem<VideoFrame> => ({ frame })));
  }
  const { range } = opts;
  return decodeFrames({
    ffmpeg: binaries.ffmpeg.path,
    info: file,
    gate,
    maxFrames: p.fileFrames,
    format: 'yuv420p',
    stopSignal: run.stop.signal,
    onSpawn,
    frameTimes: p.frameTimes,
    seekSeconds: range && rangeSeekSeconds(range, file),
    buffers: p.buffers,
  }).pipe(
    map((frame): FrameItem<VideoFrame> => {
      frame.arrivalMs = performance.now();
      return { frame };
    }),
  );
}
