#!/usr/bin/env bash
# OpenMP wait policy of the trainer's threads. The trainer re-executes itself
# with OMP_WAIT_POLICY=PASSIVE unless the variable is set
# (trainer/trainer_main.cc); setting it runs another policy with the same
# binary:
#   passive  OMP_WAIT_POLICY=PASSIVE (what the trainer picks by itself);
#   active   OMP_WAIT_POLICY=ACTIVE (idle threads spin);
#   default  OMP_WAIT_POLICY= (empty: libgomp warns "Invalid value" and keeps
#            its own default, spinning a while before sleeping: the trainer as
#            it was before it chose PASSIVE).
# Each run trains Amazon Computers standalone (2 threads, DGL's
# hyper-parameters, hidden HIDDEN) for EPOCHS epochs without evaluation; the
# variants run in turn, ROUNDS times. Prints mean epoch time (epochs 2..),
# model-step (compute) time and the whole run's wall time per variant, with
# per-round ratios to passive, and writes them to RESULT.
#
# Usage: bench/omp_wait_bench.sh [BUILD_DIR]
#   env: HIDDEN (256), EPOCHS (3), ROUNDS (3), DATASET (amazon_computers),
#        RESULT (bench/results/omp_wait.md), WORK (logs and partition)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
HIDDEN="${HIDDEN:-256}"
EPOCHS="${EPOCHS:-3}"
ROUNDS="${ROUNDS:-3}"
DATASET="${DATASET:-amazon_computers}"
RESULT="${RESULT:-bench/results/omp_wait.md}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-omp-wait}"
source bench/ab_lib.sh
mkdir -p "$WORK" "$(dirname "$RESULT")"
CONFIG="$(bench_partition "$BIN" "$DATASET" "$WORK")"
TRAIN=(--standalone --part_config="$CONFIG" --num_threads=2 --num_layers=2 "--fan_out=10,25"
       --batch_size=1000 --lr=0.003 --dropout=0.5 --num_hidden="$HIDDEN" --num_epochs="$EPOCHS"
       --eval_every=-1 --seed=0)

train() {  # POLICY NAME ROUND
  OMP_WAIT_POLICY="$1" "$BIN/trainer" "${TRAIN[@]}" --metrics_out="$WORK/$2-$3.csv" \
    > "$WORK/$2-$3.json" 2> "$WORK/$2-$3.log"
  epoch_figures "$WORK/$2-$3.csv"
}
variant_passive() { train PASSIVE passive "$1"; }
variant_active() { train ACTIVE active "$1"; }
variant_default() {
  train "" default "$1"
  grep -q "Invalid value for environment variable OMP_WAIT_POLICY" "$WORK/default-$1.log" ||
    { echo "libgomp did not fall back to its default policy (see $WORK/default-$1.log)" >&2; exit 1; }
}

ab_rounds "$WORK/runs.tsv" "$ROUNDS" passive active default
{
  result_header "OpenMP wait policy: $DATASET, hidden $HIDDEN, $EPOCHS epochs, $ROUNDS rounds" \
    "HIDDEN=$HIDDEN EPOCHS=$EPOCHS ROUNDS=$ROUNDS bench/omp_wait_bench.sh $BUILD"
  python3 bench/ab_summary.py "$WORK/runs.tsv" --baseline passive \
    --figures "epoch_s=epoch s (mean of epochs 2..$EPOCHS),compute_s=model step s per epoch,wall_s=whole run s"
} | tee "$RESULT"
echo "logs in $WORK" >&2
