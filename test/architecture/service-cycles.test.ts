// Property: no circle of files in src/services/. Every import between its files (values, types, re-exports,
// dynamic imports) is an edge; a strongly connected group of more than one file, or a file importing itself,
// is a cycle and fails the test, naming its files. The imports are read with TypeScript's own pre-processor,
// so `import type` counts as much as a value import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SERVICES = fileURLToPath(new URL('../../src/services/', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The files of src/services/ each file imports (a `.js` specifier names its `.ts` source). */
export function importGraph(dir: string): Map<string, string[]> {
  const files = filesUnder(dir);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((imported) => imported.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')))
      .filter((target) => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The cycles of a graph: its strongly connected components of more than one node, and self-loops (Tarjan). */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (;;) {
      const member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

test('the cycle finder finds a circle of two files, one of three, and a self-import, and no circle in a chain', () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
  assert.deepEqual(cyclesOf(graph({ a: ['b'], b: ['a'], c: ['a'] })), [['a', 'b']]);
  assert.deepEqual(cyclesOf(graph({ a: ['b'], b: ['c'], c: ['a'] })), [['a', 'b', 'c']]);
  assert.deepEqual(cyclesOf(graph({ a: ['a'] })), [['a']]);
  assert.deepEqual(cyclesOf(graph({ a: ['b'], b: ['c'], c: [] })), []);
});

test('the graph reads value, type-only and re-export imports between services files', () => {
  const graph = importGraph(SERVICES);
  const name = (file: string) => relative(SERVICES, file);
  const edges = new Set([...graph].flatMap(([from, targets]) => targets.map((to) => `${name(from)} -> ${name(to)}`)));
  // services.ts builds every service: a value import of each, which a reader that missed them would not see.
  assert.ok(edges.has('services.ts -> token-service.ts'), 'services.ts -> token-service.ts');
  // A type-only import counts as an edge (context.ts is imported as a type by every service).
  assert.ok(edges.has('user-service.ts -> context.ts'), 'user-service.ts -> context.ts (import type)');
});

test('no circle of files in src/services/', () => {
  const cycles = cyclesOf(importGraph(SERVICES)).map((cycle) => cycle.map((file) => relative(SERVICES, file)).join(' <-> '));
  assert.deepEqual(cycles, []);
});
