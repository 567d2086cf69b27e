// Frames per second of a log run on a JPEG-camera MCAP against a frame-folder run on the same
// frames as a JPEG folder, interleaved in one process (A B A B ...), same model, masks written.
// Target: log fps >= 0.9x folder fps. Timings mean something only on a quiet machine.
// Usage: node bench/log-speed.mjs [--frames N] [--rounds R] [--size WxH] [--model DIR]
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { segmentFolder, segmentLog } from '../dist/index.js';
import { benchModel, round, work } from './lib.mjs';
import { jpegFrames, jpegMcap } from './log-lib.mjs';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '2' },
    size: { type: 'string', default: '1280x720' },
    model: { type: 'string' },
  },
});
const N = Number(values.frames);
const chosen = values.model ? { dir: path.resolve(values.model), label: values.model } : benchModel();
const folder = jpegFrames(N, values.size);
const log = await jpegMcap(path.join(work, `log-speed-${values.size}-${N}.mcap`), folder);

/** @type {{ folder: number[], log: number[] }} */
const runs = { folder: [], log: [] };
for (let r = 0; r < Number(values.rounds); r++) {
  const outF = path.join(work, 'log-speed-folder');
  rmSync(outF, { recursive: true, force: true });
  const f = await segmentFolder({ input: folder, masks: outF, model: chosen.dir, overwrite: true });
  runs.folder.push(f.fps);
  const outL = path.join(work, 'log-speed-log');
  rmSync(outL, { recursive: true, force: true });
  const l = await segmentLog({ input: log, masks: outL, model: chosen.dir });
  runs.log.push(l.fps);
  console.error(`round ${r + 1}: folder ${f.fps} fps, log ${l.fps} fps`);
}
const best = (a) => Math.max(...a);
console.log(
  JSON.stringify({
    bench: 'log-speed',
    model: chosen.label,
    frames: N,
    size: values.size,
    folderFps: runs.folder,
    logFps: runs.log,
    ratio: round(best(runs.log) / best(runs.folder), 3),
    target: 0.9,
  }),
);
