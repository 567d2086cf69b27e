/**
 * Minimal globs for frame lists (Node 20 has no `fs.glob`): `*` and `?` within one path
 * segment, `[abc]` classes, and `**` for any depth. Matches are returned in natural order.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { naturalCompare } from './natural-order.js';

/** True when `input` contains glob characters (`*`, `?`, `[`). */
export const isGlob = (input: string): boolean => /[*?[]/.test(input);

/** A glob as a regular expression over `/`-separated paths relative to its base folder. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Expands a glob to absolute file paths (natural order). The base folder is the longest leading
 * part without glob characters.
 *
 * @example
 * ```ts
 * await expandGlob('kitti/*_sync/image_02/data/*.png');
 * ```
 */
export async function expandGlob(pattern: string): Promise<{ base: string; files: string[] }> {
  const parts = path.resolve(pattern).split(path.sep);
  const firstGlob = parts.findIndex(isGlob);
  const base = parts.slice(0, firstGlob).join(path.sep) || path.sep;
  const rest = parts.slice(firstGlob).join('/');
  const re = globToRegExp(rest);
  const deep = rest.includes('**');
  const depth = rest.split('/').length;
  const files: string[] = [];
  const walk = async (dir: string, rel: string, level: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (deep || level + 1 < depth) await walk(path.join(dir, e.name), r, level + 1);
      } else if (re.test(r)) files.push(path.join(dir, e.name));
    }
  };
  await walk(base, '', 0);
  files.sort((a, b) => naturalCompare(a, b));
  return { base, files };
}
