// No import cycles in src/, type-only imports included: every module can be
// read (and tested) after the ones it imports. Also prints the depth of the
// import graph (`--depth`), the number the layering keeps small.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');
const files = [];
const walk = (d) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (n.endsWith('.ts')) files.push(p);
  }
};
walk(root);

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)\.js'|import\('(\.{1,2}\/[^']+)\.js'\)/g;
const graph = new Map();
for (const f of files) {
  const deps = new Set();
  for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) deps.add(resolve(dirname(f), `${m[1] ?? m[2]}.ts`));
  graph.set(
    f,
    [...deps].filter((d) => graph.has(d) || files.includes(d)),
  );
}

// Tarjan's strongly connected components: any component of more than one module is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const on = new Set();
const cycles = [];
const connect = (v) => {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp);
  }
};
for (const f of files) if (!idx.has(f)) connect(f);

const rel = (f) => relative(root, f);
if (cycles.length) {
  for (const c of cycles) console.error(`import cycle: ${c.map(rel).sort().join(' <-> ')}`);
  process.exitCode = 1;
} else {
  const depth = new Map();
  const d = (f) => {
    if (!depth.has(f)) depth.set(f, 1 + Math.max(0, ...(graph.get(f) ?? []).map(d)));
    return depth.get(f);
  };
  const deepest = Math.max(...files.map(d));
  const store = Math.max(...files.filter((f) => rel(f).startsWith('store/')).map(d));
  console.log(`no import cycles among ${files.length} modules; deepest chain ${deepest} modules (src/store/: ${store})`);
}
