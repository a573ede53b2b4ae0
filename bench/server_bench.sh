#!/usr/bin/env bash
# Starts NUM_SERVERS graph_servers per partition of PART_CONFIG on loopback
# (DGL's --num_servers layout: machine p = 127.0.0.1:BASE_PORT + 10 * p, its
# server s on port + s, all serving partition p), runs server_bench against
# them, prints each server's peak RSS and stops the servers with SIGTERM.
#
#   [NUM_SERVERS=2] bench/server_bench.sh PART_CONFIG [BIN_DIR] [CACHE] [-- server_bench flags]
#
# CACHE (memory|none, default memory) applies to the servers and to the
# in-process baseline alike. SERVER_FLAGS adds graph_server flags. The
# servers also listen on Unix sockets in a scratch folder (--uds_dir), so
# `-- --transports tcp,unix` compares the two transports.
set -euo pipefail

PART_CONFIG=$1
BIN_DIR=${2:-build/bin}
CACHE=${3:-memory}
shift $(( $# < 3 ? $# : 3 ))
[[ ${1:-} == "--" ]] && shift
BASE_PORT=${BASE_PORT:-40500}
NUM_SERVERS=${NUM_SERVERS:-1}
WORK=$(mktemp -d /tmp/server_bench.XXXXXX)
NUM_PARTS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_parts"])' "$PART_CONFIG")
NUM_IDS=$((NUM_PARTS * NUM_SERVERS))

for ((p = 0; p < NUM_PARTS; ++p)); do echo "127.0.0.1 $((BASE_PORT + 10 * p))"; done > "$WORK/ip_config.txt"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait; }
trap cleanup EXIT
for ((id = 0; id < NUM_IDS; ++id)); do
  # shellcheck disable=SC2086
  "$BIN_DIR/graph_server" --ip_config "$WORK/ip_config.txt" --part_config "$PART_CONFIG" \
      --server_id "$id" --num_servers "$NUM_SERVERS" --cache "$CACHE" --uds_dir "$WORK" ${SERVER_FLAGS:-} \
      2> "$WORK/server$id.log" &
  pids+=($!)
done
for ((id = 0; id < NUM_IDS; ++id)); do
  until grep -q "listening on" "$WORK/server$id.log"; do
    kill -0 "${pids[$id]}" 2>/dev/null || { cat "$WORK/server$id.log" >&2; exit 1; }
    sleep 0.5
  done
done
"$BIN_DIR/server_bench" --part_config "$PART_CONFIG" --ip_config "$WORK/ip_config.txt" \
    --num_servers "$NUM_SERVERS" --cache "$CACHE" --uds_dir "$WORK" "$@"
for ((id = 0; id < NUM_IDS; ++id)); do
  echo "server $id peak RSS: $(awk '/VmHWM/ {printf "%.2f GiB", $2 / 1048576}' "/proc/${pids[$id]}/status")" >&2
done
