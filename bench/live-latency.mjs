// Live-stream latency and drops: a real RTSP server (GStreamer, test/helpers/rtsp_server.py)
// serves the dashcam clip as a camera at 10, 25 and 30 fps; seg-stream reads it with the default
// model and writes an overlay, for --seconds each. Prints latency p50/p95 (frame arrival →
// leaving the sinks) and the drop rate (frames dropped / frames received).
// With --smooth S each rate is run without and with --smooth S, alternating for --rounds rounds
// (results in live-latency-smooth.json).
// Usage: node bench/live-latency.mjs [--seconds 20] [--size 960x540] [--rates 10,25,30] [--smooth S --rounds 2]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, segmentVideo } from '../dist/index.js';
import { benchModel, ffmpegSync, root, round, serveRtsp, shared, work } from './lib.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    size: { type: 'string', default: '960x540' },
    rates: { type: 'string', default: '10,25,30' },
    smooth: { type: 'string' },
    rounds: { type: 'string', default: '2' },
  },
});
const smooth = values.smooth === undefined ? undefined : Number(values.smooth);
// Without --smooth: one per-frame run per rate, as before.
const contenders = (r) => (smooth === undefined ? [0] : r % 2 ? [smooth, 0] : [0, smooth]);
const chosen = benchModel();
const model = await loadModel(chosen.dir);
const [w, h] = values.size.split('x');

const results = {
  date: new Date().toISOString(),
  model: chosen.label,
  size: values.size,
  seconds: Number(values.seconds),
  rates: {},
};
for (const fps of values.rates.split(',').map(Number)) {
  const clip = path.join(work, `camera-${values.size}-${fps}fps.mp4`);
  ffmpegSync([
    '-stream_loop',
    '-1',
    '-i',
    path.join(shared, 'samples', 'solidWhiteRight.mp4'),
    '-vf',
    `scale=${w}:${h},fps=${fps}`,
    '-t',
    '20',
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'fast',
    '-bf',
    '0',
    '-g',
    String(fps),
    '-pix_fmt',
    'yuv420p',
    clip,
  ]);
  const server = await serveRtsp(clip);
  try {
    for (let r = 0; r < (smooth === undefined ? 1 : Number(values.rounds)); r++) {
      for (const s0 of contenders(r)) {
        const s = await segmentVideo({
          input: server.url,
          output: path.join(work, `live-${fps}fps.mp4`),
          model,
          duration: Number(values.seconds),
          smooth: s0 || undefined,
        });
        const received = s.frames + s.droppedFrames;
        const key = s0
          ? `${fps}fps --smooth ${s0} #${r + 1}`
          : smooth === undefined
            ? `${fps}fps`
            : `${fps}fps #${r + 1}`;
        results.rates[key] = {
          frames: s.frames,
          dropped: s.droppedFrames,
          dropRate: round(s.droppedFrames / Math.max(1, received), 3),
          outputFps: s.fps,
          latencyMs: s.latencyMs,
          reconnects: s.reconnects,
          flicker: s.stability.flicker,
        };
        console.error(`${key}: ${JSON.stringify(results.rates[key])}`);
      }
    }
  } finally {
    server.stop();
  }
}
writeFileSync(
  path.join(root, 'bench', 'results', smooth === undefined ? 'live-latency.json' : 'live-latency-smooth.json'),
  `${JSON.stringify(results, null, 2)}\n`,
);
console.log('| source fps | frames | dropped | drop rate | latency p50 ms | latency p95 ms | max ms |');
console.log('|---|---|---|---|---|---|---|');
for (const [rate, r] of Object.entries(results.rates))
  console.log(
    `| ${rate} | ${r.frames} | ${r.dropped} | ${r.dropRate} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.max} |`,
  );
