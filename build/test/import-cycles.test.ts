// No import cycles anywhere (issue 11): two modules that import each other (or a longer loop)
// cannot be understood, tested or moved one at a time. Every relative import of every source
// file (TypeScript and Svelte, `import type` included: a type cycle is a design cycle too) is
// read from the tree, and the strongly connected components of the graph must all be single
// files. The layering between folders is ESLint's (layering.test.ts); this is about files.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCES = ['core/src', 'renderer/src', 'sync-server/src', 'electron/src'];
const EXTENSIONS = ['.ts', '.svelte', '.svelte.ts', '.js', '.mjs', '.cjs'];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'node_modules') sourceFiles(full, out);
    } else if (EXTENSIONS.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out;
}

/** Module specifiers of every static import, re-export and dynamic import in the text. */
export function specifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) if (m[1]) out.push(m[1]);
  return out;
}

/** The file a relative specifier names, or null (a package, or not a source file). */
function resolve(from: string, spec: string, files: Set<string>): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [
    base,
    ...EXTENSIONS.map((ext) => base + ext),
    ...EXTENSIONS.map((ext) => path.join(base, 'index' + ext)),
  ];
  // `./x.js` in TypeScript names `./x.ts`.
  if (/\.(c|m)?js$/.test(base)) candidates.push(base.replace(/\.(c|m)?js$/, '.ts'));
  return candidates.find((c) => files.has(c)) ?? null;
}

/** Strongly connected components with more than one file (Tarjan), each as a list. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, indexOf.get(w) ?? 0));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const scc: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        onStack.delete(w);
        scc.push(w);
        if (w === v) break;
      }
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return out;
}

describe('import cycles', () => {
  it('finds a cycle when there is one (the check can fail)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c']]);
    expect(
      specifiers(`import type { X } from './x';\nexport * from "../y";\nimport './z';`),
    ).toEqual(['./x', '../y', './z']);
  });

  it('none among the sources of core, renderer, sync-server and electron', () => {
    const files = SOURCES.flatMap((d) => sourceFiles(path.join(root, d)));
    const set = new Set(files);
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const deps = specifiers(readFileSync(file, 'utf8'))
        .map((s) => resolve(file, s, set))
        .filter((f): f is string => f !== null);
      graph.set(file, [...new Set(deps)]);
    }
    expect(files.length).toBeGreaterThan(100);
    const found = cycles(graph).map((scc) => scc.map((f) => path.relative(root, f)));
    expect(found).toEqual([]);
  });
});
