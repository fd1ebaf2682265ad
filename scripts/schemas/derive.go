// Derive vcstore's item schemas from the Kata Go sources, on Go's own front
// end: go/parser and go/types read the vendored type files
// (scripts/schemas/kata-types, listed in its manifest.json), and the types the
// runtime's loaders decode each store item into are written out as
// encoding/json sees them: keys (json tags, unexported fields and json:"-"
// dropped), Go kinds, integer widths, slices, maps and their key kinds,
// embedded structs flattened (shallower wins, equal depth cancels unless one
// is tagged), time.Time and net.IP by their (un)marshalers. Standard library
// only, no network:
//
//	go run scripts/schemas/derive.go [-out FILE] [-types DIR]
//
// run from the repository root. -out defaults to
// src/store/layouts/schemas.json, -types to scripts/schemas/kata-types (or
// $KATA_TYPES when set). The loaders themselves, and the two places where
// they do more than encoding/json (network.json's custom UnmarshalJSON,
// devices.json's dispatch by Type), are described in sources.json with the
// source lines they come from. A type the vendored files do not declare is an
// error naming it: vendor its file (scripts/schemas/vendor-kata-types.mjs).
//
// It replaces scripts/schemas/derive.mjs (a hand-written Go parser reading
// git mirrors) and derives the same schemas, byte for byte. `npm run
// schemas:check` (scripts/schemas/check.mjs) reruns it and diffs.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ---------------------------------------------------------------------------
// Ordered JSON: sources.json's templates keep their key order, and the output
// is written in the order the derivation produces (as JSON.stringify did).

type obj struct {
	keys []string
	vals map[string]any
}

func newObj(kv ...any) *obj {
	o := &obj{vals: map[string]any{}}
	for i := 0; i < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

func (o *obj) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *obj) get(k string) any { return o.vals[k] }

func (o *obj) str(k string) string { s, _ := o.vals[k].(string); return s }

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObj()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				o.set(k.(string), v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
	}
	return tok, nil
}

func readOrdered(path string) *obj {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	check(err)
	return v.(*obj)
}

func writeJSON(w *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *obj:
		w.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				w.WriteByte(',')
			}
			writeJSON(w, k)
			w.WriteByte(':')
			writeJSON(w, x.vals[k])
		}
		w.WriteByte('}')
	case []any:
		w.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				w.WriteByte(',')
			}
			writeJSON(w, e)
		}
		w.WriteByte(']')
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		check(enc.Encode(x))
		w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	case json.Number:
		w.WriteString(string(x))
	case int:
		w.WriteString(strconv.Itoa(x))
	case int64:
		w.WriteString(strconv.FormatInt(x, 10))
	case bool:
		w.WriteString(strconv.FormatBool(x))
	case nil:
		w.WriteString("null")
	default:
		panic(fmt.Sprintf("writeJSON: %T", v))
	}
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "derive: "+format+"\n", a...)
	os.Exit(1)
}

// ---------------------------------------------------------------------------
// The vendored trees (kata-types/manifest.json).

type tree struct {
	Repo    string   `json:"repo"`
	Commit  string   `json:"commit"`
	Refs    []string `json:"refs"`
	Dir     string   `json:"dir"`
	Notices []string `json:"notices"`
	Files   []string `json:"files"`
}

var (
	typesDir string
	trees    []tree
)

func treeFor(repo, ref string) *tree {
	for i := range trees {
		t := &trees[i]
		if t.Repo != repo {
			continue
		}
		if t.Commit == ref {
			return t
		}
		for _, r := range t.Refs {
			if r == ref {
				return t
			}
		}
	}
	fail("%s@%s is not vendored in %s/manifest.json", repo, ref, typesDir)
	return nil
}

// ---------------------------------------------------------------------------
// Loading packages: every vendored .go file of a directory that builds on
// linux/amd64, type-checked by go/types (function bodies ignored). Imports of
// packages that are not vendored fail quietly; a type the derivation needs
// from them is then invalid, which is an error below.

var (
	fset     = token.NewFileSet()
	stdlib   = importer.ForCompiler(fset, "source", nil)
	buildCtx = func() build.Context {
		c := build.Default
		c.GOOS, c.GOARCH, c.CgoEnabled = "linux", "amd64", true
		return c
	}()
)

