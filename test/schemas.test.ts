// needs: nothing
// The item schemas against the runtime's own loaders: a corpus of inputs
// with the verdict each loader gave (recorded by scripts/schemas/verdicts.mjs
// from the real 1.x store and 1.11 persist driver, and from the schemas' Go
// types for today's driver); a property test of generated and mutated values
// against encoding/json itself (when `go` is installed: .ci/run installs it);
// set refusing what the runtime cannot load, with nothing changed on disk;
// check naming the path of each malformed item; and the four runtime-written
// fixtures judged silent.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { goFold } from '../src/store/fs/gojson.js';
import { judgeLegacy, judgePersist } from '../src/store/layouts/judge.js';
import type { SchemaNode, SchemaSet } from '../src/store/layouts/schema-types.js';
import { schemaSet } from '../src/store/layouts/schemas.js';
import { validateText } from '../src/store/layouts/validate.js';
import { addPersistSandbox, addSandbox, hex64, holdFlock, oneLine, R, ROOT, runLock, scratch, SLOW, snapshot, unpackFixture, vcp } from './helpers.js';

const { tmp } = scratch();

type SetName = 'legacy' | 'persist-1.11' | 'persist-3';
interface Case {
  set: SetName;
  item: string;
  text?: string;
  b64?: string;
  note?: string;
  go: string;
  by: string;
}
const corpus = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/schema-corpus.json'), 'utf8')) as { cases: Case[] };
/** The input as vcstore reads it (a BOM kept, as Go keeps it); undefined for invalid UTF-8, which the reading refuses. */
const textOf = (c: Case): string | undefined => {
  if (c.text !== undefined) return c.text;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.from(c.b64 ?? '', 'base64'));
  } catch {
    return undefined;
  }
};

/** Where vcstore is stricter than Go on purpose (README: How the item schemas are made). */
const STRICTER: [RegExp, string][] = [[/nested 2000 deep/, 'nesting past 1000 levels is no store item']];

