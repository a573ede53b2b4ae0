#!/usr/bin/env bash
# Test accuracy of two trainer flag sets, A and B, on the bundled datasets
# with their documented recipes (bench/ab_lib.sh dataset_recipe),
# standalone, 2 threads, seeds SEEDS: the same model and seeds, only the
# flags differ (e.g. A="--dropout_masks=counter", B="--dropout_masks=torch").
# Prints a Markdown table; writes it to OUT too.
#
# Usage: A="FLAGS" B="FLAGS" bench/recipe_accuracy.sh [BUILD_DIR]
#   env: A, B (trainer flags; names: NAME_A, NAME_B, default A and B),
#        DATASETS (default "cora amazon_photo amazon_computers"), SEEDS
#        (default "0 1 2"), OUT (default bench/results/recipe_accuracy.md), WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build}/bin"
read -r -a flags_a <<< "${A:?give the flags of A}"
read -r -a flags_b <<< "${B:?give the flags of B}"
NAME_A="${NAME_A:-A}"
NAME_B="${NAME_B:-B}"
DATASETS="${DATASETS:-cora amazon_photo amazon_computers}"
SEEDS="${SEEDS:-0 1 2}"
OUT="${OUT:-bench/results/recipe_accuracy.md}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-recipe-accuracy}"
mkdir -p "$WORK" "$(dirname "$OUT")"
source bench/ab_lib.sh
require_programs "$BIN" trainer partition_graph

{
  echo "# Recipe accuracy, $NAME_A against $NAME_B, $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores"
  echo
  echo "- $NAME_A: \`${flags_a[*]}\`"
  echo "- $NAME_B: \`${flags_b[*]}\`"
  echo
  echo "| dataset | recipe | $NAME_A test acc per seed | $NAME_A mean | $NAME_B test acc per seed | $NAME_B mean | $NAME_A - $NAME_B (points) |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
} | tee "$OUT"
for dataset in $DATASETS; do
  config=$(bench_partition "$BIN" "$dataset" "$WORK")
  read -r -a recipe <<< "$(dataset_recipe "$dataset")"
  accs_a="" accs_b=""
  for seed in $SEEDS; do
    for variant in a b; do
      if [[ $variant == a ]]; then flags=("${flags_a[@]}"); else flags=("${flags_b[@]}"); fi
      json=$("$BIN/trainer" --standalone --part_config="$config" --num_threads=2 --seed="$seed" \
        --eval_every=0 "${recipe[@]}" "${flags[@]}" 2> "$WORK/$dataset-$variant-$seed.log" |
        tail -n 1)
      acc=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["final_test_acc"])' "$json")
      if [[ $variant == a ]]; then accs_a+="$acc "; else accs_b+="$acc "; fi
    done
  done
  accuracy_row "$dataset" "${recipe[*]}" "$accs_a" "$accs_b" | tee -a "$OUT"
done