type loc struct {
	tree *tree
	dir  string // inside the tree
}

type pkgInfo struct {
	pkg  *types.Package
	info *types.Info
	rhs  map[*types.TypeName]ast.Expr // each declared type's right-hand side
}

type loader struct {
	where func(ip string) loc
	pkgs  map[string]*pkgInfo
	byPkg map[*types.Package]*pkgInfo
}

func isStd(ip string) bool { return !strings.Contains(strings.SplitN(ip, "/", 2)[0], ".") }

func (l *loader) Import(ip string) (*types.Package, error) {
	if isStd(ip) {
		return stdlib.Import(ip)
	}
	p := l.load(ip)
	if p == nil {
		return nil, fmt.Errorf("%s is not vendored", ip)
	}
	return p.pkg, nil
}

func (l *loader) load(ip string) *pkgInfo {
	if p, ok := l.pkgs[ip]; ok {
		return p
	}
	l.pkgs[ip] = nil // an import cycle reads as not vendored
	w := l.where(ip)
	dir := filepath.Join(typesDir, w.tree.Dir, filepath.FromSlash(w.dir))
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var files []*ast.File
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		if ok, err := buildCtx.MatchFile(dir, n); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		check(err)
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: l, IgnoreFuncBodies: true, FakeImportC: true, Error: func(error) {}}
	pkg, _ := conf.Check(ip, fset, files, info)
	p := &pkgInfo{pkg: pkg, info: info, rhs: map[*types.TypeName]ast.Expr{}}
	for _, f := range files {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, s := range g.Specs {
					ts := s.(*ast.TypeSpec)
					if tn, ok := info.Defs[ts.Name].(*types.TypeName); ok {
						p.rhs[tn] = ts.Type
					}
				}
			}
		}
	}
	l.pkgs[ip] = p
	l.byPkg[pkg] = p
	return p
}

// ---------------------------------------------------------------------------
// From Go types to schema nodes (the vocabulary of schemas.json; see
// src/store/layouts/schema-types.ts):
//
// {k:'int'|'uint', bits} {k:'float', bits} {k:'string'} {k:'bool'}
// {k:'time'} {k:'ip'} {k:'bytes'} {k:'raw'} {k:'any'} {k:'iface'}
// {k:'text', of} {k:'ptr', of} {k:'slice', of} {k:'array', len, of}
// {k:'map', key, of} {k:'ref', to} {k:'struct', fields:[{key, t}]}; the table
// holds every named struct once, so recursive types stay finite.

func kind(k string, kv ...any) *obj { return newObj(append([]any{"k", k}, kv...)...) }

func stdlibNode(qual string) *obj {
	switch qual {
	case "time.Time":
		return kind("time")
	case "time.Duration", "syscall.Signal":
		return kind("int", "bits", 64)
	case "net.IP":
		return kind("ip")
	case "net.IPMask", "net.HardwareAddr":
		return kind("bytes")
	case "net.Flags":
		return kind("uint", "bits", 64)
	case "net.IPNet":
		return kind("struct", "fields", []any{newObj("key", "IP", "t", kind("ip")), newObj("key", "Mask", "t", kind("bytes"))})
	case "os.FileMode", "io/fs.FileMode":
		return kind("uint", "bits", 32)
	case "os.File":
		return kind("struct", "fields", []any{})
	case "encoding/json.RawMessage":
		return kind("raw")
	}
	return nil
}

type deriver struct {
	l        *loader
	module   string
	types    *obj
	origin   *obj
	stack    map[string]bool
	warnings map[string]bool
	at       []string // where we are, for error messages
}

func (d *deriver) short(ip string) string {
	return strings.TrimPrefix(strings.TrimPrefix(ip, d.module+"/"), "github.com/")
}

func (d *deriver) errorf(format string, a ...any) {
	fail("%s (at %s)", fmt.Sprintf(format, a...), strings.Join(d.at, " > "))
}

