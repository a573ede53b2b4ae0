#!/usr/bin/env bash
# A bounded load test (issue 12, item 9): DATASET (default amazon_computers)
# partitioned into 2 by partition_graph, one graph_server per partition on
# loopback (deploy/local_cluster.sh), and load_bench driving them with
# CLIENTS x THREADS client threads for DURATION_S seconds: sampling at fan-outs 10/25,
# feature pulls of random batches, KV pulls and pushes, every answer checked.
# Prints per-call counts, errors, throughput and p50/p90/p99/max latency and
# the servers' VmRSS over time; writes them to OUT.md and the raw figures to
# OUT.json (default bench/results/load).
#
#   bench/load_bench.sh [BUILD_DIR] [-- load_bench flags]
#   env: DATASET, CLIENTS (8), THREADS (8), DURATION_S (60), OUT, SERVER_FLAGS
#
# Exits non-zero when a call failed or answered wrongly.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build}/bin"
shift $(($# > 0 ? 1 : 0))
[[ ${1:-} == "--" ]] && shift
DATASET="${DATASET:-amazon_computers}"
CLIENTS="${CLIENTS:-8}"
THREADS="${THREADS:-8}"
DURATION_S="${DURATION_S:-60}"
OUT_SET="${OUT:+1}"
OUT="${OUT:-bench/results/load}"
WORK="$(mktemp -d /tmp/load_bench.XXXXXX)"
source deploy/local_cluster.sh
trap 'stop_servers; rm -rf "$WORK"' EXIT

"$BIN/partition_graph" --dataset_dir="datasets/$DATASET" --num_parts=2 --out="$WORK/data" \
  > "$WORK/partition.log" 2>&1 || { cat "$WORK/partition.log" >&2; exit 1; }
config="$(ls "$WORK/data"/*.json)"
# shellcheck disable=SC2086
start_servers "$BIN" "$config" 2 "$WORK" ${SERVER_FLAGS:-}
pids="$(IFS=,; echo "${SERVER_PIDS[*]}")"
{
  echo "# Load test: $DATASET in 2 partitions, 2 graph_servers on loopback"
  echo
  echo "Command: \`${OUT_SET:+OUT=$OUT }CLIENTS=$CLIENTS THREADS=$THREADS DURATION_S=$DURATION_S" \
    "bench/load_bench.sh${*:+ -- $*}\` (bench/load_bench.cc, call mix in bench/load_mix.h)."
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'):" \
    "$(nproc) cores shared by servers and clients, $(free -g | awk '/Mem:/ {print $2}') GiB," \
    "load average before the run $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(other builds and benchmarks were running on this machine)."
  echo
  "$BIN/load_bench" --part_config="$config" --ip_config="$IP_CONFIG" --server_pids="$pids" \
    --clients="$CLIENTS" --threads="$THREADS" --seconds="$DURATION_S" \
    --json="$OUT.json" "$@"
  echo
  echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$OUT.md"
