#!/usr/bin/env bash
# Whether two builds train the same model bit for bit: each trains every
# bundled DATASET at every HIDDEN size in every PRECISION (standalone, DGL's
# flags: 2 layers, fan-out 10,25, batch 1000, lr 0.003, dropout 0.5, EPOCHS
# epochs, seed 0, 2 threads), and the JSON line's param_checksum (a hash of
# the final parameters) of A and B are printed side by side. A change meant
# to keep the runs (a faster loader, a vectorised kernel) must show "same"
# on every row; the script exits 1 otherwise.
#
#   bench/same_run.sh BIN_A BIN_B
#
# BIN_A / BIN_B: bin folders holding trainer (BIN_A also partition_graph,
# which partitions each dataset once into 1 part). env: DATASETS (default
# "cora amazon_computers amazon_photo"), HIDDEN ("16 256"), PRECISIONS
# ("auto fp32"), EPOCHS (3). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
source bench/ab_lib.sh
require_programs "$BIN_A" trainer partition_graph
require_programs "$BIN_B" trainer
read -r -a datasets <<< "${DATASETS:-cora amazon_computers amazon_photo}"
read -r -a hiddens <<< "${HIDDEN:-16 256}"
read -r -a precisions <<< "${PRECISIONS:-auto fp32}"
EPOCHS="${EPOCHS:-3}"
WORK=$(mktemp -d /tmp/same_run.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

checksum() {  # BIN CONFIG HIDDEN PRECISION
  "$1/trainer" --standalone --part_config="$2" --num_layers=2 --fan_out=10,25 --batch_size=1000 \
    --lr=0.003 --dropout=0.5 --num_hidden="$3" --precision="$4" --num_epochs="$EPOCHS" \
    --eval_every=-1 --seed=0 --num_threads=2 2> "$WORK/trainer.log" |
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["param_checksum"])'
}

result_header "Same runs: param_checksum of two builds" "bench/same_run.sh $1 $2"
echo "A: $BIN_A, B: $BIN_B; $EPOCHS epochs each, seed 0, DGL's flags."
echo
echo "| dataset | hidden | precision | A | B | |"
echo "| --- | --- | --- | --- | --- | --- |"
differ=0
for dataset in "${datasets[@]}"; do
  config="$(bench_partition "$BIN_A" "$dataset" "$WORK")"
  for hidden in "${hiddens[@]}"; do
    for precision in "${precisions[@]}"; do
      a="$(checksum "$BIN_A" "$config" "$hidden" "$precision")"
      b="$(checksum "$BIN_B" "$config" "$hidden" "$precision")"
      verdict=same
      [[ $a == "$b" ]] || { verdict="**differ**"; differ=1; }
      echo "| $dataset | $hidden | $precision | $a | $b | $verdict |"
    done
  done
done
exit "$differ"
