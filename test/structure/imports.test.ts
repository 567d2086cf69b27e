/**
 * The module structure: no import cycles in src/, and the infrastructure folders (child
 * processes, codecs, pixels, the worker pool) import no feature code, so every run kind can use
 * them and a worker thread loads only what its tasks need.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/media.js';

const src = path.join(repoRoot, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports, statically, dynamically or by re-export, types included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map(
    (m) => m[1],
  );
  return specs.map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

const files = tsFiles(src);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));
const rel = (f: string) => path.relative(src, f);

/** The import cycles (strongly connected components of more than one file, or a self-import). */
function cycles(): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(rel(w));
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)!.includes(v)) found.push(scc);
    }
  };
  for (const f of files) if (!order.has(f)) visit(f);
  return found;
}

describe('module structure', () => {
  it('finds the imports it checks (the parser sees the tree)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get(path.join(src, 'index.ts'))!.length).toBeGreaterThan(10);
  });

  it('has no import cycle in src/', () => {
    expect(cycles()).toEqual([]);
  });

  it('has no cycle between the folders of src/ either', () => {
    // Files at the top (errors, defaults, types) count as folders of their own; the library entry re-exports everything.
    const folderOf = (f: string) => rel(f).split(path.sep)[0];
    const folders = new Map<string, Set<string>>();
    for (const [f, targets] of graph) {
      if (rel(f) === 'index.ts') continue;
      for (const t of targets)
        if (folderOf(f) !== folderOf(t))
          (folders.get(folderOf(f)) ?? folders.set(folderOf(f), new Set()).get(folderOf(f))!).add(folderOf(t));
    }
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      [...(folders.get(from) ?? [])].some((n) => n === to || (!seen.has(n) && (seen.add(n), reaches(n, to, seen))));
    const circles = [...folders.keys()].filter((a) => reaches(a, a));
    expect(circles).toEqual([]);
  });

  it('infrastructure imports no feature code', () => {
    const infrastructure = ['process', 'workers', 'codecs', 'pixels', 'ingest'];
    const features = ['runs', 'cli', 'datasets', 'preview', 'temporal', 'fleet'];
    const offending = files
      .filter((f) => infrastructure.includes(rel(f).split(path.sep)[0]))
      .flatMap((f) =>
        graph
          .get(f)!
          .filter((t) => features.includes(rel(t).split(path.sep)[0]))
          .map((t) => `${rel(f)} -> ${rel(t)}`),
      );
    expect(offending).toEqual([]);
  });

  it('the library entry exports no command-line code', () => {
    const reached = new Set<string>();
    const walk = (f: string) => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const t of graph.get(f) ?? []) walk(t);
    };
    walk(path.join(src, 'index.ts'));
    expect([...reached].map(rel).filter((f) => f.startsWith(`cli${path.sep}`))).toEqual([]);
  });
});
