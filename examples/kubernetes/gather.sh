#!/usr/bin/env bash
# Run `vcstore check --json` on every node through the vcstore DaemonSet and
# print one JSON document:
#   {"nodes":[{"node","pod","exit","report":{findings,summary},"error"?}...],
#    "summary":{"nodes","clean","withProblems","failed","errors","warnings","info"}}
# exit is vcstore's own (0 clean, 6 problems, anything else a failure, with
# report null and kubectl's or vcstore's stderr in error). Exits 6 if any node
# has problems, 1 if any node could not be checked, the pods could not be
# listed or none was found (nothing checked is never clean), else 0.
#
# NAMESPACE (default kube-system) and SELECTOR (a label selector, default
# app.kubernetes.io/name=vcstore) say where the DaemonSet's pods are. A pod
# with a witness patch (--cri=... in its arguments) is checked with it.
# Needs kubectl and jq, and RBAC for pods get/list and pods/exec create in
# $NAMESPACE (gather-rbac.yaml): exec into a root pod on every node is
# a privilege to grant on purpose. Each node's report streams through a
# temporary file, never through an argument, so a node with thousands of
# sandboxes (a report of megabytes) is no problem. EXEC_TIMEOUT (seconds,
# default 300) bounds each node: a hung exec is that node's failure (exit
# 124), not the whole gather's. A node's stderr beside a report is kept as
# its "warnings".
set -euo pipefail
ns=${NAMESPACE:-kube-system}
selector=${SELECTOR:-app.kubernetes.io/name=vcstore}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! kubectl -n "$ns" get pods -l "$selector" \
  -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{" "}{.spec.containers[0].args}{"\n"}{end}' >"$work/pods" 2>"$work/pods.err"; then
  echo "gather.sh: cannot list the vcstore pods in $ns: $(cat "$work/pods.err")" >&2
  exit 1
fi
if ! grep -q '[^[:space:]]' "$work/pods"; then
  echo "gather.sh: no vcstore pods in namespace $ns with selector $selector (set NAMESPACE and SELECTOR to where the DaemonSet runs; is it rolled out?)" >&2
  exit 1
fi

i=0
while read -r pod node args; do
  [ -n "$pod" ] || continue
  i=$((i + 1))
  rc=0
  # The pod's own witness (a witness patch's --cri=...): a one-off report asks the same container manager.
  cri=$(printf '%s' "${args:-}" | grep -o '"--cri=[^"]*"' | tr -d '"' | tail -n 1 || true)
  timeout "${EXEC_TIMEOUT:-300}" kubectl -n "$ns" exec "$pod" -- vcstore check --json ${cri:+"$cri"} >"$work/$i.json" 2>"$work/$i.err" </dev/null || rc=$?
  if { [ "$rc" -eq 0 ] || [ "$rc" -eq 6 ]; } && jq -e . "$work/$i.json" >/dev/null 2>&1; then
    jq -c --arg node "$node" --arg pod "$pod" --argjson exit "$rc" --rawfile warnings "$work/$i.err" \
      '{node: $node, pod: $pod, exit: $exit, report: .} + (if $warnings == "" then {} else {warnings: $warnings} end)' "$work/$i.json"
  else
    [ "$rc" -ne 0 ] || rc=1
    jq -c -n --arg node "$node" --arg pod "$pod" --argjson exit "$rc" --rawfile error "$work/$i.err" \
      '{node: $node, pod: $pod, exit: $exit, report: null, error: $error}'
    printf 'gather.sh: %s (%s): exit %s: %s\n' "$node" "$pod" "$rc" "$(head -c 300 "$work/$i.err")" >&2
  fi
  rm -f "$work/$i.json" "$work/$i.err"
done <"$work/pods" >"$work/nodes.jsonl"

jq -s '{
  nodes: .,
  summary: {
    nodes: length,
    clean: map(select(.exit == 0)) | length,
    withProblems: map(select(.exit == 6)) | length,
    failed: map(select(.exit != 0 and .exit != 6)) | length,
    errors: (map(.report.summary.errors // 0) | add // 0),
    warnings: (map(.report.summary.warnings // 0) | add // 0),
    info: (map(.report.summary.info // 0) | add // 0)
  }
}' "$work/nodes.jsonl" >"$work/result.json"
cat "$work/result.json"
if jq -e '.summary.failed > 0' "$work/result.json" >/dev/null; then exit 1; fi
if jq -e '.summary.withProblems > 0' "$work/result.json" >/dev/null; then exit 6; fi
