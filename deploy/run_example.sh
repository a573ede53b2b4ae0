#!/usr/bin/env bash
# The main job on a bundled real dataset, end to end: install the packages,
# build, partition Cora with METIS, and train GraphSAGE on it in standalone
# mode (one process, in-process graph server, no sockets).
# Usage: deploy/run_example.sh [DATASET]   (cora | amazon_computers | amazon_photo)
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-cora}
build_dir=build
deploy/install_deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)" --target partition_graph trainer
"$build_dir/bin/partition_graph" --dataset_dir "datasets/$dataset" --num_parts 1 \
  --out "data/$dataset" --overwrite
config=$(ls "data/$dataset"/*.json)
"$build_dir/bin/trainer" --standalone --part_config "$config"
