#!/usr/bin/env bash
# Run `vcstore check --json` on every node through the vcstore DaemonSet and
# print one JSON document:
#   {"nodes":[{"node","pod","exit","report":{findings,summary}}...],
#    "summary":{"nodes","clean","withProblems","failed","errors","warnings","info"}}
# exit is vcstore's own (0 clean, 6 problems, anything else a failure, with
# report null). Needs kubectl and jq. Exits 6 if any node has problems, 1 if
# any node could not be checked, else 0.
set -euo pipefail
ns=${NAMESPACE:-kube-system}
selector=${SELECTOR:-app=vcstore}

result=$(kubectl -n "$ns" get pods -l "$selector" \
  -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{"\n"}{end}' |
while read -r pod node; do
  [ -n "$pod" ] || continue
  rc=0
  out=$(kubectl -n "$ns" exec "$pod" -- vcstore check --json 2>/dev/null) || rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 6 ]; then
    jq -c -n --arg node "$node" --arg pod "$pod" --argjson exit "$rc" --argjson report "$out" \
      '{node: $node, pod: $pod, exit: $exit, report: $report}'
  else
    jq -c -n --arg node "$node" --arg pod "$pod" --argjson exit "$rc" \
      '{node: $node, pod: $pod, exit: $exit, report: null}'
  fi
done | jq -s '{
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
}')
printf '%s\n' "$result"
if jq -e '.summary.failed > 0' <<<"$result" >/dev/null; then exit 1; fi
if jq -e '.summary.withProblems > 0' <<<"$result" >/dev/null; then exit 6; fi
