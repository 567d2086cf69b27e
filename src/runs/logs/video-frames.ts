/**
 * The frames of one video camera topic (`foxglove.CompressedVideo`, H.264/H.265): its messages fed
 * in order to the topic's ffmpeg decoder (`openVideoTopic`), each decoded frame admitted by the
 * in-flight gate as it comes out, numbered in order. A video topic runs in a pass of its own after
 * the image topics: a decoder gives a frame only after later messages of its topic, which in one
 * log-time-ordered pass with other cameras could wait on a full gate.
 */
import { Observable } from 'rxjs';
import { toSegStreamError } from '../../errors.js';
import type { LogFrame } from './log-frame.js';
import type { LogFramesOptions } from './frames.js';
import { readLogImages } from './readers/index.js';
import { openVideoTopic } from './video-topic.js';

/** Frames of the video topic `topic` (see the module comment); `undecoded` gets the count at the end. */
export function videoFrames(
  o: LogFramesOptions & { topic: string; codec: 'h264' | 'h265'; ffmpeg: string; undecoded: (n: number) => void },
): Observable<LogFrame> {
  return new Observable<LogFrame>((subscriber) => {
    const decoder = openVideoTopic(o.topic, o.codec, { ffmpeg: o.ffmpeg });
    let closed = false;
    const slot = () =>
      new Promise<void>((resolve) => (o.gate.open || o.stop.aborted ? resolve() : o.gate.onRelease(resolve)));
    const feed = async () => {
      let fed = 0;
      for await (const m of readLogImages(o.input, { topics: [o.topic], signal: o.stop, onDamage: o.onDamage })) {
        if (closed || o.stop.aborted) break;
        if (o.limit !== undefined && fed >= o.limit) {
          o.onLimit?.();
          break;
        }
        fed++;
        await decoder.push(m);
      }
      decoder.end();
    };
    const drain = async () => {
      let no = 0;
      for await (const f of decoder.frames()) {
        await slot();
        if (closed) return;
        if (o.stop.aborted || (o.limit !== undefined && no >= o.limit)) continue;
        o.gate.take();
        const { data: _data, ...source } = f.message;
        subscriber.next({
          no,
          source,
          index: no,
          pts: Number(f.message.logTimeNs) / 1e9,
          width: f.width,
          height: f.height,
          format: 'rgb24',
          pixels: f.rgb,
          arrivalMs: performance.now(),
        });
        no++;
      }
      o.undecoded(decoder.undecoded);
    };
    Promise.all([feed(), drain()]).then(
      () => subscriber.complete(),
      (err: unknown) => subscriber.error(toSegStreamError(err)),
    );
    return () => {
      closed = true;
      void decoder.destroy();
    };
  });
}
