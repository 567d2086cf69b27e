/**
 * Where the compiled module of a worker thread is. Worker threads start a fresh Node isolate
 * without a TypeScript loader, so they always run compiled JavaScript: from `dist/` in
 * production, and from the compiled `dist/` (`npm run build` first) when the caller itself runs
 * from TypeScript sources (vitest, ts loaders).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled module `relative` (a path below `src/` or `dist/`, e.g. `runs/worker-entry.js`).
 *
 * @param moduleUrl the URL of a module in the tree to resolve against (default: this one, which
 *   sits in `workers/`, one level below the root)
 */
export function compiledModulePath(relative: string, moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  const root = resolve(dirname(here), '..');
  return /\.[cm]?ts$/.test(here) ? resolve(root, '..', 'dist', relative) : resolve(root, relative);
}
