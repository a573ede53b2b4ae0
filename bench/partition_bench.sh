#!/usr/bin/env bash
# Partitions an ogbn-products-scale synthetic graph (2,449,029 nodes,
# 61,859,140 undirected edges = 123,718,280 directed, 100 float features,
# 47 classes, 196,615 train nodes) into 4 parts with --balance_train
# --balance_edges, by METIS and by random split, plus the 1-part standalone
# set; prints wall time, peak RSS (/usr/bin/time -v) and edge cut of each.
#
#   bench/partition_bench.sh [BIN_DIR] [OUT_ROOT]
#
# BIN_DIR defaults to build/bin; OUT_ROOT (default: a fresh folder under
# /tmp) receives synth-products-4part, synth-products-4part-random and
# synth-products-1part. Needs about 12 GB of free memory and 4 GB of disk per
# partition set. Runs one job at a time.
set -euo pipefail

BIN_DIR=${1:-build/bin}
OUT_ROOT=${2:-$(mktemp -d /tmp/partition_bench.XXXXXX)}
PARTITION_GRAPH="$BIN_DIR/partition_graph"
[[ -x "$PARTITION_GRAPH" ]] || { echo "no $PARTITION_GRAPH; build the partition_graph target" >&2; exit 1; }
mkdir -p "$OUT_ROOT"

SYNTHETIC=(--dataset synthetic --num_nodes 2449029 --num_edges 61859140 --feat_dim 100
           --num_classes 47 --num_train 196615 --num_valid 39323 --seed 0)

# run NAME ARGS...: partitions into OUT_ROOT/NAME and records the figures.
results=()
run() {
  local name=$1; shift
  local log="$OUT_ROOT/$name.log"
  /usr/bin/time -v "$PARTITION_GRAPH" "${SYNTHETIC[@]}" "$@" --out "$OUT_ROOT/$name" --overwrite \
    >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  local wall rss cut
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.2f", $2 / 1048576}' "$log")
  cut=$(grep '^edge cut:' "$log" | sed 's/^edge cut: //')
  results+=("| $name | $* | $wall | $rss | $cut |")
  echo "$name: wall $wall, peak RSS $rss GiB, edge cut $cut" >&2
}

run synth-products-4part --num_parts 4 --part_method metis --balance_train --balance_edges
run synth-products-4part-random --num_parts 4 --part_method random --balance_train --balance_edges
run synth-products-1part --num_parts 1

echo "partition_graph on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(date -u +%Y-%m-%d)"
echo "| output | flags | wall (h:mm:ss) | peak RSS (GiB) | edge cut |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${results[@]}"
echo "outputs and full logs in $OUT_ROOT"
