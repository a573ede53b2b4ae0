#!/usr/bin/env bash
# KV store throughput (Pull / Push rows per second, row lengths 64 and 128),
# in process and over loopback, with 1 and with 2 graph servers (1 and 2
# partitions of DATASET, default amazon_computers).
#
#   bench/kv_bench.sh [BUILD_DIR]     env: DATASET, SECONDS_EACH (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build}/bin"
DATASET="${DATASET:-amazon_computers}"
WORK="$(mktemp -d /tmp/kv_bench.XXXXXX)"
source deploy/local_cluster.sh
trap 'stop_servers; rm -rf "$WORK"' EXIT
echo "# kv_bench $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg): $DATASET"
for parts in 1 2; do
  "$BIN/partition_graph" --dataset_dir="datasets/$DATASET" --num_parts="$parts" \
    --out="$WORK/data$parts" > /dev/null 2>&1
  config="$(ls "$WORK/data$parts"/*.json)"
  start_servers "$BIN" "$config" "$parts" "$WORK"
  "$BIN/kv_bench" --part_config="$config" --ip_config="$IP_CONFIG" \
    --seconds="${SECONDS_EACH:-3}"
  stop_servers
done