describe('the schemas agree with the runtime loaders', () => {
  it('on every corpus input, vcstore loads exactly what the loader loads (but for the documented stricter cases)', () => {
    let n = 0;
    for (const c of corpus.cases) {
      const text = textOf(c);
      if (text === undefined) continue; // invalid UTF-8: the reading refuses it (a test below)
      const set = schemaSet(c.set);
      const item = set.items[c.item];
      assert.ok(item, `${c.set} ${c.item}`);
      const r = validateText(set, item, text);
      const stricter = STRICTER.find(([re]) => re.test(c.note ?? ''));
      if (stricter) {
        assert.ok(r.verdict, `${c.note}: vcstore is stricter (${stricter[1]})`);
        continue;
      }
      assert.equal(r.verdict === null, c.go === '', `${c.set} ${c.item} ${c.text}: Go says ${JSON.stringify(c.go)}, vcstore ${JSON.stringify(r.verdict)}`);
      n++;
    }
    assert.ok(n > 160, `${n} cases`);
  });
  it('each verdict names the JSON path Go complains about', () => {
    // Go names the struct field (`Go struct field KataAgentState.ProxyPid`): vcstore's path ends in it.
    for (const c of corpus.cases) {
      const m = /Go struct field [^ ]*?\.?([A-Za-z0-9_]+) of type/.exec(c.go);
      const text = textOf(c);
      if (!m || text === undefined) continue;
      const set = schemaSet(c.set);
      const r = validateText(set, set.items[c.item]!, text);
      assert.ok(r.verdict, c.text);
      const segs = [...r.verdict.path.matchAll(/\.([A-Za-z0-9_]+)|\[("(?:[^"\\]|\\.)*")\]/g)].map((x) => goFold(x[1] ?? (JSON.parse(x[2] ?? '""') as string)));
      assert.ok(segs.includes(goFold(m[1]!)), `${c.text}: ${r.verdict.path} vs ${c.go}`);
    }
  });
  it('a state outside the state machine is refused though Go would load it (documented); invalid UTF-8 in a string is read as Go reads it', () => {
    assert.ok(judgePersist('{"State":"weird"}', true).verdict);
    assert.ok((judgeLegacy('{"state":"weird"}', 'state.json', false, null) as { verdict: unknown }).verdict);
    const p = tmp();
    addSandbox(p, `${R}u8`, { state: 'stopped' });
    const bad = corpus.cases.find((c) => c.b64)!;
    assert.equal(bad.go, '', 'Go takes invalid UTF-8 as U+FFFD');
    writeFileSync(join(p, `run/vc/sbs/${R}u8/state.json`), Buffer.from(bad.b64!, 'base64'));
    const f = JSON.parse(vcp(p, ['--json', 'check']).stdout).findings.filter((x: { id: string }) => x.id === `${R}u8`);
    assert.ok(!f.some((x: { code: string }) => x.code === 'corrupt-item'), JSON.stringify(f));
    // The state "\ufffd" is no state of the state machine: that much is still said.
    assert.ok(
      f.some((x: { code: string }) => x.code === 'bad-shape'),
      JSON.stringify(f),
    );
    // Outside a string the bytes are a syntax error, for Go and for vcstore.
    writeFileSync(join(p, `run/vc/sbs/${R}u8/state.json`), Buffer.from([0x7b, 0xff, 0x7d]));
    const g = JSON.parse(vcp(p, ['--json', 'check']).stdout).findings.filter((x: { id: string }) => x.id === `${R}u8`);
    assert.ok(
      g.some((x: { code: string }) => x.code === 'corrupt-item'),
      JSON.stringify(g),
    );
  });
});

// ---------------------------------------------------------------------------
// Generated values, mutated, against encoding/json (the schemas' Go types)

type Node = { t: 'raw'; s: string } | { t: 'o'; m: [string, Node][] } | { t: 'a'; v: Node[] };
const raw = (s: string): Node => ({ t: 'raw', s });
const text = (n: Node): string =>
  n.t === 'raw' ? n.s : n.t === 'a' ? `[${n.v.map(text).join(',')}]` : `{${n.m.map(([k, v]) => `${JSON.stringify(k)}:${text(v)}`).join(',')}}`;

const BITS = (signed: boolean, bits: number): [bigint, bigint] =>
  signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];

function arb(set: SchemaSet, t: SchemaNode, depth: number): fc.Arbitrary<Node> {
  const nul = fc.constant(raw('null'));
  if (depth > 6) return nul;
  switch (t.k) {
    case 'string':
    case 'text':
      return fc.string({ maxLength: 6 }).map((s) => raw(JSON.stringify(s)));
    case 'bool':
      return fc.boolean().map((b) => raw(String(b)));
    case 'int':
    case 'uint': {
      const [lo, hi] = BITS(t.k === 'int', t.bits);
      return fc.oneof(fc.bigInt(lo, hi), fc.constantFrom(lo, hi, 0n, 1n)).map((v) => raw(v.toString()));
    }
    case 'float':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }).map((v) => raw(JSON.stringify(v)));
    case 'time':
      return fc
        .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
        .map((d) => raw(JSON.stringify(d.toISOString())));
    case 'ip':
      return fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('')).map((s) => raw(JSON.stringify(s)));
    case 'bytes':
      return fc.uint8Array({ maxLength: 6 }).map((b) => raw(JSON.stringify(Buffer.from(b).toString('base64'))));
    case 'raw':
    case 'any':
      return fc.jsonValue({ maxDepth: 2 }).map((v) => raw(JSON.stringify(v)));
    case 'iface':
    case 'func':
      return nul;
    case 'ptr':
      return fc.oneof(nul, arb(set, t.of, depth + 1));
    case 'slice':
      return fc.oneof(
        nul,
        fc.array(arb(set, t.of, depth + 1), { maxLength: 2 }).map((v): Node => ({ t: 'a', v })),
      );
    case 'array':
      return fc.array(arb(set, t.of, depth + 1), { minLength: t.len ?? 0, maxLength: t.len ?? 2 }).map((v): Node => ({ t: 'a', v }));
    case 'map': {
      const key = /^u?int/.test(t.key) ? fc.nat(200).map(String) : fc.string({ maxLength: 4 });
      return fc.dictionary(key, arb(set, t.of, depth + 1), { maxKeys: 2 }).map((o): Node => ({ t: 'o', m: Object.entries(o) }));
    }
    case 'ref': {
      const to = set.types[t.to];
      return to ? arb(set, to, depth + 1) : nul;
    }
    case 'struct': {
      const fields = t.fields.map((f) => fc.tuple(fc.constant(f.key), arb(set, f.t, depth + 1)));
      if (!fields.length) return fc.constant({ t: 'o', m: [] });
      return fc
        .subarray(
          fields.map((_, i) => i),
          { maxLength: Math.min(6, fields.length) },
        )
        .chain((idx) => {
          const req = t.fields.flatMap((f, i) => (f.required && !idx.includes(i) ? [i] : []));
          return fc.tuple(...[...idx, ...req].map((i) => fields[i]!)).map((m): Node => ({ t: 'o', m }));
        });
    }
    case 'dispatch':
      return fc.constantFrom(...Object.keys(t.cases)).chain((k) =>
        arb(set, t.cases[k]!, depth + 1).map((d): Node => ({
          t: 'o',
          m: [
            [t.field, raw(JSON.stringify(k))],
            [t.payload, d],
          ],
        })),
      );
  }
}

