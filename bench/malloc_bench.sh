#!/usr/bin/env bash
# glibc malloc thresholds of the trainer. trainer/trainer_main.cc raises the
# mmap threshold to 32 MiB and the trim threshold to 1 GiB (mallopt) so that
# the megabyte-sized tensors of every step reuse heap memory instead of fresh,
# page-faulting mappings. The same binary runs without those two calls under
# the LD_PRELOAD shim bench/no_mallopt.c (built here with cc):
#   mallopt   the trainer as shipped;
#   glibc     the shim: glibc's default thresholds.
# Each run trains Amazon Computers standalone (2 threads, DGL's
# hyper-parameters, hidden HIDDEN) for EPOCHS epochs without evaluation; the
# variants run in turn, ROUNDS times. Prints mean epoch time (epochs 2..),
# model-step time and wall time, with per-round ratios to mallopt, and writes
# them to RESULT.
#
# Usage: bench/malloc_bench.sh [BUILD_DIR]
#   env: HIDDEN (256), EPOCHS (3), ROUNDS (3), DATASET (amazon_computers),
#        RESULT (bench/results/malloc.md), WORK (logs, partition, the shim)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
HIDDEN="${HIDDEN:-256}"
EPOCHS="${EPOCHS:-3}"
ROUNDS="${ROUNDS:-3}"
DATASET="${DATASET:-amazon_computers}"
RESULT="${RESULT:-bench/results/malloc.md}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-malloc}"
source bench/ab_lib.sh
mkdir -p "$WORK" "$(dirname "$RESULT")"
SHIM="$(realpath "$WORK")/no_mallopt.so"
cc -O2 -shared -fPIC -o "$SHIM" bench/no_mallopt.c -ldl
CONFIG="$(bench_partition "$BIN" "$DATASET" "$WORK")"
TRAIN=(--standalone --part_config="$CONFIG" --num_threads=2 --num_layers=2 "--fan_out=10,25"
       --batch_size=1000 --lr=0.003 --dropout=0.5 --num_hidden="$HIDDEN" --num_epochs="$EPOCHS"
       --eval_every=-1 --seed=0)

train() {  # NAME ROUND [env assignments]
  local name=$1 round=$2
  shift 2
  env "$@" "$BIN/trainer" "${TRAIN[@]}" --metrics_out="$WORK/$name-$round.csv" \
    > "$WORK/$name-$round.json" 2> "$WORK/$name-$round.log"
  epoch_figures "$WORK/$name-$round.csv"
}
variant_mallopt() { train mallopt "$1"; }
variant_glibc() {
  train glibc "$1" LD_PRELOAD="$SHIM"
  [[ $(grep -c "^no_mallopt: ignored" "$WORK/glibc-$1.log") -ge 2 ]] ||
    { echo "the shim did not intercept mallopt (see $WORK/glibc-$1.log)" >&2; exit 1; }
}

ab_rounds "$WORK/runs.tsv" "$ROUNDS" mallopt glibc
{
  result_header "glibc malloc thresholds: $DATASET, hidden $HIDDEN, $EPOCHS epochs, $ROUNDS rounds" \
    "HIDDEN=$HIDDEN EPOCHS=$EPOCHS ROUNDS=$ROUNDS bench/malloc_bench.sh $BUILD"
  python3 bench/ab_summary.py "$WORK/runs.tsv" --baseline mallopt \
    --figures "epoch_s=epoch s (mean of epochs 2..$EPOCHS),compute_s=model step s per epoch,wall_s=whole run s"
} | tee "$RESULT"
echo "logs in $WORK" >&2
