#!/usr/bin/env bash
# Accuracy of an fp32 model trained on feature rows stored as bfloat16
# (partition_graph --feature_dtype bfloat16) against the same rows stored as
# float32: each dataset partitioned both ways (1 part), then the trainer,
# standalone, 2 threads, with the dataset's documented recipe (as
# bench/bf16_accuracy.sh) and the same seeds. Prints a markdown table (test
# accuracy, final loss and the model's param_checksum per seed) and writes it
# to OUT too.
#
# Usage: bench/feature_dtype_accuracy.sh [BUILD_DIR]
#   env: DATASETS (default "amazon_computers amazon_photo cora"; "synthetic"
#        is a 100,000-node synthetic graph whose features, unlike the bundled
#        datasets' 0/1 ones, bfloat16 does round), SEEDS (default "0"),
#        OUT (default bench/results/feature_dtype_accuracy.md), WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
DATASETS="${DATASETS:-amazon_computers amazon_photo cora}"
SEEDS="${SEEDS:-0}"
OUT="${OUT:-bench/results/feature_dtype_accuracy.md}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-feature-dtype-accuracy}"
mkdir -p "$WORK" "$(dirname "$OUT")"

source bench/ab_lib.sh
recipe() {
  case "$1" in
    synthetic) echo "--num_hidden=64 --num_epochs=5 --batch_size=1000 --lr=0.003" ;;
    *) dataset_recipe "$1" ;;
  esac
}
partition() {  # dataset dtype -> config path
  local out="$WORK/$1-$2"
  if ! ls "$out"/*.json > /dev/null 2>&1; then
    if [[ $1 == synthetic ]]; then
      "$BIN/partition_graph" --dataset=synthetic --num_nodes=100000 --feat_dim=100 \
        --num_classes=47 --seed=0 --num_parts=1 --feature_dtype="$2" --out="$out" > "$out.log" 2>&1
    else
      "$BIN/partition_graph" --dataset_dir="datasets/$1" --num_parts=1 --feature_dtype="$2" \
        --out="$out" > "$out.log" 2>&1
    fi
  fi
  ls "$out"/*.json
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

{
  echo "# feature_dtype_accuracy $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), 1-minute load $(cut -d' ' -f1 /proc/loadavg) at the start"
  echo
  echo "| dataset | recipe | seed | float32 rows: test acc | loss | param_checksum | bfloat16 rows: test acc | loss | param_checksum |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} | tee "$OUT"
for dataset in $DATASETS; do
  for seed in $SEEDS; do
    row="| $dataset | \`$(recipe "$dataset")\` | $seed"
    for dtype in float32 bfloat16; do
      config="$(partition "$dataset" "$dtype")"
      # shellcheck disable=SC2046
      json="$("$BIN/trainer" --standalone --part_config="$config" --num_threads=2 --seed="$seed" \
        --eval_every=0 $(recipe "$dataset") 2> "$WORK/$dataset-$dtype-$seed.log" | tail -n 1)"
      row+=" | $(field "$json" final_test_acc) | $(field "$json" final_loss) | $(field "$json" param_checksum)"
    done
    echo "$row |" | tee -a "$OUT"
  done
done
echo "machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
