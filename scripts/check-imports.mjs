#!/usr/bin/env node
// Fails when the TypeScript imports of src/ and durable-objects/ form a cycle (type-only
// imports count too), or when a module under src/ other than the Worker's entry imports
// a Durable Object. Part of `npm test`; prints each cycle found.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIRS = ["src", "durable-objects"];
const ENTRY = join("src", "index.ts");

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

const files = DIRS.flatMap((d) => walk(join(root, d)));
const known = new Set(files);
const SPEC = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function targetOf(from, spec) {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(from), spec);
  for (const c of [base, `${base}.ts`, join(base, "index.ts"), base.replace(/\.js$/, ".ts")]) if (known.has(c)) return c;
  return null;
}

const edges = new Map();
for (const f of files) {
  const text = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
  const out = new Set();
  for (const m of text.matchAll(SPEC)) {
    const t = targetOf(f, m[1] ?? m[2] ?? m[3]);
    if (t) out.add(t);
  }
  edges.set(f, out);
}

// Tarjan's strongly connected components, iterative (no recursion limit).
const index = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
let counter = 0;
for (const start of files) {
  if (index.has(start)) continue;
  const work = [[start, [...edges.get(start)], 0]];
  index.set(start, counter); low.set(start, counter++); stack.push(start); onStack.add(start);
  while (work.length) {
    const frame = work[work.length - 1];
    const [v, next] = frame;
    if (frame[2] < next.length) {
      const w = next[frame[2]++];
      if (!index.has(w)) {
        index.set(w, counter); low.set(w, counter++); stack.push(w); onStack.add(w);
        work.push([w, [...edges.get(w)], 0]);
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
      continue;
    }
    work.pop();
    if (work.length) low.set(work[work.length - 1][0], Math.min(low.get(work[work.length - 1][0]), low.get(v)));
    if (low.get(v) === index.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || edges.get(v).has(v)) cycles.push(comp);
    }
  }
}

const rel = (p) => relative(root, p);
const upward = files.filter((f) => rel(f).startsWith("src") && rel(f) !== ENTRY && [...edges.get(f)].some((t) => rel(t).startsWith("durable-objects")));
for (const c of cycles) console.error(`import cycle: ${c.map(rel).sort().join(" -> ")}`);
for (const f of upward) console.error(`src/ imports a Durable Object: ${rel(f)}`);
console.log(`imports: ${files.length} files, ${cycles.length} cycles, ${upward.length} src/ files importing durable-objects/`);
process.exit(cycles.length || upward.length ? 1 : 0);
