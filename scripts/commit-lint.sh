#!/usr/bin/env bash
# The commit convention (CONTRIBUTING in README "Commits"), checked on the
# commits added since the convention began (COMMIT_BASE; the older history
# is left as it was): a subject `area: imperative summary` of at most 72
# characters, a blank line, then the why in the body.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${COMMIT_BASE:-003a9f8c01233bf94146826207ea9fcc0c0523d6}
if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  echo "commit-lint: base $base is not in this clone's history; nothing to check" >&2
  exit 0
fi
bad=0
while IFS= read -r c; do
  subject=$(git log -1 --format=%s "$c")
  second=$(git log -1 --format=%B "$c" | sed -n 2p)
  body=$(git log -1 --format=%b "$c" | sed '/^\s*$/d')
  why=()
  [ ${#subject} -le 72 ] || why+=("subject is ${#subject} characters (at most 72)")
  [[ $subject =~ ^[a-z0-9][a-zA-Z0-9._/,+-]*:\ [^[:space:]] ]] || why+=("subject is not 'area: summary'")
  [[ $subject == *. ]] && why+=("subject ends with a full stop")
  [ -z "$second" ] || why+=("no blank line after the subject")
  [ -n "$body" ] || [[ $subject =~ ^Merge ]] || why+=("no body saying why")
  if [ ${#why[@]} -gt 0 ]; then
    bad=1
    printf 'commit-lint: %s "%s": %s\n' "${c:0:12}" "$subject" "$(IFS=';'; echo "${why[*]}")" >&2
  fi
done < <(git rev-list --no-merges "$base..HEAD")
n=$(git rev-list --count --no-merges "$base..HEAD")
[ $bad -eq 0 ] && echo "commit-lint: $n commits since ${base:0:12} follow the convention"
exit $bad
