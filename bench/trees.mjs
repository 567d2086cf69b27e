// Other builds of seg-stream to compare this tree with (bench/ab.mjs, bench/same-output.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { root, work } from './lib.mjs';

/** The baseline tree: a directory as given, or a commit exported and built under bench/out/. */
export function builtTree(spec) {
  if (existsSync(spec) && existsSync(path.join(spec, 'bin', 'seg-stream.js')))
    return { dir: path.resolve(spec), label: path.resolve(spec) };
  const sha = execFileSync('git', ['rev-parse', '--verify', `${spec}^{commit}`], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
  const dir = path.join(work, `ab-${sha.slice(0, 10)}`);
  if (!existsSync(path.join(dir, 'dist', 'cli', 'main.js'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C "${dir}"`], { cwd: root, stdio: 'inherit' });
    if (!existsSync(path.join(dir, 'node_modules')))
      symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules'));
    const build = spawnSync('npm', ['run', 'build'], { cwd: dir, encoding: 'utf8' });
    // An old tree may name packages no longer installed (type errors only): tsc still emits it.
    if (build.status !== 0 && !existsSync(path.join(dir, 'dist', 'cli', 'main.js')))
      throw new Error(`npm run build failed in ${dir}: ${build.stdout}${build.stderr}`);
    if (build.status !== 0)
      console.error(
        `note: npm run build in ${dir} reported errors, but emitted dist/:\n${build.stdout
          .split('\n')
          .filter((l) => l.includes('error'))
          .join('\n')}`,
      );
  }
  return { dir, label: `${spec} (${sha.slice(0, 10)})` };
}
