// CPU milliseconds per frame, per thread (main, inference, workers, other), of a log run on a
// JPEG-camera MCAP against a frame-folder run on the same frames as a JPEG folder, each in a
// process of its own (bench/thread-cpu.mjs reads /proc). CPU time per frame holds under load,
// where wall-clock fps does not: it shows what the log path does beyond the folder path.
// Usage: node bench/log-cpu.mjs [--frames N] [--size WxH] [--model DIR] [--rounds R]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchModel, root, round, work } from './lib.mjs';
import { jpegFrames, jpegMcap } from './log-lib.mjs';
import { runMeasured } from './thread-cpu.mjs';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '150' },
    size: { type: 'string', default: '960x540' },
    model: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});
const N = Number(values.frames);
const chosen = values.model ? { dir: path.resolve(values.model), label: values.model } : benchModel();
const folder = jpegFrames(N, values.size);
const log = await jpegMcap(path.join(work, `log-speed-${values.size}-${N}.mcap`), folder);

const script = path.join(work, 'log-cpu-run.mjs');
writeFileSync(
  script,
  `import { rmSync } from 'node:fs';
import { segmentFolder, segmentLog } from ${JSON.stringify(path.join(root, 'dist', 'index.js'))};
const [kind, input, out, model] = process.argv.slice(2);
rmSync(out, { recursive: true, force: true });
const s = kind === 'log' ? await segmentLog({ input, masks: out, model }) : await segmentFolder({ input, masks: out, model, overwrite: true });
console.log(JSON.stringify({ frames: s.frames, fps: s.fps }));
`,
);

const perFrame = async (kind, input) => {
  const r = await runMeasured({
    script,
    args: [kind, input, path.join(work, `log-cpu-${kind}`), chosen.dir],
    cwd: work,
  });
  if (r.code !== 0) throw new Error(r.stderr);
  const { frames, fps } = JSON.parse(r.stdout.trim().split('\n').pop());
  const ms = Object.fromEntries(Object.entries(r.cpu.threads).map(([k, v]) => [k, round((v * 1000) / frames, 2)]));
  return { frames, fpsUnderLoad: fps, cpuMsPerFrame: { ...ms, total: round((r.cpu.process * 1000) / frames, 2) } };
};

const rounds = [];
for (let i = 0; i < Number(values.rounds); i++) {
  const f = await perFrame('folder', folder);
  const l = await perFrame('log', log);
  console.error(`round ${i + 1}: folder ${JSON.stringify(f.cpuMsPerFrame)}, log ${JSON.stringify(l.cpuMsPerFrame)}`);
  rounds.push({ folder: f, log: l });
}
console.log(JSON.stringify({ bench: 'log-cpu', model: chosen.label, size: values.size, frames: N, rounds }, null, 1));