func basic(b *types.Basic) *obj {
	switch b.Kind() {
	case types.String:
		return kind("string")
	case types.Bool:
		return kind("bool")
	case types.Int, types.Int64:
		return kind("int", "bits", 64)
	case types.Int8:
		return kind("int", "bits", 8)
	case types.Int16:
		return kind("int", "bits", 16)
	case types.Int32:
		return kind("int", "bits", 32)
	case types.Uint, types.Uint64, types.Uintptr:
		return kind("uint", "bits", 64)
	case types.Uint8:
		return kind("uint", "bits", 8)
	case types.Uint16:
		return kind("uint", "bits", 16)
	case types.Uint32:
		return kind("uint", "bits", 32)
	case types.Float32:
		return kind("float", "bits", 32)
	case types.Float64:
		return kind("float", "bits", 64)
	}
	return nil
}

func (d *deriver) node(t types.Type) *obj {
	switch t := t.(type) {
	case *types.Basic:
		if n := basic(t); n != nil {
			return n
		}
		d.errorf("a type the vendored files do not declare, or one encoding/json cannot decode (%s): vendor its file", t)
	case *types.Pointer:
		return kind("ptr", "of", d.node(t.Elem()))
	case *types.Slice:
		of := d.node(t.Elem())
		if of.str("k") == "uint" && of.get("bits") == 8 {
			return kind("bytes")
		}
		return kind("slice", "of", of)
	case *types.Array:
		return kind("array", "len", t.Len(), "of", d.node(t.Elem()))
	case *types.Map:
		kn := d.node(t.Key())
		key := "unsupported"
		switch kn.str("k") {
		case "string":
			key = "string"
		case "int", "uint":
			key = fmt.Sprintf("%s%d", kn.str("k"), kn.get("bits"))
		}
		return kind("map", "key", key, "of", d.node(t.Elem()))
	case *types.Struct:
		return d.structNode(t)
	case *types.Interface:
		if t.Empty() {
			return kind("any")
		}
		return kind("iface")
	case *types.Signature, *types.Chan:
		return kind("func")
	case *types.Named:
		return d.named(t)
	}
	d.errorf("unexpected type %s", t)
	return nil
}

func declaredMethod(n *types.Named, name string) bool {
	for i := 0; i < n.NumMethods(); i++ {
		if n.Method(i).Name() == name {
			return true
		}
	}
	return false
}

// A named type: structs go to the table and come back as refs; other named
// types are what their declaration's right-hand side is.
func (d *deriver) named(n *types.Named) *obj {
	tn := n.Obj()
	if tn.Pkg() == nil { // error
		return kind("iface")
	}
	ip := tn.Pkg().Path()
	qual := ip + "." + tn.Name()
	if s := stdlibNode(qual); s != nil {
		return s
	}
	key := d.short(ip) + "." + tn.Name()
	if d.types.get(key) != nil || d.stack[key] {
		return kind("ref", "to", key)
	}
	if isStd(ip) {
		d.errorf("standard library type %s has no mapping: add one to stdlibNode", qual)
	}
	p := d.l.byPkg[tn.Pkg()]
	rhs := p.rhs[tn]
	if rhs == nil {
		d.errorf("no declaration of %s", qual)
	}
	if declaredMethod(n, "UnmarshalJSON") {
		d.warnings[qual+" has UnmarshalJSON: described by hand in sources.json if a loader reaches it"] = true
	}
	_, isStruct := rhs.(*ast.StructType)
	if declaredMethod(n, "UnmarshalText") && !isStruct {
		return kind("text", "of", qual)
	}
	d.at = append(d.at, key)
	defer func() { d.at = d.at[:len(d.at)-1] }()
	if !isStruct {
		return d.node(p.info.Types[rhs].Type)
	}
	d.stack[key] = true
	t := d.structNode(n.Underlying().(*types.Struct))
	delete(d.stack, key)
	d.types.set(key, t)
	pos := fset.Position(tn.Pos())
	w := d.l.where(ip)
	rel, err := filepath.Rel(filepath.Join(typesDir, w.tree.Dir), pos.Filename)
	check(err)
	d.origin.set(key, fmt.Sprintf("%s@%s:%s:%d", w.tree.Repo, w.tree.Commit[:12], filepath.ToSlash(rel), pos.Line))
	return kind("ref", "to", key)
}

type found struct {
	key    string
	t      *obj
	depth  int
	tagged bool
}

var validTag = regexp.MustCompile(`^[A-Za-z0-9!#$%&()*+\-./:;<=>?@\[\]^_{|}~ ]+$`)

