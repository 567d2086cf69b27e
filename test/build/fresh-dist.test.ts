/**
 * Worker threads and the CLI binary run the compiled dist/ while tests import src/: the build script
 * (also vitest's global setup) rebuilds dist/ whenever src/ changed since it was built, so a stale
 * dist/ is never tested silently, and a failed build fails loudly without leaving a broken dist/.
 * Checked on a small project of its own, built by the real tsc.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIfStale, distIsFresh } from '../../scripts/build.mjs';
import { tempDir } from '../helpers/media.js';

const tmp = tempDir('segstream-build-');
afterAll(() => tmp.cleanup());
const root = tmp.dir;
const write = (file: string, text: string) => writeFileSync(path.join(root, file), text);
const compiled = () => readFileSync(path.join(root, 'dist', 'a.js'), 'utf8');

mkdirSync(path.join(root, 'src'));
write(
  'tsconfig.json',
  JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, skipLibCheck: true, types: [] },
  }),
);
write(
  'tsconfig.build.json',
  JSON.stringify({ extends: './tsconfig.json', compilerOptions: { outDir: 'dist', rootDir: 'src' }, include: ['src'] }),
);
write('src/a.ts', 'export const answer: number = 1;\n');

describe('dist/ follows src/', () => {
  it('builds a missing dist/, then only when a source file changes, appears or goes', () => {
    expect(distIsFresh(root)).toBe(false);
    expect(buildIfStale(root)).toBe(true);
    expect(compiled()).toContain('answer = 1');
    expect(buildIfStale(root)).toBe(false);

    write('src/a.ts', 'export const answer: number = 2;\n');
    expect(distIsFresh(root)).toBe(false);
    expect(buildIfStale(root)).toBe(true);
    expect(compiled()).toContain('answer = 2');

    write('src/b.ts', 'export const other = 3;\n');
    expect(distIsFresh(root)).toBe(false);
    rmSync(path.join(root, 'src', 'b.ts'));
    expect(distIsFresh(root)).toBe(true);
  });

  it('fails loudly with the compiler message when src/ does not compile, and keeps the last good dist/', () => {
    write('src/a.ts', 'export const answer: number = "two";\n');
    expect(() => buildIfStale(root)).toThrow(/build of dist\/ failed[\s\S]*TS2322/);
    expect(compiled()).toContain('answer = 2');
    expect(distIsFresh(root)).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith('.dist-building'))).toEqual([]);
    expect(existsSync(path.join(root, 'dist', 'a.js'))).toBe(true);
  });
});
