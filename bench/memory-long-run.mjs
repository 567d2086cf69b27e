// Peak RSS of `-o overlay.mp4` on a 1-minute and a 5-minute input: memory must stay flat however
// long the video (the two peaks within 15% of each other).
// Usage: node bench/memory-long-run.mjs [--size 640x360]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { benchModel, makeClip, round, root, work } from './lib.mjs';

const { values } = parseArgs({ options: { size: { type: 'string', default: '640x360' } } });
const chosen = benchModel();
const results = { date: new Date().toISOString(), model: chosen.label, size: values.size, runs: {} };
for (const minutes of [1, 5]) {
  const clip = makeClip(`bench-${values.size}-30fps-${minutes}min.mp4`, {
    size: values.size,
    fps: 30,
    frames: minutes * 60 * 30,
  });
  // A fresh process per run, so one run's heap cannot hide in the other's peak.
  const stdout = execFileSync(
    process.execPath,
    [
      path.join(root, 'bin', 'seg-stream.js'),
      clip,
      '-o',
      path.join(work, `memory-${minutes}min.mp4`),
      '--model',
      chosen.dir,
      '--json',
      '--quiet',
    ],
    { encoding: 'utf8' },
  );
  const s = JSON.parse(stdout);
  results.runs[`${minutes}min`] = {
    frames: s.frames,
    fps: s.fps,
    peakRssMB: s.peakRssMB,
    peakInFlight: s.peakInFlight,
  };
  console.error(`${minutes} min: ${JSON.stringify(results.runs[`${minutes}min`])}`);
}
results.ratio5to1 = round(results.runs['5min'].peakRssMB / results.runs['1min'].peakRssMB, 3);
writeFileSync(path.join(root, 'bench', 'results', 'memory-long-run.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `peak RSS 1 min ${results.runs['1min'].peakRssMB} MB, 5 min ${results.runs['5min'].peakRssMB} MB, ratio ${results.ratio5to1}`,
);
