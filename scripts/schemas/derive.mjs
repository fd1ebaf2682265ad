#!/usr/bin/env node
// Derive vcstore's item schemas from the Kata Go sources: the types the
// runtime's loaders decode each store item into, as encoding/json sees them
// (keys, Go kinds, integer widths, slices, maps and their key kinds, embedded
// structs flattened, json:"-" and unexported fields dropped, time.Time and
// net.IP by their (un)marshalers). Rerun it against a newer Kata by changing
// the commits in sources.json; it reads the sources from git mirrors and
// writes src/store/layouts/schemas.json (data only: no Kata code).
//
//   node scripts/schemas/derive.mjs [--mirrors /work/.mirror] [--out FILE]
//
// A mirror is a bare git repository at <mirrors>/<owner>+<name>/repo (what
// the workplace's fetch tool brings). The loaders themselves, and the few
// places where they do more than encoding/json (network.json's custom
// UnmarshalJSON, devices.json's dispatch by Type), are described in
// sources.json with the source lines they come from.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const MIRRORS = opt('--mirrors', '/work/.mirror');
const OUT = opt('--out', join(here, '../../src/store/layouts/schemas.json'));
const sources = JSON.parse(readFileSync(join(here, 'sources.json'), 'utf8'));

// ---------------------------------------------------------------------------
// Git access

