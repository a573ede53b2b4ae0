#!/usr/bin/env bash
# Distributed-training benchmark on one machine: an ogbn-products-scale
# synthetic graph, trained standalone (1 partition, in process) against
# 2 graph servers (2 partitions) + 1 trainer and 2 servers + 2 trainers, with
# DGL's hyper-parameters (2 layers, fan-out 10,25, global batch 1000, so 197
# steps per epoch in every setup) at --num_hidden HIDDEN. Each setup trains
# EPOCHS full epochs without evaluation; printed per epoch (slowest rank):
# wall time, its ratio to standalone, the loader threads' sample and pull
# time (overlapped with the model step), the model step (compute) and its
# gradient all-reduce part, and the bytes moved through the graph servers
# (requests + answers, all ranks).
#
# Usage: bench/dist_bench.sh [BUILD_DIR]
#   env: SYNTH1 (1-part config), SYNTH2 (2-part config), EPOCHS (default 1),
#        HIDDEN (default 256), LOCAL (trainers' --local_partition: server,
#        inprocess, shm (the servers' segments: both partitions, as
#        --map_other_local_partitions does on one machine) and/or shm-home
#        (the home partition's segment only, the other over gRPC, as on 2
#        machines); default "server inprocess"), SERVER_FLAGS (more
#        graph_server flags, e.g. --shm_dir=DIR), WORK (logs).
# Make the partitions with bench/partition_bench.sh, or:
#   partition_graph --dataset synthetic --num_nodes 2449029 --num_edges 61859140 \
#     --feat_dim 100 --num_classes 47 --num_train 196615 --num_valid 39323 --seed 0 \
#     --num_parts 2 --balance_train --balance_edges --out data/synth-products-2part
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
SYNTH1="${SYNTH1:-data/synth-products-1part/synthetic.json}"
SYNTH2="${SYNTH2:-data/synth-products-2part/synthetic.json}"
EPOCHS="${EPOCHS:-1}"
HIDDEN="${HIDDEN:-256}"
LOCAL="${LOCAL:-server inprocess}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-dist-bench}"
source bench/ab_lib.sh
require_configs "see the usage note in $0" "$SYNTH1" "$SYNTH2"
require_programs "$BIN" trainer graph_server
mkdir -p "$WORK"
COMMON=(--num_layers=2 --fan_out=10,25 --batch_size=1000 --lr=0.003 --dropout=0.5
        --num_hidden="$HIDDEN" --num_epochs="$EPOCHS" --eval_every=-1 --seed=0)

# The 2 graph servers, kept up for every distributed run.
source deploy/local_cluster.sh
trap stop_servers EXIT
# shellcheck disable=SC2086
start_servers "$BIN" "$SYNTH2" 2 "$WORK" ${SERVER_FLAGS:-}

echo "# dist_bench $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(uname -n); hidden $HIDDEN," \
  "$EPOCHS epoch(s) per setup; seconds per epoch; servers: ${SERVER_FLAGS:-default flags}"

# record NAME JSON...: keeps a setup's rank summaries (one JSON line each)
# for the table printed at the end.
RUNS="$WORK/runs.jsonl"
: > "$RUNS"
record() {
  local name=$1
  shift
  python3 -c 'import json, sys; print(json.dumps({"name": sys.argv[1], "ranks": [json.loads(s) for s in sys.argv[2:]]}))' \
    "$name" "$@" >> "$RUNS"
}

# Standalone first and again last (this shared VM drifts); the ratios are to
# the mean of the two.
standalone() {
  "$BIN/trainer" --standalone --part_config="$SYNTH1" --num_threads=2 "${COMMON[@]}" \
    2> "$WORK/standalone-$1.log"
}
record "standalone, 1 partition in process" "$(standalone first)"
for local in $LOCAL; do
  case $local in
    shm-home) LOCAL_FLAGS=(--local_partition=shm --map_other_local_partitions=false) ;;
    *) LOCAL_FLAGS=(--local_partition="$local") ;;
  esac
  one="$("$BIN/trainer" --servers="$IP_CONFIG" --part_config="$SYNTH2" \
    --world_size=1 --rank=0 --master_port="$(next_master_port)" --num_threads=2 \
    "${LOCAL_FLAGS[@]}" "${COMMON[@]}" 2> "$WORK/one-$local.log")"
  record "2 servers + 1 trainer ($local)" "$one"
  port="$(next_master_port)"
  pids=()
  for rank in 0 1; do
    "$BIN/trainer" --servers="$IP_CONFIG" --part_config="$SYNTH2" \
      --world_size=2 --rank=$rank --master_port="$port" --num_threads=1 \
      "${LOCAL_FLAGS[@]}" "${COMMON[@]}" > "$WORK/two-$local-$rank.json" \
      2> "$WORK/two-$local-$rank.log" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  record "2 servers + 2 trainers ($local)" "$(cat "$WORK/two-$local-0.json")" \
    "$(cat "$WORK/two-$local-1.json")"
done
record "standalone again" "$(standalone last)"

# One row per setup: per-epoch seconds of the slowest rank (loader threads'
# sample and pull overlap the model step; all-reduce is part of compute), and
# the bytes that went through the graph servers (all ranks).
python3 - "$RUNS" <<'PY'
import json, math, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
def slowest(run):
    first = run["ranks"][0]
    return max(first.get("per_rank", [first]), key=lambda r: r["epoch_s_mean"])
alone = [slowest(r)["epoch_s_mean"] for r in runs if r["name"].startswith("standalone")]
base = sum(alone) / len(alone)
print("| setup | steps x seeds | epoch s | ratio | sample | pull | compute | all-reduce | MB/epoch |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for run in runs:
    first, slow = run["ranks"][0], slowest(run)
    hyper = first["hyperparameters"]
    seeds = hyper.get("batch_size_per_trainer", hyper["batch_size"])
    steps = math.ceil(first["num_train"] / seeds)
    moved = sum(r.get("bytes_sent", 0) + r.get("bytes_received", 0) for r in run["ranks"])
    print("| %s | %d x %d | %.1f | %.2f | %.1f | %.1f | %.1f | %.1f | %.0f |" % (
        run["name"], steps, seeds, slow["epoch_s_mean"], slow["epoch_s_mean"] / base,
        slow["sample_s_mean"], slow["pull_s_mean"], slow["compute_s_mean"],
        slow.get("allreduce_s_mean", 0.0), moved / hyper["num_epochs"] / 1e6))
print("ratio: epoch time over the mean of the two standalone epochs (%.1f s)" % base)
PY
echo "logs in $WORK"
