#!/usr/bin/env bash
# The main job on a bundled real dataset, end to end: install the packages,
# build, partition Cora with METIS, and train GraphSAGE on it in standalone
# mode (one process, in-process graph server, no sockets).
# Usage: deploy/run_example.sh [DATASET]   (cora | amazon_computers | amazon_photo)
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-cora}
build_dir=build
# The documented recipes (README, "Accuracy on the bundled datasets").
case "$dataset" in
  cora)
    recipe=(--num_epochs 200 --lr 0.01 --weight_decay 5e-4 --feature_norm row --input_dropout 0.5) ;;
  amazon_computers | amazon_photo)
    recipe=(--num_hidden 256 --num_epochs 40 --layer_norm) ;;
  *)
    echo "run_example.sh: unknown dataset '$dataset' (cora, amazon_computers, amazon_photo)" >&2
    exit 2 ;;
esac
deploy/install_deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)" --target partition_graph trainer
"$build_dir/bin/partition_graph" --dataset_dir "datasets/$dataset" --num_parts 1 \
  --out "data/$dataset" --overwrite
config=$(ls "data/$dataset"/*.json)
"$build_dir/bin/trainer" --standalone --part_config "$config" "${recipe[@]}"
