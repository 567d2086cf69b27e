// What --smooth costs, this build against an earlier one (e.g. the build before smoothing moved to
// the inference thread), all four settings interleaved in the same run:
//  * live latency: an RTSP camera (GStreamer, the dashcam clip at 25 fps, 960x540) read for
//    --seconds with an overlay written; p50/p95 of frame arrival → leaving the sinks,
//  * speed: fps of `-o overlay.mp4` on the dashcam clip (221 frames).
// Each round runs every (build, smoothing) pair once, in an order rotated from round to round.
// Results in bench/results/smooth-thread.json (or --out): per run, and per setting the medians over rounds
// with the ratios --smooth / per-frame within each build.
//
// A baseline build of an earlier commit, without touching this checkout:
//   mkdir /tmp/seg-base && git archive <commit> | tar -x -C /tmp/seg-base
//   ln -s "$PWD/node_modules" /tmp/seg-base/node_modules && ln -s "$PWD/models" /tmp/seg-base/models
//   (cd /tmp/seg-base && npx tsc -p tsconfig.build.json)
// Usage: node bench/smooth-thread.mjs [--baseline /tmp/seg-base/dist [--label baseline]] [--smooth 0.8] [--rounds 4]
//          [--seconds 15] [--fps-rounds 4] [--no-live] [--no-speed] [--out smooth-thread.json]
//          [--max-load L: before each run, wait (up to 10 min) for the 1-minute load average to fall below L]
// Each run records the 1-minute load average before and after it (`load1`), its own share included.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as current from '../dist/index.js';
import { benchModel, ffmpegSync, root, round, serveRtsp, shared, work } from './lib.mjs';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    smooth: { type: 'string', default: '0.8' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '15' },
    'fps-rounds': { type: 'string', default: '4' },
    'no-live': { type: 'boolean' },
    'no-speed': { type: 'boolean' },
    out: { type: 'string', default: 'smooth-thread.json' },
    'max-load': { type: 'string' },
    label: { type: 'string', default: 'baseline' },
  },
});
const S = Number(values.smooth);
const builds = { current };
if (values.baseline)
  builds[values.label] = await import(pathToFileURL(path.join(path.resolve(values.baseline), 'index.js')).href);
const chosen = benchModel();
const model = await current.loadModel(chosen.dir);
const settings = Object.keys(builds).flatMap((build) =>
  [0, S].map((smooth) => ({ build, smooth, key: `${build} ${smooth ? `--smooth ${smooth}` : 'per-frame'}` })),
);
const rotated = (r) => settings.map((_, i) => settings[(i + r) % settings.length]);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = () => loadavg().map((v) => round(v, 2));
/** With --max-load: waits (up to 10 min) until the 1-minute load average is below it; returns the load then. */
async function quiet() {
  const limit = Number(values['max-load'] ?? Infinity);
  for (let waited = 0; load()[0] >= limit && waited < 600; waited += 5) await new Promise((r) => setTimeout(r, 5000));
  return load()[0];
}

/** @type {any} */
const results = {
  date: new Date().toISOString(),
  model: chosen.label,
  smooth: S,
  baseline: values.baseline ?? null,
  loadAtStart: load(),
  live: undefined,
  speed: undefined,
};

