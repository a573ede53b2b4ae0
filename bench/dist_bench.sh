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
#        HIDDEN (default 256), LOCAL (trainers' --local_partition: server and/or
#        inprocess; default both), WORK (logs).
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
for f in "$SYNTH1" "$SYNTH2"; do
  [[ -f "$f" ]] || { echo "no partition config $f (see the usage note in $0)" >&2; exit 1; }
done
for b in trainer graph_server; do
  [[ -x "$BIN/$b" ]] || { echo "no $BIN/$b; build the $b target" >&2; exit 1; }
done
mkdir -p "$WORK"
COMMON=(--num_layers=2 --fan_out=10,25 --batch_size=1000 --lr=0.003 --dropout=0.5
        --num_hidden="$HIDDEN" --num_epochs="$EPOCHS" --eval_every=-1 --seed=0)

# The 2 graph servers, kept up for every distributed run.
source deploy/local_cluster.sh
trap stop_servers EXIT
start_servers "$BIN" "$SYNTH2" 2 "$WORK"

echo "# dist_bench $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(uname -n); hidden $HIDDEN," \
  "$EPOCHS epoch(s) per setup; seconds per epoch"
printf "| %-34s | %13s | %7s | %5s | %6s | %6s | %7s | %9s | %8s |\n" setup "steps x seeds" \
  "epoch s" ratio sample pull compute allreduce "MB/epoch"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"

# report NAME STANDALONE_EPOCH JSON...: one table row from the ranks'
# summaries (timings of the slowest rank); the epoch seconds go to
# $WORK/epoch_s.
report() {
  EPOCH_FILE="$WORK/epoch_s" python3 - "$@" <<'PY'
import json, math, os, sys
name, base = sys.argv[1], sys.argv[2]
summaries = [json.loads(s) for s in sys.argv[3:]]
hyper = summaries[0]["hyperparameters"]
seeds = hyper.get("batch_size_per_trainer", hyper["batch_size"])
steps = math.ceil(summaries[0]["num_train"] / seeds)
slow = max(summaries[0].get("per_rank", [summaries[0]]), key=lambda r: r["epoch_s_mean"])
epoch = slow["epoch_s_mean"]
moved = sum(s.get("bytes_sent", 0) + s.get("bytes_received", 0) for s in summaries)
moved /= hyper["num_epochs"] * 1e6
ratio = "" if base == "-" else "%.2f" % (epoch / float(base))
print("| %-34s | %13s | %7.1f | %5s | %6.1f | %6.1f | %7.1f | %9.1f | %8.0f |" % (
    name, "%d x %d" % (steps, seeds), epoch, ratio, slow["sample_s_mean"], slow["pull_s_mean"],
    slow["compute_s_mean"], slow.get("allreduce_s_mean", 0.0), moved))
open(os.environ["EPOCH_FILE"], "w").write("%f\n" % epoch)
PY
}

standalone="$("$BIN/trainer" --standalone --part_config="$SYNTH1" --num_threads=2 "${COMMON[@]}" \
  2> "$WORK/standalone.log")"
report "standalone, 1 partition in process" - "$standalone"
base="$(cat "$WORK/epoch_s")"

for local in $LOCAL; do
  one="$("$BIN/trainer" --servers="$IP_CONFIG" --part_config="$SYNTH2" --uds_dir="$WORK" \
    --world_size=1 --rank=0 --master_port="$(next_master_port)" --num_threads=2 \
    --local_partition="$local" "${COMMON[@]}" 2> "$WORK/one-$local.log")"
  report "2 servers + 1 trainer ($local)" "$base" "$one"
  port="$(next_master_port)"
  pids=()
  for rank in 0 1; do
    "$BIN/trainer" --servers="$IP_CONFIG" --part_config="$SYNTH2" --uds_dir="$WORK" \
      --world_size=2 --rank=$rank --master_port="$port" --num_threads=1 \
      --local_partition="$local" "${COMMON[@]}" > "$WORK/two-$local-$rank.json" \
      2> "$WORK/two-$local-$rank.log" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  report "2 servers + 2 trainers ($local)" "$base" "$(cat "$WORK/two-$local-0.json")" \
    "$(cat "$WORK/two-$local-1.json")"
done
echo "logs in $WORK"
