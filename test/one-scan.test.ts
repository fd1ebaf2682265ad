// needs: nothing
// check reads a 1.x sandbox's config.json HypervisorType from the validator's
// own pass (judgeLegacy's `topKey`) instead of a second scan of the text
// (topLevelString). The two must agree on every text, whatever it holds:
// invalid, cut short, trailing bytes, duplicate keys, keys as Go folds them,
// a HypervisorType that is no string, null, or nested too deep; and asking
// for it must change nothing of the verdict.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { judgeLegacy } from '../src/store/layouts/judge.js';
import { topLevelString } from '../src/store/layouts/validate.js';
import { addSandbox, hex64, R, scratch, unpackFixture, vcp } from './helpers.js';

const { tmp } = scratch();
const KEY = 'HypervisorType';

/** Both ways, and the verdict with and without the key asked for. */
function agree(text: string): void {
  const want = topLevelString(text, KEY);
  const plain = judgeLegacy(text, 'config.json', false, null);
  const withTop = judgeLegacy(text, 'config.json', false, null, false, KEY);
  assert.ok(plain !== 'no-such-item' && withTop !== 'no-such-item');
  assert.equal(withTop.top, want, `top of ${JSON.stringify(text.slice(0, 200))}`);
  assert.deepEqual(withTop.verdict, plain.verdict, `verdict of ${JSON.stringify(text.slice(0, 200))}`);
  assert.deepEqual(withTop.unknown, plain.unknown);
  // As check collects unknown keys nowhere, but `raw`/`set` do: the same with collectUnknown.
  const a = judgeLegacy(text, 'config.json', false, null, true);
  const b = judgeLegacy(text, 'config.json', false, null, true, KEY);
  assert.ok(a !== 'no-such-item' && b !== 'no-such-item');
  assert.deepEqual(b.verdict, a.verdict);
  assert.deepEqual(b.unknown, a.unknown);
  assert.equal(b.top, want);
}

const CASES = [
  '',
  '   ',
  'null',
  '[]',
  '"qemu"',
  '5',
  '{}',
  '{"HypervisorType":"qemu"}',
  '{"HypervisorType":"qemu"} ',
  '{"HypervisorType":"qemu"} x',
  '{"HypervisorType":"qemu"}{"HypervisorType":"acrn"}',
  '{"HypervisorType":"qemu"',
  '{"HypervisorType":"qemu",',
  '{"HypervisorType":"qemu","ID":',
  '{"HypervisorType":"qemu","ID":"x"]',
  '{"HypervisorType":5}',
  '{"HypervisorType":"qemu","HypervisorType":5}',
  '{"HypervisorType":5,"HypervisorType":"qemu"}',
  '{"HypervisorType":"qemu","HypervisorType":null}',
  '{"HypervisorType":null}',
  '{"HypervisorType":"qemu","HypervisorType":"acrn"}',
  '{"hypervisortype":"acrn"}',
  '{"HYPERVISORTYPE":"acrn","HypervisorType":"qemu"}',
  '{"HypervisorType":"qemu","hypervisorTYPE":"clh"}',
  '{"Hypervisor\\u0054ype":"firecracker"}',
  '{"HypervisorType":"ac\\u0072n"}',
  '{"HypervisorType":"a\\"b"}',
  '{"HypervisorType":"qemu\\x"}',
  '{"HypervisorType":nul}',
  '{"HypervisorType":nullx}',
  '{"HypervisorType":"qemu","HypervisorType":nul}',
  '{"HypervisorType":true}',
  '{"HypervisorType":{"a":"b"}}',
  '{"HypervisorType":["acrn"]}',
  '{"HypervisorType":"qemu","HypervisorType":[]}',
  '{"HypervisorType":"qemu","HypervisorConfig":{"MemorySize":-1}}',
  '{"HypervisorConfig":{"MemorySize":-1},"HypervisorType":"acrn"}',
  '{"HypervisorConfig":{"MemorySize":-1},"HypervisorType":"acrn","ID":5}',
  '{"Containers":[{"HypervisorType":"acrn"}],"HypervisorType":"qemu"}',
  '{"Containers":[{"HypervisorType":"acrn"}]}',
  '{"Annotations":{"HypervisorType":"acrn"}}',
  '{"AgentConfig":{"HypervisorType":"acrn"},"HypervisorType":"clh"}',
  '{"AgentConfig":1e999,"HypervisorType":"clh"}',
  '{"HypervisorType":"qemu","AgentConfig":' + '['.repeat(20000) + ']'.repeat(20000) + '}',
  '{"HypervisorType":"qemu","AgentConfig":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
  '{"HypervisorType":"qemu","ShimConfig":' + '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) + '}',
  '\ufeff{"HypervisorType":"qemu"}',
  ' \n\t{ "HypervisorType" : "qemu" } \n',
  '{"HypervisorType":"\u212aata"}',
  '{"Hypervisor\u212aype":"x"}',
  '{"HypervisorType":"qemu","ID":"\u0001"}',
];

