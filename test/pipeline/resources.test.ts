import { readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSegStreamError } from '../../src/errors.js';
import { segmentVideo } from '../../src/runs/video/segment-video.js';
import { liveChildCount } from '../../src/process/child.js';
import { childFfmpegPids, makeIndexedVideo, readGrayPng, tempDir, tinyModelDir } from '../helpers/media.js';

/** OS threads of this process: worker threads and inference pools that outlive a run show here. */
function threadCount(): number {
  return Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

describe('resources after runs and errors', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  beforeAll(async () => {
    await makeIndexedVideo(input, { width: 256, height: 144, frames: 20, fps: '25', audio: true });
  });
  afterAll(() => tmp.cleanup());

  it('both engines give the same class maps through the whole pipeline (>= 99% of pixels)', async () => {
    const onnx = path.join(tmp.dir, 'onnx');
    const tfjs = path.join(tmp.dir, 'tfjs');
    const a = await segmentVideo({ input, masks: onnx, model: tinyModelDir, engine: 'onnx' });
    const b = await segmentVideo({ input, masks: tfjs, model: tinyModelDir, engine: 'tfjs' });
    expect(a.backend).toMatch(/onnxruntime/);
    expect(b.backend).toMatch(/tfjs/);
    let same = 0;
    let total = 0;
    let classes = new Set<number>();
    for (const name of readdirSync(onnx)) {
      const x = readGrayPng(path.join(onnx, name)).data;
      const y = readGrayPng(path.join(tfjs, name)).data;
      for (let i = 0; i < x.length; i++) {
        if (x[i] === y[i]) same++;
        classes.add(x[i]!);
      }
      total += x.length;
    }
    expect(total).toBe(20 * 256 * 144);
    expect(classes.size).toBeGreaterThan(1);
    expect(same / total).toBeGreaterThanOrEqual(0.99);
  });

  it('leaves no threads, tensors or child processes behind, after a run and after an error', async () => {
    // Warm both engines: each runtime keeps a process-wide thread or two after its first use.
    await segmentVideo({ input, output: path.join(tmp.dir, 'warm.mp4'), model: tinyModelDir, engine: 'tfjs', frames: 3 });
    await segmentVideo({ input, output: path.join(tmp.dir, 'warm-onnx.mp4'), model: tinyModelDir, engine: 'onnx', frames: 3 });
    await settle();
    const threads = threadCount();
    const tensors = tf.memory().numTensors;

    await segmentVideo({ input, output: path.join(tmp.dir, 'again.mp4'), model: tinyModelDir, engine: 'tfjs' });
    await segmentVideo({ input, output: path.join(tmp.dir, 'again-onnx.mp4'), model: tinyModelDir, engine: 'onnx' });
    await settle();
    expect(threadCount()).toBe(threads);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(liveChildCount()).toBe(0);
    expect(childFfmpegPids()).toEqual([]);

    // The output folder disappears mid-run: the finished video cannot be moved into place.
    const doomed = path.join(tmp.dir, 'doomed');
    mkdirSync(doomed);
    let removed = false;
    const failure = await segmentVideo({
      input,
      output: path.join(doomed, 'o.mp4'),
      model: tinyModelDir,
      engine: 'tfjs',
      onProgress: () => {
        if (!removed) rmSync(doomed, { recursive: true, force: true });
        removed = true;
      },
    }).catch((e: unknown) => e);
    expect(isSegStreamError(failure)).toBe(true);
    await settle();
    expect(threadCount()).toBe(threads);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(liveChildCount()).toBe(0);
    expect(childFfmpegPids()).toEqual([]);
  });

  it('stops gracefully on an abort signal and still writes a playable file', async () => {
    const stop = new AbortController();
    const output = path.join(tmp.dir, 'stopped.mp4');
    // Long enough that the run cannot finish before the (100 ms throttled) progress callback stops it.
    const long = path.join(tmp.dir, 'long.mp4');
    await makeIndexedVideo(long, { width: 256, height: 144, frames: 300, fps: '25', audio: false });
    const summary = await segmentVideo({
      input: long,
      output,
      model: tinyModelDir,
      maxInFlight: 2,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.frames >= 3) stop.abort();
      },
    });
    expect(summary.stopped).toBe('signal');
    expect(summary.frames).toBeGreaterThanOrEqual(3);
    expect(summary.frames).toBeLessThan(300);
    const { probe } = await import('../helpers/media.js');
    expect(probe(output).video.frames).toBe(summary.frames);
  });
});
