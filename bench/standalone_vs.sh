#!/usr/bin/env bash
# Standalone training time of two builds side by side, e.g. before and after
# a change: farm-bench runs them in turn (A B A B ...) and gives the A/B ratio
# pair by pair, so the machine's drift cancels out.
#
#   bench/standalone_vs.sh BIN_A BIN_B [DATASET] [RUNS]
#
# BIN_A / BIN_B: bin folders holding trainer and partition_graph. DATASET:
# a bundled dataset (default amazon_computers), partitioned once into 1 part
# with BIN_A's partition_graph. Each run trains 5 epochs at hidden 256 (the
# README's recipe shape), 2 threads, no evaluation.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
DATASET=${3:-amazon_computers}
RUNS=${4:-5}
WORK=$(mktemp -d /tmp/standalone_vs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$BIN_A/partition_graph" --dataset_dir "datasets/$DATASET" --num_parts 1 --out "$WORK/data" \
  > /dev/null 2>&1
CONFIG=$(ls "$WORK"/data/*.json)
FLAGS="--standalone --part_config $CONFIG --num_hidden 256 --layer_norm --num_epochs 5 \
--eval_every -1 --num_threads 2"
echo "# $(date -u +%F) load $(cut -d' ' -f1-3 /proc/loadavg): A=$BIN_A B=$BIN_B, $DATASET"
# shellcheck disable=SC2086
farm-bench -n "$RUNS" --timeout 1200 --vs "$BIN_B/trainer $FLAGS" -- "$BIN_A/trainer" $FLAGS
