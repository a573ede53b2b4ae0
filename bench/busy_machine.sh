#!/usr/bin/env bash
# The loader's scheduling on a machine other work keeps busy: trainer
# --standalone on a bundled dataset (DGL's hyper-parameters, 2 threads) while
# BUSY other processes spin at the normal priority, the loader threads under
# SCHED_IDLE (--loader_sched_idle, the default) against nice 19 alone, in
# turn, ROUNDS times; the same with no other process for comparison. Prints
# each run's mean epoch time (epochs 2..) and wall time, and writes RESULT.
#
# Usage: bench/busy_machine.sh [BUILD_DIR]
#   env: DATASET (amazon_computers), HIDDEN (256), EPOCHS (3), ROUNDS (3),
#        BUSY ("0 1 2": numbers of spinning processes), RESULT
#        (bench/results/busy_machine.md), WORK (logs and partition)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
DATASET="${DATASET:-amazon_computers}"
HIDDEN="${HIDDEN:-256}"
EPOCHS="${EPOCHS:-3}"
ROUNDS="${ROUNDS:-3}"
BUSY="${BUSY:-0 1 2}"
RESULT="${RESULT:-bench/results/busy_machine.md}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-busy-machine}"
source bench/ab_lib.sh
require_programs "$BIN" trainer partition_graph
mkdir -p "$WORK" "$(dirname "$RESULT")"
CONFIG="$(bench_partition "$BIN" "$DATASET" "$WORK")"
spinners=()
stop_spinners() {
  ((${#spinners[@]} == 0)) || kill "${spinners[@]}" 2> /dev/null || true
  spinners=()
}
trap stop_spinners EXIT

run() {  # SCHED_IDLE BUSY ROUND: prints "epoch_s wall_s"
  local name="idle$1-busy$2-$3" begin end
  for ((i = 0; i < $2; ++i)); do
    (while :; do :; done) &
    spinners+=($!)
  done
  begin=$(date +%s.%N)
  "$BIN/trainer" "${DGL_STANDALONE_FLAGS[@]}" --part_config="$CONFIG" --num_hidden="$HIDDEN" \
    --num_epochs="$EPOCHS" --eval_every=-1 --seed=0 --loader_sched_idle="$1" \
    --metrics_out="$WORK/$name.csv" > "$WORK/$name.json" 2> "$WORK/$name.log"
  end=$(date +%s.%N)
  stop_spinners
  python3 - "$(epoch_figures "$WORK/$name.csv")" "$begin" "$end" <<'PY'
import json, sys
print(json.loads(sys.argv[1])["epoch_s"], round(float(sys.argv[3]) - float(sys.argv[2]), 2))
PY
}

{
  result_header "The loader under SCHED_IDLE against nice 19 alone, with other processes busy" \
    "DATASET=$DATASET HIDDEN=$HIDDEN EPOCHS=$EPOCHS ROUNDS=$ROUNDS BUSY=\"$BUSY\" bench/busy_machine.sh $BUILD"
  busy_processes
  echo "| other busy processes | round | epoch s, SCHED_IDLE | epoch s, nice 19 alone | ratio | run s, SCHED_IDLE | run s, nice 19 alone |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for busy in $BUSY; do
    for ((round = 1; round <= ROUNDS; ++round)); do
      read -r idle_epoch idle_wall <<< "$(run true "$busy" "$round")"
      read -r nice_epoch nice_wall <<< "$(run false "$busy" "$round")"
      python3 -c "print('| $busy | $round | $idle_epoch | $nice_epoch | %.2f | $idle_wall | $nice_wall |' % ($idle_epoch / $nice_epoch))"
    done
  done
} | tee "$RESULT"