describe('HypervisorType from the validator pass (one scan of config.json)', () => {
  it('agrees with topLevelString on hand-made texts, and changes no verdict', () => {
    for (const t of CASES) agree(t);
  });

  it('agrees on every fixture config.json, every cut of one, and each with trailing bytes', () => {
    const dir = tmp();
    unpackFixture('kata-1.x-store-12.tar.gz', dir);
    const sbs = join(dir, 'var/lib/vc/sbs');
    const texts = readdirSync(sbs).map((sid) => readFileSync(join(sbs, sid, 'config.json'), 'utf8'));
    assert.ok(texts.length >= 12);
    for (const t of texts) {
      agree(t);
      agree(`${t}\n}`);
      agree(`${t}x`);
    }
    const one = texts.find((t) => t.includes('"HypervisorType"'))!;
    const at = one.indexOf('"HypervisorType"');
    assert.ok(at >= 0);
    for (let i = 0; i < one.length; i += i > at - 40 && i < at + 80 ? 1 : 97) agree(one.slice(0, i));
  });

  it('agrees on generated objects (duplicates, folded keys, any value) and byte mutations of them', () => {
    const key = fc.constantFrom(
      KEY,
      'hypervisortype',
      'HYPERVISORTYPE',
      'Hypervisor\\u0054ype',
      'ID',
      'Hostname',
      'HypervisorConfig',
      'AgentConfig',
      'Annotations',
      'x',
    );
    const value = fc.oneof(
      fc.constantFrom(
        '"qemu"',
        '"acrn"',
        '"clh"',
        '"firecracker"',
        '""',
        'null',
        '5',
        'true',
        '{}',
        '[]',
        '"a\\u0062"',
        '{"MemorySize":-1}',
        '{"HypervisorType":"acrn"}',
      ),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    );
    const member = fc.tuple(key, value).map(([k, v]) => `"${k}":${v}`);
    const doc = fc.tuple(fc.array(member, { maxLength: 6 }), fc.constantFrom('', ' ', 'x', '}', ' {}')).map(([m, tail]) => `{${m.join(',')}}${tail}`);
    const mutated = fc.tuple(doc, fc.nat(), fc.constantFrom('', '"', '{', '}', ',', ':', '\\', 'n', ']')).map(([d, at, c]) => {
      const i = at % (d.length + 1);
      return d.slice(0, i) + c + d.slice(i + 1);
    });
    fc.assert(
      fc.property(fc.oneof(doc, mutated), (t) => agree(t)),
      { numRuns: 3000, seed: 40 },
    );
  });
});

describe('check: hypervisor.json judged as the hypervisor config.json names', () => {
  it('names it from a readable HypervisorType, else goes by the shape of hypervisor.json', () => {
    // {"PID","UUID"} has ACRN's shape, and a UUID ACRN's state cannot hold; firecracker's has no UUID (an unknown key).
    const p = tmp();
    const cases: [string, string, boolean][] = [
      ['fc', '{"HypervisorType":"firecracker"}', false],
      ['fold', '{"hypervisorTYPE":"firecracker"}', false],
      ['last', '{"HypervisorType":"acrn","HypervisorType":"firecracker"}', false],
      ['null', '{"HypervisorType":"firecracker","HypervisorType":null}', false],
      ['trailing', '{"HypervisorType":"firecracker"} x', false],
      ['number', '{"HypervisorType":"firecracker","HypervisorType":5}', true],
      ['cut', '{"HypervisorType":"firecracker","ID":', true],
      ['unknown', '{"HypervisorType":"vmware"}', true],
    ];
    const ids = new Map(cases.map(([tag]) => [hex64(`${R}hv-${tag}`), tag]));
    for (const [tag, config] of cases) {
      const sid = hex64(`${R}hv-${tag}`);
      addSandbox(p, sid, { hypervisor: 'acrn', state: 'stopped' });
      writeFileSync(join(p, 'var/lib/vc/sbs', sid, 'config.json'), config);
      writeFileSync(join(p, 'run/vc/sbs', sid, 'hypervisor.json'), '{"PID":0,"UUID":5}');
    }
    const findings = JSON.parse(vcp(p, ['--json', 'check']).stdout).findings as { id: string; code: string; evidence: { path?: string; at?: string } }[];
    for (const [tag, , flagged] of cases) {
      const sid = [...ids].find(([, t]) => t === tag)![0];
      const hv = findings.filter((f) => f.id === sid && f.code === 'bad-shape' && f.evidence.path?.endsWith('/hypervisor.json'));
      assert.equal(hv.length, flagged ? 1 : 0, `${tag}: ${JSON.stringify(hv)}`);
      if (flagged) assert.equal(hv[0]!.evidence.at, '.UUID');
    }
  });
});