const repoDir = (repo) => join(MIRRORS, repo.replace('/', '+'), 'repo');
const git = (repo, ...a) => execFileSync('git', ['-C', repoDir(repo), ...a], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
const resolveRef = (repo, ref) => git(repo, 'rev-parse', `${ref}^{commit}`).trim();
const listDir = (repo, commit, dir) => {
  try {
    return git(repo, 'ls-tree', '--name-only', `${commit}:${dir === '.' ? '' : dir}`)
      .split('\n')
      .filter(Boolean);
  } catch {
    return null;
  }
};
const readFile = (repo, commit, path) => git(repo, 'show', `${commit}:${path}`);

// ---------------------------------------------------------------------------
// A small Go lexer and parser: enough for type declarations, struct fields,
// imports, constants of named types and method names.

function lex(src) {
  const toks = [];
  let i = 0;
  const n = src.length;
  let line = 1;
  while (i < n) {
    const c = src[i];
    if (c === '\n') {
      // Go's automatic semicolons matter for field lists: keep newlines as tokens.
      toks.push({ t: 'nl', v: '\n', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (src.startsWith('//', i)) {
      const j = src.indexOf('\n', i);
      i = j < 0 ? n : j;
    } else if (src.startsWith('/*', i)) {
      const j = src.indexOf('*/', i + 2);
      line += (src.slice(i, j).match(/\n/g) ?? []).length;
      i = j + 2;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      toks.push({ t: 'str', v: src.slice(i + 1, j), line });
      line += (src.slice(i, j).match(/\n/g) ?? []).length;
      i = j + 1;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      toks.push({ t: 'str', v: c === '"' ? src.slice(i + 1, j) : '', line });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_]/.test(src[j])) j++;
      toks.push({ t: 'id', v: src.slice(i, j), line });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < n && /[0-9A-Za-z_.x]/.test(src[j])) j++;
      toks.push({ t: 'num', v: src.slice(i, j), line });
      i = j;
    } else {
      toks.push({ t: 'p', v: c, line });
      i++;
    }
  }
  return toks;
}

/** Does a file's build constraint (name or //go:build / +build) exclude linux/amd64? */
function excluded(name, src) {
  if (name.endsWith('_test.go')) return true;
  const m =
    /_(windows|darwin|freebsd|openbsd|netbsd|solaris|dragonfly|illumos|aix|js|wasm|plan9|android|ios|zos|arm64|arm|386|ppc64le|ppc64|s390x|mips\w*|riscv64|loong64|wasip1)\.go$/.exec(
      name,
    );
  if (m) return true;
  const head = src.slice(0, src.search(/^package /m));
  const cons = [...head.matchAll(/^\/\/\s*(?:\+build|go:build)\s+(.*)$/gm)].map((x) => x[1]).join(' ');
  if (!cons) return false;
  if (/(^|\s|\(|&&|\|\|)!linux\b/.test(cons) || /\bignore\b/.test(cons)) return true;
  const oses = cons.match(/\b(linux|windows|darwin|freebsd|openbsd|netbsd|solaris|js|plan9|android|ios)\b/g) ?? [];
  return oses.length > 0 && !oses.includes('linux');
}

class Parser {
  constructor(toks) {
    this.toks = toks;
    this.i = 0;
  }
  peek(k = 0) {
    return this.toks[this.i + k];
  }
  next() {
    return this.toks[this.i++];
  }
  skipNl() {
    while (this.peek()?.t === 'nl' || (this.peek()?.t === 'p' && this.peek().v === ';')) this.i++;
  }
  is(v) {
    return this.peek()?.v === v;
  }
  expect(v) {
    const t = this.next();
    if (t?.v !== v) throw new Error(`expected ${v}, got ${t?.v} at line ${t?.line}`);
    return t;
  }
  /** Skip a balanced (), [] or {} group starting at the current token. */
  skipGroup() {
    const open = this.next().v;
    const close = { '(': ')', '[': ']', '{': '}' }[open];
    let d = 1;
    while (d > 0) {
      const t = this.next();
      if (!t) return;
      if (t.v === open) d++;
      else if (t.v === close) d--;
    }
  }
  /** A type expression. */
  type() {
    this.skipNlInside();
    const t = this.peek();
    if (t.v === '*') {
      this.next();
      return { k: 'ptr', of: this.type() };
    }
    if (t.v === '[') {
      this.next();
      if (this.is(']')) {
        this.next();
        return { k: 'slice', of: this.type() };
      }
      const len = [];
      while (!this.is(']')) len.push(this.next().v);
      this.next();
      return { k: 'array', len: len.join(''), of: this.type() };
    }
    if (t.v === 'map') {
      this.next();
      this.expect('[');
      const key = this.type();
      this.expect(']');
      return { k: 'map', key, of: this.type() };
    }
    if (t.v === 'struct') {
      this.next();
      return this.structBody();
    }
    if (t.v === 'interface') {
      this.next();
      const start = this.i;
      this.skipGroup();
      const body = this.toks.slice(start + 1, this.i - 1).filter((x) => x.t !== 'nl');
      return { k: body.length ? 'iface' : 'any' };
    }
    if (t.v === 'func') {
      this.next();
      this.skipGroup();
      // results: a type, or a (...) group, on the same line
      if (this.is('(')) this.skipGroup();
      else if (this.peek() && this.peek().t !== 'nl' && !this.is(';') && !this.is('}') && this.peek().t !== 'str') this.type();
      return { k: 'func' };
    }
    if (t.v === 'chan' || (t.v === '<' && this.peek(1)?.v === '-')) {
      while (!(this.peek().t === 'id' && this.peek().v !== 'chan')) this.next();
      this.type();
      return { k: 'func' };
    }
    if (t.t === 'id') {
      this.next();
      let name = t.v;
      let pkg = null;
      if (this.is('.') && this.peek(1)?.t === 'id') {
        this.next();
        pkg = name;
        name = this.next().v;
      }
      if (this.is('[') && this.peek(1)?.t === 'id' && this.peek(2)?.v === ']') this.skipGroup(); // generic instance
      return { k: 'name', pkg, name };
    }
    if (t.v === '(') {
      this.next();
      const x = this.type();
      this.expect(')');
      return x;
    }
    throw new Error(`unexpected ${t.v} at line ${t.line}`);
  }
  skipNlInside() {
    while (this.peek()?.t === 'nl') this.i++;
  }
  structBody() {
    this.expect('{');
    const fields = [];
    for (;;) {
      this.skipNl();
      if (this.is('}')) {
        this.next();
        return { k: 'struct', fields };
      }
      // Embedded: [*]Name or [*]pkg.Name, then an optional tag, then end of line.
      const save = this.i;
      const names = [];
      let embedded = false;
      if (this.is('*')) embedded = true;
      else {
        names.push(this.next().v);
        while (this.is(',')) {
          this.next();
          names.push(this.next().v);
        }
        const after = this.peek();
        if (names.length === 1 && (after.t === 'nl' || after.t === 'str' || after.v === '}' || after.v === ';' || after.v === '.')) embedded = true;
      }
      if (embedded) {
        this.i = save;
        const ty = this.type();
        const tag = this.peek()?.t === 'str' ? this.next().v : '';
        fields.push({ embedded: true, type: ty, tag });
      } else {
        const ty = this.type();
        const tag = this.peek()?.t === 'str' ? this.next().v : '';
        for (const name of names) fields.push({ name, type: ty, tag });
      }
    }
  }
}

/** Every declaration of a package: types (with file and line), imports per file, method names per type. */
function parsePackage(repo, commit, dir) {
  const files = listDir(repo, commit, dir);
  if (!files) return null;
  const pkg = { name: null, types: new Map(), methods: new Map(), consts: new Map() };
  for (const f of files.filter((x) => x.endsWith('.go'))) {
    const path = dir === '.' || dir === '' ? f : `${dir}/${f}`;
    const src = readFile(repo, commit, path);
    if (excluded(f, src)) continue;
    const toks = lex(src);
    pkg.name ??= /^package\s+(\w+)/m.exec(src)?.[1] ?? null;
    const p = new Parser(toks);
    const imports = new Map();
    while (p.peek()) {
      const t = p.next();
      if (t.t !== 'id' || (p.toks[p.i - 2] && p.toks[p.i - 2].t !== 'nl')) continue;
      if (t.v === 'import') {
        const one = () => {
          p.skipNl();
          let alias = null;
          if (p.peek().t === 'id' || p.is('.') || p.is('_')) alias = p.next().v;
          const ip = p.next().v;
          // Unaliased imports are known by their package clause; the last path element stands in until resolved.
          imports.set(alias ?? `?${ip}`, ip);
        };
        if (p.is('(')) {
          p.next();
          for (p.skipNl(); !p.is(')'); p.skipNl()) one();
          p.next();
        } else one();
      } else if (t.v === 'type') {
        const decl = () => {
          p.skipNl();
          const nameTok = p.next();
          if (p.is('[') && p.peek(1)?.t === 'id' && p.peek(2)?.t === 'id') p.skipGroup(); // type parameters
          const alias = p.is('=');
          if (alias) p.next();
          try {
            const ty = p.type();
            pkg.types.set(nameTok.v, { type: ty, alias, file: path, line: nameTok.line, imports });
          } catch (e) {
            pkg.types.set(nameTok.v, { type: { k: 'unparsed', why: e.message }, file: path, line: nameTok.line, imports });
            while (p.peek() && p.peek().t !== 'nl') p.next();
          }
        };
        if (p.is('(')) {
          p.next();
          for (p.skipNl(); !p.is(')'); p.skipNl()) decl();
          p.next();
        } else decl();
      } else if (t.v === 'func' && p.is('(')) {
        // func (r *T) Name(  — a method
        const save = p.i;
        p.next();
        while (!p.is(')')) {
          const x = p.next();
          if (x.t === 'id' && (p.is(')') || p.is('['))) {
            const m = pkg.methods.get(x.v) ?? new Set();
            if (p.is('[')) p.skipGroup();
            p.expect(')');
            m.add(p.peek().v);
            pkg.methods.set(x.v, m);
            break;
          }
        }
        if (p.i === save) p.next();
      } else if (t.v === 'const') {
        // const ( A T = "x" ... ) — the values of named string/int types, for the docs of enums.
        if (!p.is('(')) continue;
        p.next();
        let lastType = null;
        for (p.skipNl(); !p.is(')'); p.skipNl()) {
          const name = p.next();
          let ty = null;
          if (p.peek().t === 'id') ty = p.next().v;
          if (p.is('=')) {
            p.next();
            const v = p.next();
            if (ty) lastType = ty;
            if (ty && (v.t === 'str' || v.t === 'num')) {
              const list = pkg.consts.get(ty) ?? [];
              list.push(v.v);
              pkg.consts.set(ty, list);
            }
          }
          while (p.peek() && p.peek().t !== 'nl' && !p.is(')')) p.next();
          void name;
          void lastType;
        }
        p.next();
      }
    }
  }
  return pkg;
}

// ---------------------------------------------------------------------------
// From Go types to schema nodes.
//
// Nodes: {k:'int'|'uint', bits} {k:'float', bits} {k:'string'} {k:'bool'}
// {k:'time'} (time.Time: an RFC 3339 string) {k:'ip'} (net.IP: a string
// parsed by UnmarshalText) {k:'bytes'} ([]byte: base64 string or array of
// bytes) {k:'raw'} (json.RawMessage: any JSON) {k:'any'} (interface{})
// {k:'iface'} (a non-empty interface: only null) {k:'ptr', of} {k:'slice', of}
// {k:'array', len, of} {k:'map', key: 'string'|'int'|'uint' + bits, of}
// {k:'ref', to} (a named struct in the types table) {k:'struct', fields:
// [{key, t}]} — the table holds every named struct once, so recursive types
// stay finite.

const BUILTIN = {
  string: { k: 'string' },
  bool: { k: 'bool' },
  int: { k: 'int', bits: 64 },
  int8: { k: 'int', bits: 8 },
  int16: { k: 'int', bits: 16 },
  int32: { k: 'int', bits: 32 },
  rune: { k: 'int', bits: 32 },
  int64: { k: 'int', bits: 64 },
  uint: { k: 'uint', bits: 64 },
  uint8: { k: 'uint', bits: 8 },
  byte: { k: 'uint', bits: 8 },
  uint16: { k: 'uint', bits: 16 },
  uint32: { k: 'uint', bits: 32 },
  uint64: { k: 'uint', bits: 64 },
  uintptr: { k: 'uint', bits: 64 },
  float32: { k: 'float', bits: 32 },
  float64: { k: 'float', bits: 64 },
  error: { k: 'iface' },
  any: { k: 'any' },
};

/** Standard-library types by import path and name: what encoding/json makes of them. */
const STDLIB = {
  'time.Time': { k: 'time' },
  'time.Duration': { k: 'int', bits: 64 },
  'net.IP': { k: 'ip' },
  'net.IPMask': { k: 'bytes' },
  'net.HardwareAddr': { k: 'bytes' },
  'net.Flags': { k: 'uint', bits: 64 },
  'net.IPNet': {
    k: 'struct',
    fields: [
      { key: 'IP', t: { k: 'ip' } },
      { key: 'Mask', t: { k: 'bytes' } },
    ],
  },
  'os.FileMode': { k: 'uint', bits: 32 },
  'io/fs.FileMode': { k: 'uint', bits: 32 },
  'os.File': { k: 'struct', fields: [] },
  'encoding/json.RawMessage': { k: 'raw' },
  'syscall.Signal': { k: 'int', bits: 64 },
};

function makeResolver(src) {
  const commit = resolveRef(src.repo, src.commit);
  const goMod = src.goMod ? readFile(src.repo, commit, src.goMod) : '';
  const deps = new Map();
  for (const [ip, repo] of Object.entries(src.deps ?? {})) {
    const ver = new RegExp(`^\\s*${ip.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} (v[^\\s]+)`, 'm').exec(goMod)?.[1];
    if (!ver) throw new Error(`${ip} is not in ${src.goMod}`);
    deps.set(ip, { repo, commit: resolveRef(repo, ver), version: ver });
  }
  const cache = new Map();
  const where = (ip) => {
    if (ip === src.module || ip.startsWith(`${src.module}/`)) return { repo: src.repo, commit, dir: join(src.subdir ?? '', ip.slice(src.module.length + 1)) };
    for (const [dep, at] of deps) if (ip === dep || ip.startsWith(`${dep}/`)) return { repo: at.repo, commit: at.commit, dir: ip.slice(dep.length + 1) || '.' };
    return { repo: src.repo, commit, dir: join(src.subdir ?? '', 'vendor', ip) };
  };
  const pkgOf = (ip) => {
    if (!cache.has(ip)) {
      const w = where(ip);
      cache.set(ip, { ...w, pkg: parsePackage(w.repo, w.commit, w.dir.replace(/\/\.$/, '')) });
    }
    return cache.get(ip);
  };
  return { commit, deps, pkgOf };
}

function derive(src) {
  const r = makeResolver(src);
  const types = {};
  const origin = {};
  const short = (ip) => ip.replace(`${src.module}/`, '').replace(/^github\.com\//, '');
  const warn = [];

  /** The import path a file calls `name`: an alias, else the package clause of an unaliased import. */
  function importOf(imports, name) {
    if (imports.has(name)) return imports.get(name);
    for (const [alias, ip] of imports) {
      if (!alias.startsWith('?')) continue;
      const stdlib = !ip.split('/')[0].includes('.');
      const clause = stdlib ? ip.slice(ip.lastIndexOf('/') + 1) : r.pkgOf(ip).pkg?.name;
      if (clause === name) return ip;
    }
    return undefined;
  }

  /** A named type of package `ip`, as a node (structs go to the table and come back as refs). */
  function named(ip, name, stack) {
    const qual = `${ip}.${name}`;
    if (STDLIB[qual]) return STDLIB[qual];
    const key = `${short(ip)}.${name}`;
    if (types[key] || stack.has(key)) return { k: 'ref', to: key };
    if (!ip.split('/')[0].includes('.')) {
      warn.push(`standard library type ${qual} has no mapping: taken as any JSON`);
      return { k: 'any', unresolved: qual };
    }
    const at = r.pkgOf(ip);
    const decl = at.pkg?.types.get(name);
    if (!decl) {
      warn.push(`unresolved ${qual}`);
      return { k: 'any', unresolved: qual };
    }
    const methods = at.pkg.methods.get(name) ?? new Set();
    if (methods.has('UnmarshalJSON')) warn.push(`${qual} has UnmarshalJSON: described by hand in sources.json if a loader reaches it`);
    if (methods.has('UnmarshalText') && decl.type.k !== 'struct') return { k: 'text', of: qual };
    const ctx = { ip, imports: decl.imports };
    if (decl.type.k !== 'struct') return node(decl.type, ctx, stack);
    stack.add(key);
    const t = structNode(decl.type, ctx, stack);
    stack.delete(key);
    types[key] = t;
    origin[key] = `${at.repo}@${at.commit.slice(0, 12)}:${decl.file}:${decl.line}`;
    return { k: 'ref', to: key };
  }

  function node(t, ctx, stack) {
    switch (t.k) {
      case 'ptr':
        return { k: 'ptr', of: node(t.of, ctx, stack) };
      case 'slice': {
        const of = node(t.of, ctx, stack);
        return of.k === 'uint' && of.bits === 8 ? { k: 'bytes' } : { k: 'slice', of };
      }
      case 'array':
        return { k: 'array', len: Number(t.len) || null, of: node(t.of, ctx, stack) };
      case 'map': {
        const kn = node(t.key, ctx, stack);
        const key = kn.k === 'string' ? 'string' : kn.k === 'int' || kn.k === 'uint' ? `${kn.k}${kn.bits}` : 'unsupported';
        return { k: 'map', key, of: node(t.of, ctx, stack) };
      }
      case 'struct':
        return structNode(t, ctx, stack);
      case 'any':
      case 'iface':
      case 'func':
      case 'unparsed':
        return { k: t.k === 'func' ? 'func' : t.k === 'unparsed' ? 'any' : t.k };
      case 'name': {
        if (t.pkg === null && BUILTIN[t.name]) return BUILTIN[t.name];
        if (t.pkg === null) return named(ctx.ip, t.name, stack);
        const ip = importOf(ctx.imports, t.pkg);
        if (!ip) {
          warn.push(`unknown package ${t.pkg} in ${ctx.ip}`);
          return { k: 'any' };
        }
        return named(ip, t.name, stack);
      }
      default:
        throw new Error(`unknown type kind ${t.k}`);
    }
  }

  /** A struct with its embedded structs flattened as encoding/json does (shallower wins, equal depth cancels). */
  function structNode(t, ctx, stack) {
    const found = [];
    const walk = (st, sctx, depth) => {
      for (const f of st.fields) {
        const tag = /json:"([^"]*)"/.exec(f.tag)?.[1];
        const [tagName, ...opts] = (tag ?? '').split(',');
        if (tag === '-') continue;
        if (f.embedded && !tagName) {
          const base = f.type.k === 'ptr' ? f.type.of : f.type;
          if (base.k === 'name') {
            const ip = base.pkg === null ? sctx.ip : importOf(sctx.imports, base.pkg);
            const std = ip ? STDLIB[`${ip}.${base.name}`] : undefined;
            if (std?.k === 'struct') {
              for (const sf of std.fields) found.push({ key: sf.key, t: sf.t, depth: depth + 1, tagged: true, opts: [] });
              continue;
            }
            const stdlib = ip !== undefined && !ip.split('/')[0].includes('.');
            const decl = ip && !stdlib ? r.pkgOf(ip).pkg?.types.get(base.name) : undefined;
            const exported = /^[A-Z]/.test(base.name);
            if (decl && decl.type.k === 'struct' && !STDLIB[`${ip}.${base.name}`]) {
              walk(decl.type, { ip, imports: decl.imports }, depth + 1);
              continue;
            }
            if (!exported) continue;
            found.push({ key: base.name, t: node(f.type, sctx, stack), depth, tagged: false, opts });
            continue;
          }
        }
        const name = f.embedded ? (f.type.k === 'ptr' ? f.type.of.name : f.type.name) : f.name;
        if (!/^[A-Z]/.test(name)) continue;
        const n = node(f.type, sctx, stack);
        if (n.k === 'func') continue;
        found.push({ key: tagName || name, t: n, depth, tagged: Boolean(tagName), opts });
      }
    };
    walk(t, ctx, 0);
    const fields = [];
    for (const f of found) {
      const same = found.filter((g) => g.key === f.key);
      const min = Math.min(...same.map((g) => g.depth));
      const best = same.filter((g) => g.depth === min);
      const winner = best.length === 1 ? best[0] : best.filter((g) => g.tagged).length === 1 ? best.find((g) => g.tagged) : null;
      if (winner === f) fields.push({ key: f.key, t: f.t });
    }
    return { k: 'struct', fields };
  }

  const named0 = {};
  for (const [name, spec] of Object.entries(src.types)) {
    const [ip, tname] = [spec.slice(0, spec.lastIndexOf('.')), spec.slice(spec.lastIndexOf('.') + 1)];
    named0[name] = named(`${src.module}/${ip}`, tname, new Set());
  }
  // Items: the templates of sources.json with each {k:'type'} replaced by the derived node.
  const fill = (t) => {
    if (Array.isArray(t)) return t.map(fill);
    if (!t || typeof t !== 'object') return t;
    if (t.k === 'type') {
      if (!named0[t.name]) throw new Error(`no type ${t.name} in ${src.repo}`);
      return named0[t.name];
    }
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, fill(v)]));
  };
  const items = Object.fromEntries(Object.entries(src.items).map(([item, spec]) => [item, { decoder: spec.decoder, t: fill(spec.t) }]));
  return {
    source: {
      repo: src.repo,
      ref: src.commit,
      commit: r.commit,
      deps: Object.fromEntries([...r.deps].map(([ip, d]) => [ip, `${d.version} (${d.commit.slice(0, 12)})`])),
    },
    items,
    types,
    origin,
    warnings: [...new Set(warn)].sort(),
  };
}

const out = {};
for (const [name, src] of Object.entries(sources.layouts)) {
  process.stderr.write(`deriving ${name} from ${src.repo}@${src.commit} ...\n`);
  out[name] = derive(src);
  for (const w of out[name].warnings) process.stderr.write(`  ${name}: ${w}\n`);
}
// Data only, loaded on first use (src/store/layouts/schemas.ts); the build copies it into dist/.
writeFileSync(
  OUT,
  `${JSON.stringify({ about: 'Generated by scripts/schemas/derive.mjs from the Kata Go sources in scripts/schemas/sources.json. Do not edit: rerun it.', layouts: out })}\n`,
);
process.stderr.write(`wrote ${OUT} (${Object.keys(out).length} layouts)\n`);
