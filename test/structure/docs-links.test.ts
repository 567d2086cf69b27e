import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The README is the first stop; every deeper section lives in docs/ and must be reachable from it,
// and no link (file or #anchor) may point at a section that moved.
const root = path.resolve(__dirname, '..', '..');
const docs = readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md'));
const files = ['README.md', ...docs.map((f) => `docs/${f}`)];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

function linksOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l));
}

describe('documentation links', () => {
  it('README stays a reference a user can read (at most 400 lines)', () => {
    expect(readFileSync(path.join(root, 'README.md'), 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(400);
  });

  it('README links every page in docs/', () => {
    const linked = new Set(linksOf('README.md').map((l) => l.split('#')[0]));
    expect(docs.filter((d) => !linked.has(`docs/${d}`))).toEqual([]);
  });

  it.each(files)('every relative link and anchor in %s resolves', (file) => {
    const broken = linksOf(file).filter((link) => {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const resolved = target ? path.join(path.dirname(file), target) : file;
      if (!existsSync(path.join(root, resolved))) return true;
      return anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor);
    });
    expect(broken).toEqual([]);
  });
});