// A struct with its embedded structs flattened as encoding/json does.
func (d *deriver) structNode(st *types.Struct) *obj {
	var all []found
	var walk func(st *types.Struct, depth int)
	walk = func(st *types.Struct, depth int) {
		for i := 0; i < st.NumFields(); i++ {
			f := st.Field(i)
			tag := reflect.StructTag(st.Tag(i)).Get("json")
			if tag == "-" {
				continue
			}
			tagName := strings.SplitN(tag, ",", 2)[0]
			if tagName != "" && !validTag.MatchString(tagName) {
				tagName = ""
			}
			if f.Embedded() && tagName == "" {
				base := f.Type()
				if p, ok := base.(*types.Pointer); ok {
					base = p.Elem()
				}
				if n, ok := base.(*types.Named); ok {
					qual := ""
					if n.Obj().Pkg() != nil {
						qual = n.Obj().Pkg().Path() + "." + n.Obj().Name()
					}
					if s := stdlibNode(qual); s != nil && s.str("k") == "struct" {
						for _, sf := range s.get("fields").([]any) {
							all = append(all, found{key: sf.(*obj).str("key"), t: sf.(*obj).get("t").(*obj), depth: depth + 1, tagged: true})
						}
						continue
					}
					if s, ok := n.Underlying().(*types.Struct); ok && stdlibNode(qual) == nil {
						if declaredMethod(n, "UnmarshalJSON") || declaredMethod(n, "UnmarshalText") {
							d.warnings[fmt.Sprintf("embedded %s promotes its unmarshaler: described by hand in sources.json if a loader reaches it", qual)] = true
						}
						walk(s, depth+1)
						continue
					}
				}
				if !f.Exported() {
					continue
				}
				all = append(all, found{key: f.Name(), t: d.node(f.Type()), depth: depth})
				continue
			}
			if !f.Exported() {
				continue
			}
			d.at = append(d.at, f.Name())
			n := d.node(f.Type())
			d.at = d.at[:len(d.at)-1]
			if n.str("k") == "func" {
				continue
			}
			key := f.Name()
			if tagName != "" {
				key = tagName
			}
			all = append(all, found{key: key, t: n, depth: depth, tagged: tagName != ""})
		}
	}
	walk(st, 0)
	fields := []any{}
	for i, f := range all {
		min := f.depth
		for _, g := range all {
			if g.key == f.key && g.depth < min {
				min = g.depth
			}
		}
		var best []int
		for j, g := range all {
			if g.key == f.key && g.depth == min {
				best = append(best, j)
			}
		}
		winner := -1
		if len(best) == 1 {
			winner = best[0]
		} else {
			var tagged []int
			for _, j := range best {
				if all[j].tagged {
					tagged = append(tagged, j)
				}
			}
			if len(tagged) == 1 {
				winner = tagged[0]
			}
		}
		if winner == i {
			fields = append(fields, newObj("key", f.key, "t", f.t))
		}
	}
	return kind("struct", "fields", fields)
}

// ---------------------------------------------------------------------------
// One layout of sources.json.

