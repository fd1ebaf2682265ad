#!/usr/bin/env node
// Go declarations from a schema set of src/store/layouts/schemas.json, and a
// main that decodes each input as the item's loader does (json.Unmarshal or
// json.NewDecoder(...).Decode) and prints Go's verdict. Built with any Go
// toolchain (no Kata code, no modules), it holds the schemas and vcstore's
// validator to encoding/json itself: test/schemas.test.ts runs it when `go`
// is installed (.ci/run installs Debian's golang-go).
//
//   node scripts/schemas/gotypes.mjs SET > main.go
//
// The two loaders that do more than encoding/json (network.json's custom
// UnmarshalJSON, devices.json's dispatch by Type) become `dispatch` types
// whose UnmarshalJSON does what the loader does: read Type and the payload as
// json.RawMessage, fail on an unknown Type, unmarshal the payload by Type.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function goSource(set) {
  const names = new Map();
  const goName = (qual) => {
    if (!names.has(qual)) names.set(qual, `T${names.size}_${qual.replace(/[^A-Za-z0-9]/g, '_')}`);
    return names.get(qual);
  };
  const decls = [];
  let nDispatch = 0;
  const exported = (key, i) => `F${i}_${key.replace(/[^A-Za-z0-9]/g, '_')}`;

  const type = (t) => {
    switch (t.k) {
      case 'string':
        return 'string';
      case 'bool':
        return 'bool';
      case 'time':
        return 'time.Time';
      case 'ip':
        return 'net.IP';
      case 'bytes':
        return '[]byte';
      case 'raw':
        return 'json.RawMessage';
      case 'any':
        return 'interface{}';
      case 'iface':
        return 'interface{ NotFillable() }';
      case 'func':
        return 'func()';
      case 'text':
        return 'string';
      case 'int':
        return t.bits === 64 ? 'int64' : `int${t.bits}`;
      case 'uint':
        return t.bits === 64 ? 'uint64' : `uint${t.bits}`;
      case 'float':
        return `float${t.bits}`;
      case 'ptr':
        return `*${type(t.of)}`;
      case 'slice':
        return `[]${type(t.of)}`;
      case 'array':
        return `[${t.len}]${type(t.of)}`;
      case 'map':
        return `map[${t.key}]${type(t.of)}`;
      case 'ref':
        return goName(t.to);
      case 'struct':
        return struct(t);
      case 'dispatch':
        return dispatch(t);
    }
    throw new Error(`unknown schema node ${JSON.stringify(t)}`);
  };

  const struct = (t) => {
    const custom = t.nullable === false || t.fields.some((f) => f.required || f.lastOnly);
    const lines = t.fields.map((f, i) => `\t${exported(f.key, i)} ${custom && f.lastOnly ? 'json.RawMessage' : type(f.t)} \`json:${JSON.stringify(f.key)}\``);
    if (!custom) return `struct {\n${lines.join('\n')}\n}`;
    // A loader with its own UnmarshalJSON (network.json): its RawMessage fields are decoded after the
    // rest, from their last occurrence; a required one that is absent fails (an empty RawMessage).
    for (const f of t.fields) if (f.required && !f.lastOnly) throw new Error(`${f.key}: required fields are RawMessage fields in the loaders vcstore knows`);
    const name = `S${nDispatch++}`;
    const after = t.fields
      .map((f, i) => [f, i])
      .filter(([f]) => f.lastOnly)
      .map(
        ([f, i]) => `	${f.required ? '{' : `if len(s.v.${exported(f.key, i)}) > 0 {`}
		var x ${type(f.t)}
		if err := json.Unmarshal(s.v.${exported(f.key, i)}, &x); err != nil {
			return err
		}
	}`,
      )
      .join('\n');
    decls.push(`type ${name}Plain struct {\n${lines.join('\n')}\n}
type ${name} struct{ v ${name}Plain }
func (s *${name}) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &s.v); err != nil {
		return err
	}
${after}
	return nil
}`);
    return name;
  };

  const dispatch = (t) => {
    const name = `D${nDispatch++}`;
    const cases = Object.entries(t.cases)
      .map(
        ([k, v]) => `	case ${JSON.stringify(k)}:
		var x ${type(v)}
		return json.Unmarshal(d.${'Payload'}, &x)`,
      )
      .join('\n');
    decls.push(`type ${name} struct{}
func (*${name}) UnmarshalJSON(b []byte) error {
	var d struct {
		Kind    string          \`json:${JSON.stringify(t.field)}\`
		Payload json.RawMessage \`json:${JSON.stringify(t.payload)}\`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	switch d.Kind {
${cases}
	}
	${t.unknown === 'skip' ? 'return nil' : 'return errors.New("unknown type")'}
}`);
    // payloadRequired: json.Unmarshal of an empty RawMessage fails by itself
    return name;
  };

  for (const [qual, t] of Object.entries(set.types)) decls.push(`type ${goName(qual)} ${type(t)}`);
  const items = Object.entries(set.items)
    .map(
      ([key, item]) => `	case ${JSON.stringify(key)}:
		var v ${type(item.t)}
		${item.decoder === 'decode' ? 'return json.NewDecoder(strings.NewReader(text)).Decode(&v)' : 'return json.Unmarshal([]byte(text), &v)'}`,
    )
    .join('\n');
  return `// Generated by scripts/schemas/gotypes.mjs from vcstore's schemas: not Kata code.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strings"
	"time"
)

var _ = time.Time{}
var _ net.IP
var _ = errors.New
var _ = strings.EqualFold

${decls.join('\n\n')}

func load(item, text string) error {
	switch item {
${items}
	}
	return errors.New("unknown item " + item)
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<27)
	out := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		var r struct {
			Item string \`json:"item"\`
			Text string \`json:"text"\`
			B64  []byte \`json:"b64"\`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			panic(err)
		}
		if r.B64 != nil {
			r.Text = string(r.B64)
		}
		msg := ""
		if err := load(r.Item, r.Text); err != nil {
			msg = err.Error()
		}
		out.Encode(map[string]string{"verdict": msg})
	}
}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const name = process.argv[2];
  const sets = JSON.parse(readFileSync(join(here, '../../src/store/layouts/schemas.json'), 'utf8')).layouts;
  if (!sets[name]) {
    console.error(`usage: gotypes.mjs SET (one of ${Object.keys(sets).join(', ')})`);
    process.exit(2);
  }
  process.stdout.write(goSource(sets[name]));
}
