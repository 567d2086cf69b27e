// Peak RSS of a log run on a ~200 MB MCAP and a ~2 GB MCAP of the same JPEG frames repeated
// (a log ten times longer), each run in a child process of its own. Target: the big log's peak
// within 10 % of the small one's. Generating the 2 GB log takes disk space under bench/out.
// Usage: node bench/log-memory.mjs [--small-mb 200] [--big-mb 2000] [--size WxH] [--model DIR]
import { spawnSync } from 'node:child_process';
import { statSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchModel, root, round, work } from './lib.mjs';
import { jpegFrames, jpegMcap } from './log-lib.mjs';

const { values } = parseArgs({
  options: {
    'small-mb': { type: 'string', default: '200' },
    'big-mb': { type: 'string', default: '2000' },
    size: { type: 'string', default: '1280x720' },
    model: { type: 'string' },
  },
});
const chosen = values.model ? { dir: path.resolve(values.model), label: values.model } : benchModel();
const folder = jpegFrames(100, values.size);
const passMB = readdirSync(folder).reduce((n, f) => n + readFileSync(path.join(folder, f)).length, 0) / 2 ** 20;

const measure = async (mb) => {
  const repeat = Math.max(1, Math.round(mb / passMB));
  const file = await jpegMcap(path.join(work, `log-memory-${values.size}-x${repeat}.mcap`), folder, repeat);
  const script = `import { segmentLog } from ${JSON.stringify(path.join(root, 'dist', 'index.js'))};
const s = await segmentLog({ input: ${JSON.stringify(file)}, stats: ${JSON.stringify(path.join(work, 'log-memory-stats.jsonl'))}, model: ${JSON.stringify(chosen.dir)} });
console.log(JSON.stringify({ frames: s.frames, fps: s.fps, peakRssMB: s.peakRssMB, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));`;
  const child = path.join(work, 'log-memory-run.mjs');
  writeFileSync(child, script);
  const r = spawnSync(process.execPath, [child], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(r.stderr);
  return { fileMB: round(statSync(file).size / 2 ** 20, 0), ...JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') };
};

const small = await measure(Number(values['small-mb']));
console.error(`small: ${JSON.stringify(small)}`);
const big = await measure(Number(values['big-mb']));
console.error(`big: ${JSON.stringify(big)}`);
console.log(
  JSON.stringify({
    bench: 'log-memory',
    model: chosen.label,
    small,
    big,
    ratio: round(big.maxRssMB / small.maxRssMB, 3),
    target: 1.1,
  }),
);
