#!/usr/bin/env bash
# Reruns the tailer read benchmark: the tailer alone vs `cat` vs a bare fs.read loop,
# on a deterministic 500 MB log file, page cache warm. See bench/README.md.
#
#   bash bench/tail-read.sh [RUNS]        # default 10 runs per command; needs hyperfine and /usr/bin/time
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
DIR=${BENCH_DIR:-/tmp/logship-bench}
F=$DIR/tail-500MB.log

npm run build --silent
node bench/make-file.mjs --out "$F" --mb 500
cat "$F" > /dev/null   # warm the page cache

echo "== machine: $(nproc) CPUs, node $(node --version), $(uname -sr), load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== in-process figures ($RUNS runs each; seconds exclude node start-up)"
for i in $(seq "$RUNS"); do node bench/fs-read-loop.mjs "$F"; done
for i in $(seq "$RUNS"); do node bench/fs-read-loop.mjs "$F" --async; done
for i in $(seq "$RUNS"); do node bench/fs-read-loop.mjs "$F" --async --decode; done
for i in $(seq "$RUNS"); do node bench/tail-read.mjs "$F"; done
for i in $(seq "$RUNS"); do node bench/tail-read.mjs "$F" --abort; done

echo "== whole-process figures"
hyperfine --warmup 2 --runs "$RUNS" --export-json "$DIR/hyperfine.json" \
  "cat $F > /dev/null" \
  "node bench/fs-read-loop.mjs $F" \
  "node bench/fs-read-loop.mjs $F --async" \
  "node bench/fs-read-loop.mjs $F --async --decode" \
  "node bench/tail-read.mjs $F" \
  "node bench/tail-read.mjs $F --abort" \
  "node -e 0"

echo "== peak RSS of the tailer run"
for i in 1 2 3; do
  /usr/bin/time -v node bench/tail-read.mjs "$F" 2>&1 | grep -E 'tail-read|Maximum resident'
done
