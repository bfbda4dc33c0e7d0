#!/bin/sh
# Reproduces docs/ALGORITHMS.md's results table: one shared warm start on Game of 24 (the default
# 1000 supervised steps), then every preset for ITERATIONS iterations from that same policy with
# the default settings, evaluated at iteration 0 and at the end (50 test puzzles x 8 samples).
# Presets whose parts add tokens (thinkless, auto_cei) cannot load that policy and warm-start
# their own, with the same settings.
# Two presets run at a time, one thread each.
# Usage: docs/results/run-presets.sh [build/bin/thoughtbench-cli] [workspace.sqlite] [iterations] [reference.pt]
# (a given reference.pt, e.g. of an earlier warm start, skips the warm start)
set -eu
CLI=${1:-build/bin/thoughtbench-cli}
DB=${2:-/tmp/thoughtbench-presets.sqlite}
ITERATIONS=${3:-20}
COMMON="--set run.threads=1 --set eval.every=$ITERATIONS"
REF=${4:-}
if [ -z "$REF" ]; then
  "$CLI" run --task game24 --algorithm grpo --iterations 1 --db "$DB" --name warmstart $COMMON >/dev/null
  WARM=$("$CLI" list runs --db "$DB" --json | python3 -c "import json,sys; r=[x for x in json.load(sys.stdin) if x['name']=='warmstart'][0]; print(r['id'])")
  REF=$DB.runs/$WARM/reference.pt
fi
"$CLI" list algorithms --json | python3 -c "import json,sys; print('\n'.join(a['name'] for a in json.load(sys.stdin)))" |
  OMP_NUM_THREADS=1 xargs -P 2 -I ALGO sh -c "'$CLI' run --task game24 --algorithm ALGO --iterations $ITERATIONS \
    --db '$DB' --name ALGO --set warmstart.checkpoint='$REF' $COMMON >/dev/null 2>&1 ||
    '$CLI' run --task game24 --algorithm ALGO --iterations $ITERATIONS --db '$DB' --name ALGO $COMMON >/dev/null 2>&1 ||
    echo 'ALGO failed' >&2"
python3 "$(dirname "$0")/summarize.py" "$CLI" "$DB"
