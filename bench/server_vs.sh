#!/usr/bin/env bash
# Graph server throughput of two builds side by side, e.g. before and after a
# change: bench/server_bench.sh (in-process vs loopback, per operation) runs
# for build A, then B, then A, then B ... so the machine's drift touches both.
#
#   bench/server_vs.sh BIN_A BIN_B [DATASET] [ROUNDS]
#
# DATASET (default amazon_photo) is partitioned into 4 parts with BIN_A's
# partition_graph; each round prints both builds' tables (server_bench.sh
# prints one row per operation: in-process and loopback rates; 2 s per figure).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
DATASET=${3:-amazon_photo}
ROUNDS=${4:-2}
WORK=$(mktemp -d /tmp/server_vs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$BIN_A/partition_graph" --dataset_dir "datasets/$DATASET" --num_parts 4 --out "$WORK/data" \
  > /dev/null 2>&1
CONFIG=$(ls "$WORK"/data/*.json)
echo "# $(date -u +%F) load $(cut -d' ' -f1-3 /proc/loadavg): A=$BIN_A B=$BIN_B, $DATASET 4 parts"
for ((round = 1; round <= ROUNDS; ++round)); do
  for side in A B; do
    bin=$BIN_A
    [[ $side == B ]] && bin=$BIN_B
    echo "## round $round, build $side (load $(cut -d' ' -f1 /proc/loadavg))"
    BASE_PORT=$((41000 + RANDOM % 10000)) bench/server_bench.sh "$CONFIG" "$bin" memory -- --seconds 2 2>&1 |
      grep '^|'
  done
done