func derive(src *obj) *obj {
	repo, ref, module, subdir := src.str("repo"), src.str("commit"), src.str("module"), src.str("subdir")
	main := treeFor(repo, ref)
	type dep struct {
		ip, version string
		tree        *tree
	}
	var deps []dep
	if depsObj, ok := src.get("deps").(*obj); ok {
		goMod, err := os.ReadFile(filepath.Join(typesDir, main.Dir, filepath.FromSlash(src.str("goMod"))))
		check(err)
		for _, ip := range depsObj.keys {
			m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(ip) + ` (v\S+)`).FindSubmatch(goMod)
			if m == nil {
				fail("%s is not in %s", ip, src.str("goMod"))
			}
			deps = append(deps, dep{ip, string(m[1]), treeFor(depsObj.str(ip), string(m[1]))})
		}
	}
	where := func(ip string) loc {
		if ip == module || strings.HasPrefix(ip, module+"/") {
			return loc{main, pathJoin(subdir, strings.TrimPrefix(strings.TrimPrefix(ip, module), "/"))}
		}
		for _, dp := range deps {
			if ip == dp.ip || strings.HasPrefix(ip, dp.ip+"/") {
				return loc{dp.tree, strings.TrimPrefix(strings.TrimPrefix(ip, dp.ip), "/")}
			}
		}
		return loc{main, pathJoin(subdir, "vendor", ip)}
	}
	l := &loader{where: where, pkgs: map[string]*pkgInfo{}, byPkg: map[*types.Package]*pkgInfo{}}
	d := &deriver{l: l, module: module, types: newObj(), origin: newObj(), stack: map[string]bool{}, warnings: map[string]bool{}}

	named0 := map[string]*obj{}
	tys := src.get("types").(*obj)
	for _, name := range tys.keys {
		spec := tys.str(name)
		i := strings.LastIndex(spec, ".")
		ip, tname := module+"/"+spec[:i], spec[i+1:]
		p := l.load(ip)
		if p == nil {
			fail("package %s (for %s) is not vendored", ip, name)
		}
		tn, ok := p.pkg.Scope().Lookup(tname).(*types.TypeName)
		if !ok {
			fail("no type %s in %s", tname, ip)
		}
		d.at = []string{name}
		named0[name] = d.node(tn.Type())
	}
	var fill func(v any) any
	fill = func(v any) any {
		switch x := v.(type) {
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = fill(e)
			}
			return out
		case *obj:
			if x.str("k") == "type" {
				n := named0[x.str("name")]
				if n == nil {
					fail("no type %s in %s", x.str("name"), repo)
				}
				return n
			}
			o := newObj()
			for _, k := range x.keys {
				o.set(k, fill(x.vals[k]))
			}
			return o
		}
		return v
	}
	items := newObj()
	srcItems := src.get("items").(*obj)
	for _, item := range srcItems.keys {
		spec := srcItems.get(item).(*obj)
		items.set(item, newObj("decoder", spec.get("decoder"), "t", fill(spec.get("t"))))
	}
	depOut := newObj()
	for _, dp := range deps {
		depOut.set(dp.ip, fmt.Sprintf("%s (%s)", dp.version, dp.tree.Commit[:12]))
	}
	var warnings []string
	for w := range d.warnings {
		warnings = append(warnings, w)
	}
	sort.Strings(warnings)
	wl := []any{}
	for _, w := range warnings {
		wl = append(wl, w)
	}
	return newObj(
		"source", newObj("repo", repo, "ref", ref, "commit", main.Commit, "deps", depOut),
		"items", items,
		"types", d.types,
		"origin", d.origin,
		"warnings", wl,
	)
}

func pathJoin(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return "."
	}
	return strings.Join(keep, "/")
}

func main() {
	out := flag.String("out", "src/store/layouts/schemas.json", "where to write the schemas (- for stdout)")
	dflt := os.Getenv("KATA_TYPES")
	if dflt == "" {
		dflt = "scripts/schemas/kata-types"
	}
	flag.StringVar(&typesDir, "types", dflt, "the vendored Kata type files and their manifest.json")
	sourcesPath := flag.String("sources", "scripts/schemas/sources.json", "which types each layout's items are")
	flag.Parse()
	var err error
	typesDir, err = filepath.Abs(typesDir)
	check(err)
	m, err := os.ReadFile(filepath.Join(typesDir, "manifest.json"))
	check(err)
	var manifest struct {
		Trees []tree `json:"trees"`
	}
	check(json.Unmarshal(m, &manifest))
	trees = manifest.Trees

	sources := readOrdered(*sourcesPath)
	layouts := sources.get("layouts").(*obj)
	res := newObj()
	for _, name := range layouts.keys {
		src := layouts.get(name).(*obj)
		fmt.Fprintf(os.Stderr, "deriving %s from %s@%s ...\n", name, src.str("repo"), src.str("commit"))
		r := derive(src)
		for _, w := range r.get("warnings").([]any) {
			fmt.Fprintf(os.Stderr, "  %s: %s\n", name, w)
		}
		res.set(name, r)
	}
	var b bytes.Buffer
	writeJSON(&b, newObj("about", "Generated by scripts/schemas/derive.go from the Kata Go sources in scripts/schemas/sources.json. Do not edit: rerun it.", "layouts", res))
	b.WriteByte('\n')
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		check(err)
		defer f.Close()
		w = f
	}
	_, err = w.Write(b.Bytes())
	check(err)
	fmt.Fprintf(os.Stderr, "wrote %s (%d layouts)\n", *out, len(layouts.keys))
}
