// Checks that this tree writes the same outputs as a reference build on the same input: class-id
// and free-space masks byte for byte, the overlay video frame for frame (decoded, MD5 per frame),
// and the same stability figure in the --json summary. For speed work, where nothing a user sees
// may change.
// Reference: a directory with a built tree, or a commit (built under bench/out/, see trees.mjs);
// default: where this branch left main (`git merge-base HEAD main`).
// Usage: node bench/same-output.mjs [--reference COMMIT|DIR] [--input FILE] [--frames 120] [-- extra seg-stream flags]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bins, makeClip, root, work } from './lib.mjs';
import { builtTree } from './trees.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { reference: { type: 'string' }, input: { type: 'string' }, frames: { type: 'string', default: '120' } },
});
const reference = builtTree(
  values.reference ?? execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: root, encoding: 'utf8' }).trim(),
);
const input = values.input
  ? path.resolve(values.input)
  : makeClip('ab-dashcam-960x540-25fps-884.mp4', { size: '960x540', fps: 25, frames: 884 });

function run(tree, name) {
  const dir = path.join(work, `same-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const args = [
    path.join(tree, 'bin', 'seg-stream.js'),
    input,
    '-o',
    path.join(dir, 'overlay.mp4'),
    '--masks',
    path.join(dir, 'masks'),
    '--free-space',
    path.join(dir, 'free'),
    '--json',
    '-q',
    '--frames',
    values.frames,
    ...positionals,
  ];
  const r = spawnSync(process.execPath, args, {
    cwd: tree,
    encoding: 'utf8',
    env: { ...process.env, FFMPEG_PATH: bins.ffmpeg.path, FFPROBE_PATH: bins.ffprobe.path },
  });
  if (r.status !== 0) throw new Error(`${name}: seg-stream failed (${r.status}): ${r.stderr}`);
  const md5 = execFileSync(
    bins.ffmpeg.path,
    ['-v', 'error', '-i', path.join(dir, 'overlay.mp4'), '-map', '0:v:0', '-f', 'framemd5', '-'],
    { encoding: 'utf8' },
  );
  return {
    dir,
    summary: JSON.parse(r.stdout),
    frames: md5
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => (l.split(',').pop() ?? '').trim()),
  };
}

const a = run(reference.dir, 'reference');
const b = run(root, 'current');
const problems = [];
for (const folder of ['masks', 'free']) {
  const names = readdirSync(path.join(a.dir, folder)).sort();
  const other = readdirSync(path.join(b.dir, folder)).sort();
  if (names.join() !== other.join()) problems.push(`${folder}: different file names`);
  const differ = names.filter(
    (n) =>
      !other.includes(n) ||
      !readFileSync(path.join(a.dir, folder, n)).equals(readFileSync(path.join(b.dir, folder, n))),
  );
  if (differ.length) problems.push(`${folder}: ${differ.length} of ${names.length} files differ (first ${differ[0]})`);
}
if (a.frames.length !== b.frames.length) problems.push(`overlay: ${a.frames.length} vs ${b.frames.length} frames`);
const firstDiff = a.frames.findIndex((h, i) => h !== b.frames[i]);
if (firstDiff >= 0) problems.push(`overlay: frames differ from frame ${firstDiff}`);
if (JSON.stringify(a.summary.stability) !== JSON.stringify(b.summary.stability))
  problems.push(`stability: ${JSON.stringify(a.summary.stability)} vs ${JSON.stringify(b.summary.stability)}`);
console.log(
  `reference ${reference.label} vs this tree, ${path.relative(root, input)}, ${b.summary.frames} frames${positionals.length ? ` (${positionals.join(' ')})` : ''}: ${problems.length ? `DIFFERENT\n  ${problems.join('\n  ')}` : `same (masks ${readdirSync(path.join(b.dir, 'masks')).length} + free space byte-identical, overlay frame MD5s identical, stability figure equal)`}`,
);
process.exitCode = problems.length ? 1 : 0;
