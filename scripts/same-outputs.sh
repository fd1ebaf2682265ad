#!/usr/bin/env bash
# Record what vcstore prints for the runtime-written fixtures and a generated
# 2,000-sandbox store, so a refactor can be held to byte-identical output:
#   scripts/same-outputs.sh record DIR [REPO]   (REPO: a built checkout; default: this one)
#   diff -r OLD NEW
# The stores are rebuilt under one fixed path each time, so paths in the output agree;
# ages are printed relative to now, so the table outputs pass through a filter
# that blanks the AGE column's values (JSON carries timestamps, not ages).
set -euo pipefail
[ "${1:-}" = record ] && [ -n "${2:-}" ] || { echo "usage: $0 record DIR [REPO]" >&2; exit 2; }
out=$(realpath -m "$2")
repo=$(realpath "${3:-$(dirname "$0")/..}")
here=$(realpath "$(dirname "$0")/..")
work=/tmp/vcstore-same-outputs
rm -rf "$work" && mkdir -p "$work" "$out"
fixtures=$here/../shared/fixtures
for f in kata-1.x-store-12 kata-persist-store-6 kata3-persist-store-6; do
  mkdir -p "$work/$f" && tar xzf "$fixtures/$f.tar.gz" -C "$work/$f"
done
mkdir -p "$work/gen2000"
node "$here/dist/bench/bench.js" generate "$work/gen2000" 2000 >/dev/null
vc() { node "$repo/bin/vcstore" "$@"; }
noage() { sed -E 's/\b[0-9]+(s|m|h|d|y)([0-9]+(s|m|h|d))? +/AGE /g'; }
for s in kata-1.x-store-12 kata-persist-store-6 kata3-persist-store-6 gen2000; do
  p=$work/$s
  for cmd in "ls" "ls --json" "ls -q" "check" "check --json" "check --fix --dry-run" "check --fix --dry-run --json" "uuid" "uuid --json"; do
    name=$(echo "$s $cmd" | tr ' ' '_')
    # shellcheck disable=SC2086
    { COLUMNS=200 vc --prefix "$p" $cmd 2>&1 && rc=0 || rc=$?; echo "exit $rc"; } | noage >"$out/$name"
  done
done
echo "recorded $(ls "$out" | wc -l) outputs in $out"
