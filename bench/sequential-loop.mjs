// The baseline a demo script would be: one frame at a time through the same components, each
// stage running alone — decode one frame, preprocess, infer, render, encode, then the next.
// ffmpeg runs in child processes, which would otherwise keep working in parallel with the loop;
// the decoder is stopped (SIGSTOP) outside its turn and the loop waits for the encoder to go idle
// after each frame, so no two stages overlap.
import { readFileSync, readdirSync } from 'node:fs';
import { decoderArgs } from '../dist/ingest/video-decoder.js';
import { createEngine } from '../dist/infer/engine.js';
import { blendOverlayI420 } from '../dist/render/overlay.js';
import { buildClassLut, defaultClassSelection } from '../dist/render/palette.js';
import { resizeI420ToTensor } from '../dist/pixels/tensor.js';
import { frameByteLength } from '../dist/pixels/yuv.js';
import { VideoEncoder } from '../dist/index.js';
import { spawnManaged } from '../dist/process/child.js';

/** True when every thread of `pid` is sleeping (blocked, e.g. on reading its stdin). */
function idle(pid) {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'R') return false;
    }
    return true;
  } catch {
    return true;
  }
}

async function waitIdle(pid) {
  // Two idle readings in a row: a thread between work items can look asleep for an instant.
  let streak = 0;
  while (streak < 2) {
    streak = idle(pid) ? streak + 1 : 0;
    await new Promise((r) => setImmediate(r));
  }
}

/** Runs the sequential loop; resolves with frames and wall seconds. */
export async function runSequential({ ffmpeg, info, model, output, engine: engineName = 'onnx', alpha = 0.5 }) {
  const engine = await createEngine(model, {
    engine: /** @type {import('../dist/infer/types.js').EngineName} */ (engineName),
  });
  const lut = buildClassLut(model.card.classes, defaultClassSelection(model));
  // Same frame format as the pipeline: I420 through both pipes, no conversion in ffmpeg.
  const frameBytes = frameByteLength('yuv420p', info.width, info.height);
  const encoder = new VideoEncoder({
    ffmpeg,
    output,
    width: info.width,
    height: info.height,
    fps: info.fps,
    pixelFormat: 'yuv420p',
  });
  const decoder = spawnManaged(ffmpeg, decoderArgs(info.input, undefined, 'yuv420p'), { stdout: 'pipe' });
  const stdout = /** @type {import('node:stream').Readable} */ (decoder.process.stdout);
  stdout.pause();
  const t0 = performance.now();
  let frames = 0;
  let leftover = Buffer.alloc(0);
  // 'end' can come while the loop is between frames (the stream paused with nothing left to
  // read), so it is recorded once here rather than listened for per frame.
  let ended = false;
  let onEnd;
  stdout.once('end', () => {
    ended = true;
    onEnd?.();
  });
  const readFrame = () =>
    new Promise((resolve) => {
      const frame = new Uint8Array(frameBytes);
      let filled = Math.min(leftover.length, frameBytes);
      frame.set(leftover.subarray(0, filled));
      leftover = leftover.subarray(filled);
      if (filled === frameBytes) return resolve(frame);
      const onData = (chunk) => {
        const take = Math.min(chunk.length, frameBytes - filled);
        frame.set(chunk.subarray(0, take), filled);
        filled += take;
        if (filled === frameBytes) {
          leftover = chunk.subarray(take);
          stdout.off('data', onData);
          onEnd = undefined;
          stdout.pause();
          resolve(frame);
        }
      };
      onEnd = () => {
        stdout.off('data', onData);
        onEnd = undefined;
        resolve(undefined);
      };
      if (ended) return onEnd();
      stdout.on('data', onData);
      stdout.resume();
    });
  for (;;) {
    decoder.process.kill('SIGCONT');
    const yuv = await readFrame();
    decoder.process.kill('SIGSTOP');
    if (!yuv) break;
    const input = resizeI420ToTensor(yuv, info.width, info.height, model.card.input, engine.inputLayout);
    const [seg] = await engine.run([input]);
    blendOverlayI420(yuv, info.width, info.height, seg.classMap, seg.width, seg.height, lut, alpha);
    await encoder.write(yuv);
    await waitIdle(encoder.child.process.pid);
    frames++;
  }
  decoder.process.kill('SIGCONT');
  await encoder.finish();
  await decoder.exited;
  await engine.dispose();
  return { frames, seconds: (performance.now() - t0) / 1000 };
}