const MUTANTS = [
  '"x"',
  '1.5',
  '-1',
  '1e2',
  'true',
  'null',
  '{}',
  '[]',
  '18446744073709551616',
  '"2019-13-01T00:00:00Z"',
  '"10.0.0.300"',
  '"/w=="',
  '[256]',
  '-0',
];

/** Replace the k-th leaf (in walk order, modulo the leaves) by a mutant. */
function mutate(n: Node, k: number, m: string): Node {
  let leaves = 0;
  const count = (x: Node): void => {
    if (x.t === 'raw') leaves++;
    else if (x.t === 'o') x.m.forEach(([, v]) => count(v));
    else x.v.forEach(count);
  };
  count(n);
  if (!leaves) return raw(m);
  const at = k % leaves;
  let i = 0;
  const walk = (x: Node): Node => {
    if (x.t === 'raw') return i++ === at ? raw(m) : x;
    if (x.t === 'o') return { t: 'o', m: x.m.map(([key, v]) => [key, walk(v)] as [string, Node]) };
    return { t: 'a', v: x.v.map(walk) };
  };
  return walk(n);
}

const hasGo = spawnSync('go', ['version']).status === 0;

describe(
  'generated and mutated values: vcstore loads exactly what encoding/json loads',
  { skip: hasGo ? SLOW : 'no go toolchain (.ci/run installs golang-go)' },
  () => {
    for (const name of ['legacy', 'persist-1.11', 'persist-3'] as const) {
      it(`${name}: every item`, () => {
        const set = schemaSet(name);
        const dir = tmp();
        writeFileSync(
          join(dir, 'gen.mjs'),
          `import { goSource } from ${JSON.stringify(join(ROOT, 'scripts/schemas/gotypes.mjs'))};\nimport { readFileSync } from 'node:fs';\nprocess.stdout.write(goSource(JSON.parse(readFileSync(${JSON.stringify(join(ROOT, 'src/store/layouts/schemas.json'))}, 'utf8')).layouts[${JSON.stringify(name)}]));\n`,
        );
        const src = spawnSync(process.execPath, [join(dir, 'gen.mjs')], { encoding: 'utf8', maxBuffer: 1 << 26 });
        assert.equal(src.status, 0, src.stderr);
        mkdirSync(join(dir, 'go'));
        writeFileSync(join(dir, 'go/main.go'), src.stdout);
        const b = spawnSync('go', ['build', '-o', join(dir, 'loader'), 'main.go'], {
          cwd: join(dir, 'go'),
          env: { ...process.env, GO111MODULE: 'off', GOCACHE: join(dir, 'cache') },
          encoding: 'utf8',
        });
        assert.equal(b.status, 0, b.stderr);
        const inputs: { item: string; text: string }[] = [];
        for (const [key, item] of Object.entries(set.items)) {
          const values = fc.sample(arb(set, item.t, 0), { numRuns: name === 'legacy' ? 120 : 600, seed: 7 });
          for (const [i, v] of values.entries()) {
            inputs.push({ item: key, text: text(v) });
            inputs.push({ item: key, text: text(mutate(v, i * 7919, MUTANTS[i % MUTANTS.length]!)) });
          }
        }
        const r = spawnSync(join(dir, 'loader'), { input: `${inputs.map((x) => JSON.stringify(x)).join('\n')}\n`, encoding: 'utf8', maxBuffer: 1 << 28 });
        assert.equal(r.status, 0, r.stderr);
        const go = r.stdout
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { verdict: string }).verdict);
        assert.equal(go.length, inputs.length);
        let rejected = 0;
        for (const [i, x] of inputs.entries()) {
          const v = validateText(set, set.items[x.item]!, x.text).verdict;
          assert.equal(v === null, go[i] === '', `${name} ${x.item} ${x.text}: Go says ${JSON.stringify(go[i])}, vcstore ${JSON.stringify(v)}`);
          if (v) rejected++;
        }
        // The mutants must bite: a test that never rejects proves nothing.
        assert.ok(rejected > inputs.length / 10, `${rejected} of ${inputs.length} rejected`);
      });
    }
  },
);

