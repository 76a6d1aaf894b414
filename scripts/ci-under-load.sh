#!/usr/bin/env bash
# Runs CI (`bash .ci/run`) N times in a row, each on a fresh clone of this
# repository's HEAD, while two busy-loop processes load the machine: the
# suite must not depend on speed. Needs ../shared beside the repository.
#   bash scripts/ci-under-load.sh [N=3]
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rev=$(git -C "$repo" rev-parse HEAD)
work=$(mktemp -d)
ln -s "$(cd "$repo/../shared" && pwd)" "$work/shared"
node -e 'for(;;){}' & b1=$!
node -e 'for(;;){}' & b2=$!
trap 'kill $b1 $b2; rm -rf "$work"' EXIT
status=0
for i in $(seq 1 "${1:-3}"); do
  rm -rf "$work/clone" && git clone -q "$repo" "$work/clone" && git -C "$work/clone" checkout -q "$rev"
  start=$(date +%s)
  (cd "$work/clone" && bash .ci/run > "$work/run$i.log" 2>&1) || status=1
  echo "run $i at $rev: $(tail -1 "$work/run$i.log") in $(( $(date +%s) - start )) s"
done
exit $status
