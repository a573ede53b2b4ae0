#!/usr/bin/env bash
# Starts one graph_server per partition of PART_CONFIG on loopback (ports
# BASE_PORT + 10 * partition), runs server_bench against them, and stops the
# servers with SIGTERM.
#
#   bench/server_bench.sh PART_CONFIG [BIN_DIR] [CACHE] [-- server_bench flags]
#
# CACHE (memory|none, default memory) applies to the servers and to the
# in-process baseline alike.
set -euo pipefail

PART_CONFIG=$1
BIN_DIR=${2:-build/bin}
CACHE=${3:-memory}
shift $(( $# < 3 ? $# : 3 ))
[[ ${1:-} == "--" ]] && shift
BASE_PORT=${BASE_PORT:-40500}
WORK=$(mktemp -d /tmp/server_bench.XXXXXX)
NUM_PARTS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_parts"])' "$PART_CONFIG")

for ((p = 0; p < NUM_PARTS; ++p)); do echo "127.0.0.1 $((BASE_PORT + 10 * p))"; done > "$WORK/ip_config.txt"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait; }
trap cleanup EXIT
for ((p = 0; p < NUM_PARTS; ++p)); do
  "$BIN_DIR/graph_server" --ip_config "$WORK/ip_config.txt" --part_config "$PART_CONFIG" \
      --server_id "$p" --cache "$CACHE" 2> "$WORK/server$p.log" &
  pids+=($!)
done
for ((p = 0; p < NUM_PARTS; ++p)); do
  until grep -q "listening on" "$WORK/server$p.log"; do
    kill -0 "${pids[$p]}" 2>/dev/null || { cat "$WORK/server$p.log" >&2; exit 1; }
    sleep 0.5
  done
done
"$BIN_DIR/server_bench" --part_config "$PART_CONFIG" --ip_config "$WORK/ip_config.txt" \
    --cache "$CACHE" "$@"
