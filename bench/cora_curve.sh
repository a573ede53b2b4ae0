#!/usr/bin/env bash
# Training curve of the main job: Cora, 1 partition (as deploy/run_example.sh
# makes it), the README's Cora recipe, standalone, 2 threads, seed 0, with
# --metrics_out; then bench/plot_metrics.sh draws loss, accuracies and the
# epoch time split per epoch.
# Writes RESULTS_DIR/cora_metrics.csv (per epoch), RESULTS_DIR/cora_metrics.json
# (the trainer's final JSON line) and PLOT.
#
# Usage: bench/cora_curve.sh [BUILD_DIR]
#   env: RESULTS_DIR (bench/results), PLOT (bench/plots/cora_metrics.png), WORK
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
RESULTS_DIR="${RESULTS_DIR:-bench/results}"
PLOT="${PLOT:-bench/plots/cora_metrics.png}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-cora-curve}"
mkdir -p "$WORK" "$RESULTS_DIR" "$(dirname "$PLOT")"
"$BIN/partition_graph" --dataset_dir datasets/cora --num_parts 1 --balance_train --balance_edges \
  --out "$WORK/cora-1" --overwrite > "$WORK/partition.log" 2>&1 || { cat "$WORK/partition.log" >&2; exit 1; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BIN/trainer" --standalone --part_config "$(ls "$WORK"/cora-1/*.json)" --num_threads 2 --seed 0 \
  --num_epochs 200 --lr 0.01 --weight_decay 5e-4 --feature_norm row --input_dropout 0.5 \
  --metrics_out "$RESULTS_DIR/cora_metrics.csv" > "$RESULTS_DIR/cora_metrics.json" 2> "$WORK/train.log"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print("Cora, seed 0: final test accuracy %.4f, validation %.4f, mean epoch %.3f s" % (
    s["final_test_acc"], s["final_val_acc"], s["epoch_s_mean"]))' "$RESULTS_DIR/cora_metrics.json"
bench/plot_metrics.sh "$RESULTS_DIR/cora_metrics.csv" "$PLOT" \
  "Cora, standalone, README recipe (200 epochs, lr 0.01, wd 5e-4, row norm, input dropout 0.5), seed 0"
