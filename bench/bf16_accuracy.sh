#!/usr/bin/env bash
# Accuracy of --precision bf16 against fp32 on the three bundled datasets with
# their documented recipes (bench/RESULTS-trainer.md), standalone, 2 threads,
# seeds 0, 1, 2: the same model and seeds, only the dense layers' arithmetic
# differs. On a CPU without bf16 matrix units the bf16 runs are emulated
# (--allow_emulated_bf16: bf16's roundings, float32 products: the same
# arithmetic up to the order of float32 sums); their times say nothing about
# bf16 speed. Prints a markdown table; writes it to OUT too.
#
# Usage: bench/bf16_accuracy.sh [BUILD_DIR]
#   env: DATASETS (default "cora amazon_photo amazon_computers"), SEEDS
#        (default "0 1 2"), OUT (default bench/results/bf16_accuracy.md), WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
DATASETS="${DATASETS:-cora amazon_photo amazon_computers}"
SEEDS="${SEEDS:-0 1 2}"
OUT="${OUT:-bench/results/bf16_accuracy.md}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-bf16-accuracy}"
mkdir -p "$WORK" "$(dirname "$OUT")"

source bench/ab_lib.sh
recipe() { dataset_recipe "$1"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

{
  echo "# bf16_accuracy $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "bf16 units: $(grep -o -w 'avx512_bf16\|amx_bf16' /proc/cpuinfo | sort -u | xargs || true) (none listed: emulated)"
  echo
  echo "| dataset | recipe | fp32 test acc per seed | fp32 mean | bf16 test acc per seed | bf16 mean | bf16 - fp32 (points) |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
} | tee "$OUT"
for dataset in $DATASETS; do
  config="$(bench_partition "$BIN" "$dataset" "$WORK")"
  declare -A accs=()
  for precision in fp32 bf16; do
    accs[$precision]=""
    for seed in $SEEDS; do
      # shellcheck disable=SC2046
      json="$("$BIN/trainer" --standalone --part_config="$config" --num_threads=2 --seed="$seed" \
        --eval_every=0 --precision="$precision" --allow_emulated_bf16 $(recipe "$dataset") \
        2> "$WORK/$dataset-$precision-$seed.log" | tail -n 1)"
      [[ "$(field "$json" hyperparameters | grep -c "'precision': '$precision")" == 1 ]] ||
        { echo "run did not train in $precision: $json" >&2; exit 1; }
      accs[$precision]+="$(field "$json" final_test_acc) "
    done
  done
  accuracy_row "$dataset" "$(recipe "$dataset")" "${accs[fp32]}" "${accs[bf16]}" -1 |
    tee -a "$OUT"
done
