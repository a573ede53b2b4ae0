#!/usr/bin/env bash
# Standalone training time of two builds side by side, e.g. before and after
# a change: the builds run in turn (A B A B ..., bench/ab_lib.sh) and are
# compared round by round, so the machine's drift cancels out.
#
#   bench/standalone_vs.sh BIN_A BIN_B [DATASET] [ROUNDS]
#
# BIN_A / BIN_B: bin folders holding trainer and partition_graph. DATASET:
# a bundled dataset (default amazon_computers), partitioned once into 1 part
# with BIN_A's partition_graph. Each run trains 5 epochs with FLAGS (default
# "--num_hidden=256 --layer_norm", the README's recipe shape), 2 threads, no
# evaluation. Prints the mean epoch
# time (epochs 2..5) and the whole run's wall time per build, with the
# per-round ratios A / B.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
DATASET=${3:-amazon_computers}
ROUNDS=${4:-5}
WORK=$(mktemp -d /tmp/standalone_vs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source bench/ab_lib.sh
CONFIG="$(bench_partition "$BIN_A" "$DATASET" "$WORK")"
read -r -a flags <<< "${FLAGS:---num_hidden=256 --layer_norm}"
TRAIN=(--standalone --part_config="$CONFIG" "${flags[@]}" --num_epochs=5 --eval_every=-1
       --num_threads=2)
train() {  # BIN NAME ROUND
  "$1/trainer" "${TRAIN[@]}" --metrics_out="$WORK/$2-$3.csv" > "$WORK/$2-$3.json" \
    2> "$WORK/$2-$3.log"
  epoch_figures "$WORK/$2-$3.csv"
}
variant_A() { train "$BIN_A" A "$1"; }
variant_B() { train "$BIN_B" B "$1"; }
ab_rounds "$WORK/runs.tsv" "$ROUNDS" A B
echo "# standalone $DATASET, ${flags[*]}, A = $BIN_A, B = $BIN_B, $ROUNDS rounds, $(date -u +%F)"
python3 bench/ab_summary.py "$WORK/runs.tsv" --baseline B \
  --figures "epoch_s=epoch s (mean of epochs 2..5),wall_s=whole run s"