if (!values['no-live']) {
  const clip = path.join(work, 'camera-960x540-25fps.mp4');
  ffmpegSync([
    '-stream_loop',
    '-1',
    '-i',
    path.join(shared, 'samples', 'solidWhiteRight.mp4'),
    '-vf',
    'scale=960:540,fps=25',
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
    '25',
    '-pix_fmt',
    'yuv420p',
    clip,
  ]);
  const server = await serveRtsp(clip);
  const runs = [];
  try {
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const s of rotated(r)) {
        const loadBefore = await quiet();
        const sum = await builds[s.build].segmentVideo({
          input: server.url,
          output: path.join(work, 'smooth-thread-live.mp4'),
          model,
          duration: Number(values.seconds),
          smooth: s.smooth || undefined,
        });
        const run = {
          round: r + 1,
          setting: s.key,
          frames: sum.frames,
          dropped: sum.droppedFrames,
          latencyMs: sum.latencyMs,
          stageMs: sum.stageMs,
          flicker: sum.stability.flicker,
          load1: [loadBefore, load()[0]],
        };
        runs.push(run);
        console.error(JSON.stringify(run));
      }
    }
  } finally {
    server.stop();
  }
  const bySetting = Object.fromEntries(
    settings.map((s) => {
      const mine = runs.filter((r) => r.setting === s.key);
      return [
        s.key,
        {
          p50: mine.map((r) => r.latencyMs.p50),
          p95: mine.map((r) => r.latencyMs.p95),
          medianP50: round(median(mine.map((r) => r.latencyMs.p50)), 1),
          medianP95: round(median(mine.map((r) => r.latencyMs.p95)), 1),
          dropRate: round(
            mine.reduce((a, r) => a + r.dropped, 0) / mine.reduce((a, r) => a + r.dropped + r.frames, 0),
            3,
          ),
        },
      ];
    }),
  );
  results.live = {
    camera: 'RTSP, dashcam clip 960x540 at 25 fps, -o overlay',
    seconds: Number(values.seconds),
    runs,
    bySetting,
  };
}

if (!values['no-speed']) {
  const input = path.join(shared, 'samples', 'solidWhiteRight.mp4');
  const runs = [];
  for (let r = 0; r < Number(values['fps-rounds']); r++) {
    for (const s of rotated(r)) {
      const loadBefore = await quiet();
      const sum = await builds[s.build].segmentVideo({
        input,
        output: path.join(work, 'smooth-thread-overlay.mp4'),
        model,
        smooth: s.smooth || undefined,
      });
      runs.push({ round: r + 1, setting: s.key, fps: sum.fps, load1: [loadBefore, load()[0]] });
      console.error(JSON.stringify(runs.at(-1)));
    }
  }
  const bySetting = Object.fromEntries(
    settings.map((s) => [
      s.key,
      {
        fps: runs.filter((r) => r.setting === s.key).map((r) => r.fps),
        medianFps: round(median(runs.filter((r) => r.setting === s.key).map((r) => r.fps)), 2),
      },
    ]),
  );
  results.speed = { clip: 'solidWhiteRight.mp4 -o overlay.mp4', runs, bySetting };
}

// Within each build: --smooth / per-frame.
results.ratios = Object.fromEntries(
  Object.keys(builds).map((b) => {
    const on = `${b} --smooth ${S}`;
    const off = `${b} per-frame`;
    return [
      b,
      {
        ...(results.live && {
          p50: round(results.live.bySetting[on].medianP50 / results.live.bySetting[off].medianP50, 3),
          p95: round(results.live.bySetting[on].medianP95 / results.live.bySetting[off].medianP95, 3),
        }),
        ...(results.speed && {
          fps: round(results.speed.bySetting[on].medianFps / results.speed.bySetting[off].medianFps, 3),
        }),
      },
    ];
  }),
);
results.loadAtEnd = load();
writeFileSync(path.join(root, 'bench', 'results', values.out), `${JSON.stringify(results, null, 2)}\n`);

console.log(
  '| build, setting | live p50 ms (median) | live p95 ms (median) | p95 per round | drop rate | overlay fps (median) |',
);
console.log('|---|---|---|---|---|---|');
for (const s of settings) {
  const l = results.live?.bySetting[s.key];
  const f = results.speed?.bySetting[s.key];
  console.log(
    `| ${s.key} | ${l?.medianP50 ?? '—'} | ${l?.medianP95 ?? '—'} | ${l?.p95.join(' / ') ?? '—'} | ${l?.dropRate ?? '—'} | ${f?.medianFps ?? '—'} |`,
  );
}
console.log(
  `\n--smooth / per-frame, medians: ${JSON.stringify(results.ratios)}; load average at start ${results.loadAtStart.join(' ')}, at end ${results.loadAtEnd.join(' ')}`,
);