// ---------------------------------------------------------------------------
// set and check on real stores

const ISSUE_LEGACY: [string, string, string, RegExp][] = [
  ['', 'agent', '{"ProxyPid":"x"}', /\.ProxyPid: want an integer \(int64\), got "x"/],
  ['', 'hypervisor', '{"UUID":5}', /\.UUID: want a string, got 5/],
  ['', 'state', '{"state":"ready","BlockIndex":"x"}', /\.BlockIndex: want an integer/],
  ['', 'state', '{"state":"ready","bogusKey":1}', /\.bogusKey: no such key in the runtime's type/],
  ['', 'network', '{"NetNsPath":5}', /\.NetNsPath: want a string, got 5/],
  ['', 'devices', '[{"Type":"block","Data":"x"}]', /\.\[0\]\.Data: want an object, got "x"/],
  ['', 'config', '{"HypervisorType":5}', /\.HypervisorType: want a string, got 5/],
  ['c', 'process', '{"StartTime":"notatime"}', /\.StartTime: want an RFC 3339 time, got "notatime"/],
  ['c', 'mounts', '[{"Source":5}]', /\.\[0\]\.Source: want a string, got 5/],
  ['c', 'devices', '[{"ID":5}]', /\.\[0\]\.ID: want a string, got 5/],
  ['c', 'hypervisor', '{}', /unknown item/],
  ['c', 'network', '{}', /unknown item/],
];
const ISSUE_PERSIST: [string, string, string, RegExp][] = [
  ['', 'hypervisor', '{"Pid":"x"}', /\.Pid: want an integer/],
  ['', 'hypervisor', '{"Pid":1.5}', /\.Pid: want an integer \(int64\), got 1\.5/],
  ['', 'hypervisor', '{"BlockIndexMap":[1]}', /\.BlockIndexMap: want an object, got an array/],
  ['', 'state', '{"State":"ready","GuestMemoryBlockSizeMB":"x"}', /\.GuestMemoryBlockSizeMB: want an unsigned integer \(uint32\), got "x"/],
  ['', 'agent', '{"URL":5}', /\.AgentState\.URL: want a string, got 5/],
  ['', 'network', '5', /\.Network: want an object, got 5/],
  ['', 'devices', '[{"ID":5}]', /\.Devices\[0\]\.ID: want a string, got 5/],
  ['', 'config', '5', /\.Config: want an object, got 5/],
  ['c', 'process', '{"Pid":"x"}', /\.Process\.Pid: want an integer/],
  ['c', 'mounts', '{}', /\.Mounts: want an array, got an object/],
  ['c', 'devices', '[{"ID":5}]', /\.DeviceMaps\[0\]\.ID: want a string, got 5/],
  ['c', 'state', '{"State":"weird"}', /\.State: want one of ready, running, paused, stopped, got "weird"/],
];

describe('set writes only what the runtime can load', () => {
  for (const [layout, cases] of [
    ['1.x', ISSUE_LEGACY],
    ['persist', ISSUE_PERSIST],
  ] as const) {
    it(`${layout}: each malformed input of the issue is exit 2 with its path, and nothing changes`, () => {
      const p = tmp();
      const sid = hex64(`${R}${layout}`);
      const cid = hex64(`${R}${layout}c`);
      if (layout === '1.x') addSandbox(p, sid, { state: 'stopped', containers: [{ id: cid, state: 'stopped' }] });
      else addPersistSandbox(p, sid, { state: 'stopped', containers: [{ id: cid, state: 'stopped' }] });
      const before = snapshot(p);
      for (const [level, item, input, want] of cases) {
        const r = vcp(p, ['set', sid, ...(level ? [cid] : []), item, '-'], { input });
        oneLine(r, 2, `${layout} ${level} ${item} ${input}`);
        assert.match(r.stderr, want, `${item} ${input}`);
      }
      assert.deepEqual(snapshot(p), before);
    });
  }
  it("show's own error document piped into set fails cleanly", () => {
    const p = tmp();
    const sid = hex64(`${R}pipe`);
    const cid = hex64(`${R}pipec`);
    addSandbox(p, sid, { state: 'stopped', containers: [{ id: cid, state: 'stopped' }] });
    const before = snapshot(p);
    const shown = vcp(p, ['--json', 'show', sid, cid, 'hv']);
    assert.equal(shown.code, 2);
    const r = vcp(p, ['set', sid, cid, 'hv', '-'], { input: shown.stdout || '{"error":{"code":2}}' });
    oneLine(r, 2, 'set hv');
    const r2 = vcp(p, ['set', sid, 'hv', '-'], { input: '{"error":{"code":3,"message":"x"}}' });
    oneLine(r2, 2, 'set sandbox hv with an error document');
    assert.match(r2.stderr, /\.error: no such key/);
    assert.deepEqual(snapshot(p), before);
  });
  it('--allow-unknown-keys writes a key the runtime ignores; keys the item already had never block a write', () => {
    const p = tmp();
    const sid = hex64(`${R}unk`);
    addSandbox(p, sid, { state: 'stopped' });
    const state = join(p, 'run/vc/sbs', sid, 'state.json');
    assert.equal(vcp(p, ['set', '--allow-unknown-keys', sid, 'state', '-'], { input: '{"state":"stopped","note":"by hand"}' }).code, 0);
    assert.equal(readFileSync(state, 'utf8'), '{"state":"stopped","note":"by hand"}');
    // --state keeps every other key, the unknown one included.
    const r = vcp(p, ['set', sid, '--state', 'ready']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(state, 'utf8'), '{"state":"ready","note":"by hand"}');
  });
  it('numbers are written as given: an int64 past 2^53 stays exact', () => {
    const p = tmp();
    const sid = hex64(`${R}big`);
    addPersistSandbox(p, sid, { state: 'stopped' });
    const r = vcp(p, ['set', sid, 'hypervisor', '-'], {
      input: '{"Pid":0,"Type":"qemu","BlockIndexMap":{"9007199254740993":{}},"HotpluggedMemory":9007199254740993}',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(p, 'run/vc/sbs', sid, 'persist.json'), 'utf8'), /"HotpluggedMemory":9007199254740993/);
  });
});

describe('check names the path of every malformed item', () => {
  it('1.x and persist, sandbox and container items', () => {
    const p = tmp();
    const planted: [string, string, string, string][] = [];
    const plant = (sid: string, rel: string, body: string, at: string) => {
      writeFileSync(join(p, rel), body);
      planted.push([sid, rel, body, at]);
    };
    const a = hex64(`${R}ca`);
    const ac = hex64(`${R}cac`);
    addSandbox(p, a, { state: 'stopped', containers: [{ id: ac, state: 'stopped' }] });
    plant(a, `run/vc/sbs/${a}/agent.json`, '{"ProxyPid":"x"}', '.ProxyPid');
    plant(a, `run/vc/sbs/${a}/network.json`, '{"NetNsPath":"/x","Endpoints":[{"Type":"veth","Data":{}}]}', '.Endpoints[0].Type');
    plant(a, `var/lib/vc/sbs/${a}/config.json`, '{"HypervisorType":"qemu","HypervisorConfig":{"MemorySize":-1}}', '.HypervisorConfig.MemorySize');
    plant(a, `run/vc/sbs/${a}/${ac}/mounts.json`, '[{"Source":5}]', '.[0].Source');
    const b = hex64(`${R}cb`);
    const bc = hex64(`${R}cbc`);
    addPersistSandbox(p, b, { state: 'stopped', containers: [{ id: bc, state: 'stopped' }] });
    const doc = JSON.parse(readFileSync(join(p, `run/vc/sbs/${b}/persist.json`), 'utf8'));
    doc.HypervisorState.BlockIndexMap = [1];
    plant(b, `run/vc/sbs/${b}/persist.json`, JSON.stringify(doc), '.HypervisorState.BlockIndexMap');
    plant(b, `run/vc/sbs/${b}/${bc}/persist.json`, '{"State":"stopped","Process":{"StartTime":"yesterday"}}', '.Process.StartTime');
    const j = JSON.parse(vcp(p, ['--json', 'check']).stdout);
    const bad = j.findings.filter((f: { code: string }) => f.code === 'bad-shape');
    assert.equal(bad.length, planted.length, JSON.stringify(bad));
    for (const [sid, rel, , at] of planted) {
      const f = bad.find((x: { evidence: { path: string } }) => x.evidence.path === join(p, rel));
      assert.ok(f, rel);
      assert.equal(f.id, sid);
      assert.equal(f.evidence.at, at, rel);
      assert.match(f.message, /want/);
    }
  });
});

describe('the runtime-written fixtures are silent', () => {
  for (const name of ['kata-1.x-store', 'kata-1.x-store-12', 'kata-persist-store-6', 'kata3-persist-store-6']) {
    it(name, () => {
      const p = tmp();
      unpackFixture(`${name}.tar.gz`, p);
      const j = JSON.parse(vcp(p, ['--json', 'check']).stdout);
      const loud = j.findings.filter((f: { code: string }) => /bad-shape|corrupt-item|unreadable-item/.test(f.code));
      assert.deepEqual(loud, []);
      assert.ok(readdirSync(join(p, 'run/vc/sbs')).length >= 4);
    });
  }
});

describe('Go, to the letter (the second hostile round)', () => {
  it('keys fold as Go folds them: ſ is s, the Kelvin sign is k', () => {
    const p = tmp();
    const sid = hex64(`${R}fold`);
    const cid = hex64(`${R}foldc`);
    addPersistSandbox(p, sid, { state: 'stopped', containers: [{ id: cid, state: 'stopped' }] });
    const before = snapshot(p);
    const r = vcp(p, ['set', '--allow-unknown-keys', sid, cid, 'process', '-'], { input: '{"Pid":1,"\\u017FtartTime":"garbage"}' });
    oneLine(r, 2, 'set ſtartTime');
    assert.match(r.stderr, /\["ſtartTime"\]: want an RFC 3339 time/);
    assert.deepEqual(snapshot(p), before);
    writeFileSync(join(p, 'run/vc/sbs', sid, cid, 'persist.json'), '{"State":"stopped","Process":{"Pid":1,"\\u017FtartTime":"garbage"}}\n');
    const f = JSON.parse(vcp(p, ['--json', 'check']).stdout).findings.filter((x: { code: string }) => x.code === 'bad-shape');
    assert.equal(f.length, 1, JSON.stringify(f));
    // The state the runtime reads is the last that folds to "state".
    const q = tmp();
    const s2 = hex64(`${R}fold2`);
    addSandbox(q, s2, { state: 'stopped' });
    writeFileSync(join(q, 'run/vc/sbs', s2, 'state.json'), '{"state":"stopped","\\u017Ftate":"paused"}');
    assert.equal(JSON.parse(vcp(q, ['--json', 'ls']).stdout)[0].state, 'paused');
  });
  it('a key given twice in the input is refused; --state leaves one state key', () => {
    const p = tmp();
    const sid = hex64(`${R}dupk`);
    addSandbox(p, sid, { state: 'stopped' });
    const state = join(p, 'run/vc/sbs', sid, 'state.json');
    const before = snapshot(p);
    const r = vcp(p, ['set', sid, 'state', '-'], { input: '{"state":"running","State":"paused"}' });
    oneLine(r, 2, 'set with a duplicate key');
    assert.match(r.stderr, /"State" given twice \(first as "state"\)/);
    assert.deepEqual(snapshot(p), before);
    writeFileSync(state, '{"state":"running","blockIndex":1,"State":"paused"}');
    // The runtime reads it as paused (the last one): --force past the liveness that implies.
    assert.equal(vcp(p, ['set', '--force', sid, '--state', 'stopped']).code, 0);
    assert.equal(readFileSync(state, 'utf8'), '{"state":"stopped","blockIndex":1}');
  });
  it('show --json prints the item as stored: numbers past 2^53 exact, so show | set writes the same bytes', () => {
    const p = tmp();
    const sid = hex64(`${R}exact`);
    addPersistSandbox(p, sid, { state: 'stopped' });
    const f = join(p, 'run/vc/sbs', sid, 'persist.json');
    const doc = readFileSync(f, 'utf8').replace('"HotpluggedMemory":0', '"HotpluggedMemory":9007199254740993');
    writeFileSync(f, doc);
    const shown = vcp(p, ['--json', 'show', sid, 'hypervisor']);
    assert.match(shown.stdout, /"HotpluggedMemory":9007199254740993/);
    assert.equal(vcp(p, ['set', sid, 'hypervisor', '-'], { input: shown.stdout }).code, 0);
    assert.equal(readFileSync(f, 'utf8'), doc);
  });
  it('what the runtime cannot load is refused before the lock is waited for (2, not 4)', async () => {
    const p = tmp();
    const sid = hex64(`${R}prelock`);
    addSandbox(p, sid, { state: 'stopped' });
    const h = await holdFlock(runLock(p, sid));
    try {
      oneLine(vcp(p, ['set', '--nonblock', sid, 'state', '-'], { input: '{"state":5}' }), 2, 'set -n of a bad item under a held lock');
    } finally {
      await h.release();
    }
  });
  it('a section set into a document that fails elsewhere says so', () => {
    const p = tmp();
    const sid = hex64(`${R}elsewhere`);
    addPersistSandbox(p, sid, { state: 'stopped' });
    const f = join(p, 'run/vc/sbs', sid, 'persist.json');
    const doc = JSON.parse(readFileSync(f, 'utf8'));
    doc.AgentState.URL = 5;
    writeFileSync(f, `${JSON.stringify(doc)}\n`);
    const r = vcp(p, ['set', sid, 'hypervisor', '-'], { input: '{"Pid":0,"Type":"qemu"}' });
    oneLine(r, 2, 'set a section of a broken document');
    assert.match(r.stderr, /already fails to load at \.AgentState\.URL/);
  });
  it('a UTF-8 BOM is no JSON to Go, nor to check without the addon', () => {
    const p = tmp();
    const sid = hex64(`${R}bom`);
    addSandbox(p, sid, { state: 'stopped' });
    const f = join(p, 'run/vc/sbs', sid, 'state.json');
    writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(f)]));
    for (const addon of ['1', '0']) {
      const j = JSON.parse(vcp(p, ['--json', 'check'], { env: { VCSTORE_ADDON: addon } }).stdout);
      assert.ok(
        j.findings.some((x: { code: string }) => x.code === 'corrupt-item'),
        `VCSTORE_ADDON=${addon}: ${JSON.stringify(j.findings)}`,
      );
    }
  });
});
