import { readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSegStreamError } from '../../../src/errors.js';
import { segmentVideo } from '../../../src/runs/video/segment-video.js';
import { segmentFolder } from '../../../src/runs/folders/segment-folder.js';
import { evaluateDataset } from '../../../src/runs/eval/evaluate.js';
import { labelMap, redLeftImage, writePng } from '../eval/fixtures.js';
import { liveChildCount } from '../../../src/process/child.js';
import { childFfmpegPids, makeIndexedVideo, readGrayPng, tempDir, tinyModelDir } from '../../helpers/media.js';

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
    const classes = new Set<number>();
    for (const name of readdirSync(onnx)) {
      const x = readGrayPng(path.join(onnx, name)).data;
      const y = readGrayPng(path.join(tfjs, name)).data;
      for (let i = 0; i < x.length; i++) {
        if (x[i] === y[i]) same++;
        classes.add(x[i]);
      }
      total += x.length;
    }
    expect(total).toBe(20 * 256 * 144);
    expect(classes.size).toBeGreaterThan(1);
    expect(same / total).toBeGreaterThanOrEqual(0.99);
  });

  it('leaves no threads, tensors or child processes behind, after a run and after an error', async () => {
    // Warm both engines: each runtime keeps a process-wide thread or two after its first use.
    await segmentVideo({
      input,
      output: path.join(tmp.dir, 'warm.mp4'),
      model: tinyModelDir,
      engine: 'tfjs',
      frames: 3,
    });
    await segmentVideo({
      input,
      output: path.join(tmp.dir, 'warm-onnx.mp4'),
      model: tinyModelDir,
      engine: 'onnx',
      frames: 3,
    });
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

  it('frame-folder and eval runs leave no threads, tensors or child processes behind, after a run and after an error', async () => {
    // A CamVid-layout split: val/ frames and valannot/ labels; a broken frame and a broken label beside it.
    const ds = path.join(tmp.dir, 'ds');
    for (const d of ['val', 'valannot', 'bad/val', 'bad/valannot']) mkdirSync(path.join(ds, d), { recursive: true });
    for (let i = 0; i < 6; i++) {
      for (const root of [ds, path.join(ds, 'bad')]) {
        writePng(path.join(root, 'val', `f${i}.png`), redLeftImage(i), 'rgb');
        writePng(
          path.join(root, 'valannot', `f${i}.png`),
          labelMap((x) => (x < 48 ? 1 : 0)),
          'gray',
        );
      }
    }
    writeFileSync(path.join(ds, 'bad', 'val', 'f3.png'), readFileSync(path.join(ds, 'val', 'f3.png')).subarray(0, 60));
    const runs = async (engine: 'onnx' | 'tfjs', n: number) => {
      await segmentFolder({
        input: path.join(ds, 'val'),
        masks: path.join(tmp.dir, `masks-${engine}-${n}`),
        model: tinyModelDir,
        engine,
      });
      await evaluateDataset({ dir: ds, model: tinyModelDir, engine });
    };
    await runs('tfjs', 0);
    await runs('onnx', 0);
    await settle();
    const threads = threadCount();
    const tensors = tf.memory().numTensors;

    await runs('tfjs', 1);
    await runs('onnx', 1);
    const folderFailure = await segmentFolder({
      input: path.join(ds, 'bad', 'val'),
      masks: path.join(tmp.dir, 'masks-bad'),
      model: tinyModelDir,
      score: false,
    }).catch((e: unknown) => e);
    expect(isSegStreamError(folderFailure, 'SEGSTREAM_ERR_INPUT_CORRUPT')).toBe(true);
    const evalFailure = await evaluateDataset({ dir: path.join(ds, 'bad'), model: tinyModelDir, engine: 'tfjs' }).catch(
      (e: unknown) => e,
    );
    expect(isSegStreamError(evalFailure, 'SEGSTREAM_ERR_INPUT_CORRUPT')).toBe(true);
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
    const { probe } = await import('../../helpers/media.js');
    expect(probe(output).video.frames).toBe(summary.frames);
  });
});
