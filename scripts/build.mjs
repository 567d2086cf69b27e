// Builds dist/ from src/ and stamps it with a hash of what it was built from, so that anything
// that runs dist/ (worker threads, the CLI binary, benchmarks) can tell a stale build from a fresh one.
//
//   node scripts/build.mjs              build (always)
//   node scripts/build.mjs --if-stale   build only when src/ or the build's tsconfig changed since dist/ was built
//
// vitest runs `setup` below as a global setup: tests import src/ while workers and the CLI run dist/,
// so a stale dist/ would otherwise be tested silently. The build goes to a folder beside dist/ and
// replaces it only once tsc succeeded: a failed build leaves no half-written dist/ and fails loudly.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stampName = '.source-hash';
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json'];

/** Every file below `dir` (relative to `root`), sorted. */
function filesBelow(root, dir) {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** A hash of the names and contents of everything the build of the project at `root` reads. */
export function sourceHash(root = projectRoot) {
  const hash = createHash('sha256');
  for (const input of inputs) {
    for (const file of input === 'src' ? filesBelow(root, input) : [input])
      hash
        .update(`${file}\0`)
        .update(readFileSync(path.join(root, file)))
        .update('\0');
  }
  return hash.digest('hex');
}

/** Whether dist/ was built from the sources as they are now. */
export function distIsFresh(root = projectRoot) {
  const stamp = path.join(root, 'dist', stampName);
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sourceHash(root);
}

/** Compiles src/ into dist/ (replaced whole); throws with tsc's output when it does not compile. */
export function build(root = projectRoot) {
  const hash = sourceHash(root);
  const dist = path.join(root, 'dist');
  const next = path.join(root, `.dist-building-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', next], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (err) {
    rmSync(next, { recursive: true, force: true });
    const { stdout = '', stderr = '' } = /** @type {{ stdout?: string, stderr?: string }} */ (err);
    throw new Error(`the build of dist/ failed (tsc -p tsconfig.build.json):\n${stdout}${stderr}`, { cause: err });
  }
  writeFileSync(path.join(next, stampName), `${hash}\n`);
  rmSync(dist, { recursive: true, force: true });
  renameSync(next, dist);
}

/** Builds dist/ unless it is fresh; says so on stderr when it builds. */
export function buildIfStale(root = projectRoot) {
  if (distIsFresh(root)) return false;
  process.stderr.write('dist/ is missing or older than src/: building it (tsc -p tsconfig.build.json)\n');
  build(root);
  return true;
}

/** vitest global setup: the code under test in worker threads and the CLI is the code of src/. */
export function setup() {
  buildIfStale();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    if (process.argv.includes('--if-stale')) buildIfStale();
    else build();
  } catch (err) {
    process.stderr.write(`${/** @type {Error} */ (err).message}\n`);
    process.exitCode = 1;
  }
}
