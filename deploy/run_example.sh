#!/usr/bin/env bash
# The main job on a bundled real dataset, end to end: install the packages,
# build, partition the graph with METIS and train GraphSAGE on it, either
#   standalone:  1 partition, one process, the graph store linked in; or
#   distributed: 2 partitions, 2 graph_server processes and 2 data-parallel
#                trainer processes on this machine (loopback), rank 0 asking
#                the servers to shut down at the end.
# Usage: deploy/run_example.sh [DATASET] [standalone|distributed]
#   DATASET: cora (default) | amazon_computers | amazon_photo
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-cora}
mode=${2:-standalone}
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
case "$mode" in
  standalone) num_parts=1 ;;
  distributed) num_parts=2 ;;
  *)
    echo "run_example.sh: unknown mode '$mode' (standalone, distributed)" >&2
    exit 2 ;;
esac
deploy/install_deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)" --target partition_graph graph_server trainer
out="data/$dataset-$num_parts"
"$build_dir/bin/partition_graph" --dataset_dir "datasets/$dataset" --num_parts "$num_parts" \
  --balance_train --balance_edges --out "$out" --overwrite
config=$(ls "$out"/*.json)
if [[ "$mode" == standalone ]]; then
  exec "$build_dir/bin/trainer" --standalone --part_config "$config" "${recipe[@]}"
fi
source deploy/local_cluster.sh
trap stop_servers EXIT
work=$(mktemp -d /tmp/distsage-example.XXXXXX)
start_servers "$build_dir/bin" "$config" "$num_parts" "$work"
echo "graph servers up (ip_config: $IP_CONFIG, logs in $work); starting 2 trainers" >&2
port=$(next_master_port)
threads=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
"$build_dir/bin/trainer" --servers "$IP_CONFIG" --part_config "$config" \
  --rank 1 --world_size 2 --master_port "$port" --num_threads "$threads" "${recipe[@]}" \
  > "$work/rank1.json" 2> "$work/rank1.log" &
rank1=$!
"$build_dir/bin/trainer" --servers "$IP_CONFIG" --part_config "$config" \
  --rank 0 --world_size 2 --master_port "$port" --num_threads "$threads" --shutdown_servers \
  "${recipe[@]}"
wait "$rank1" || { cat "$work/rank1.log" >&2; exit 1; }
