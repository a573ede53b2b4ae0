#!/usr/bin/env bash
# A simulated cluster (bench/netns_cluster_lib.sh): MACHINES network
# namespaces joined through a bridge, every link shaped with tc tbf to each
# rate in RATES; one graph server (its partition in shared memory) and one
# trainer per machine, the trainers reading the home partition from their
# machine's segment and the others over TCP through the shaped links. On the
# ogbn-products-scale synthetic graph (MACHINES partitions), each run trains
# EPOCHS full epoch(s) without evaluation (DGL's hyper-parameters at
# --num_hidden HIDDEN: 2 layers, fan-out 10,25, global batch 1000), with the
# loader's --prefetch at each value in PREFETCH; rates and prefetch values
# alternate, ROUNDS rounds. Each run's trainer JSON lines and the bytes each
# machine's link carried go to RAW (JSON lines); bench/netns_cluster_model.py
# turns them into RESULT: epoch time, bytes per epoch, network time and how
# much of it the prefetch hides, and a model of the epoch at 4, 8 and 16
# machines from the measured per-batch costs (and, measured on the same
# cluster with --bench_batches, the sampled rows per seed at the smaller
# per-trainer batches those machine counts would take).
#
# Usage (root): bench/netns_cluster.sh [BUILD_DIR]
#   env: SYNTH2 (partition config, MACHINES parts), MACHINES (2), RATES
#        ("10gbit 1gbit"), PREFETCH ("4 1"), ROUNDS (2), EPOCHS (1), HIDDEN (16),
#        MODEL_MACHINES ("4 8 16"), BENCH_BATCHES (20: batches of each rows-per-seed run),
#        REFERENCE (the model's --reference: the same setup's per-epoch seconds on a
#        quiet machine over loopback, e.g. from bench/dist_bench.sh),
#        RESULT (bench/results/netns_cluster-h<HIDDEN>.md), RAW (RESULT with
#        .jsonl), WORK (logs), NETNS_PREFIX (ds-)
# Make the partitions as bench/dist_bench.sh says (synth-products-2part).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
SYNTH2="${SYNTH2:-data/synth-products-2part/synthetic.json}"
MACHINES="${MACHINES:-2}"
RATES="${RATES:-10gbit 1gbit}"
PREFETCH="${PREFETCH:-4 1}"
ROUNDS="${ROUNDS:-2}"
EPOCHS="${EPOCHS:-1}"
HIDDEN="${HIDDEN:-16}"
MODEL_MACHINES="${MODEL_MACHINES:-4 8 16}"
BENCH_BATCHES="${BENCH_BATCHES:-20}"
RESULT="${RESULT:-bench/results/netns_cluster-h$HIDDEN.md}"
RAW="${RAW:-${RESULT%.md}.jsonl}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-netns-cluster}"
source bench/ab_lib.sh
require_configs "see the usage note in $0" "$SYNTH2"
require_programs "$BIN" trainer graph_server
parts=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["num_parts"])' "$SYNTH2")
((parts == MACHINES)) ||
  { echo "$SYNTH2 has $parts partitions; MACHINES=$MACHINES needs one per machine" >&2; exit 1; }
[[ $EUID -eq 0 ]] || { echo "$0 makes network namespaces: run it as root" >&2; exit 1; }

source bench/netns_cluster_lib.sh
# On any exit (an error, Ctrl-C, kill): the processes and namespaces go.
trap netns_down EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK" "$(dirname "$RESULT")"
# CPU seconds the graph servers have used so far (/proc/PID/stat utime + stime).
servers_cpu_s() {
  local pid total=0
  for pid in "${SERVER_PIDS[@]}"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  awk -v ticks="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f\n", ticks / hz }'
}
: > "$RAW"
MODEL=(--num_layers=2 --fan_out=10,25 --batch_size=1000 --lr=0.003 --dropout=0.5
       --num_hidden="$HIDDEN" --num_epochs="$EPOCHS" --eval_every=-1 --seed=0
       --num_threads=1)

{
  result_header "Simulated cluster: $MACHINES network namespaces, shaped links" \
    "SYNTH2=$SYNTH2 MACHINES=$MACHINES RATES=\"$RATES\" PREFETCH=\"$PREFETCH\" ROUNDS=$ROUNDS EPOCHS=$EPOCHS HIDDEN=$HIDDEN bench/netns_cluster.sh $BUILD"
  busy_processes
} > "$WORK/header.md"

# The graph's shape, for the model's parameter count.
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(json.dumps({"graph": {"feat_dim": sum(f["shape"][0] for f in c["node_features"]),
                            "num_classes": c["num_classes"], "num_nodes": c["num_nodes"],
                            "edge_cut": c["edge_cut"] / c["num_edges"]}}))' "$SYNTH2" >> "$RAW"
netns_up "$MACHINES"
# What one TCP stream gets through each shaping (machine 1 to 0), before the
# servers take memory and CPU.
for rate in $RATES; do
  netns_shape "$rate"
  # About 2 s of data at the nominal rate.
  gbps=$(netns_throughput 1 0 $((NETNS_RATE_BPS / 4 / 1048576 < 1000 ? NETNS_RATE_BPS / 4 / 1048576 : 1000)))
  python3 -c 'import json, sys; print(json.dumps({"link_check": sys.argv[1], "tcp_gbit_s": float(sys.argv[2])}))' \
    "$rate" "$gbps" >> "$RAW"
  echo "link check at $rate: one TCP stream $gbps Gbit/s" >&2
done
start=$(date +%s)
netns_start_servers "$BIN" "$SYNTH2" "$WORK"
echo "servers up in $(($(date +%s) - start)) s" >&2

for ((round = 1; round <= ROUNDS; round++)); do
  for rate in $RATES; do
    netns_shape "$rate"
    for prefetch in $PREFETCH; do
      name="r$round-$rate-p$prefetch"
      before=$(netns_link_bytes)
      load=$(cut -d' ' -f1 /proc/loadavg)
      busy_before=$(machine_busy_s)
      servers_before=$(servers_cpu_s)
      times > "$WORK/times-before"
      start=$(date +%s.%N)
      netns_train "$BIN" "$SYNTH2" "$WORK" "$name" "${MODEL[@]}" --prefetch="$prefetch"
      end=$(date +%s.%N)
      times > "$WORK/times-after"
      servers_after=$(servers_cpu_s)
      busy_after=$(machine_busy_s)
      after=$(netns_link_bytes)
      python3 - "$rate" "$prefetch" "$round" "$load" "$before" "$after" "$start" "$end" \
        "$busy_before" "$busy_after" "$servers_before" "$servers_after" "$WORK/times-before" \
        "$WORK/times-after" "$WORK/$name"-rank*.json <<'PY' | tee -a "$RAW" >&2
import json, re, sys
rate, prefetch, rnd, load, before, after, start, end, busy0, busy1, srv0, srv1 = sys.argv[1:13]
def children_cpu(path):  # second line of `times`: children's user and system time
    return sum(float(m or 0) * 60 + float(s)
               for m, s in re.findall(r"(?:(\d+)m)?([\d.]+)s", open(path).read().splitlines()[1]))
before, after = json.loads(before), json.loads(after)
wall = float(end) - float(start)
own = children_cpu(sys.argv[14]) - children_cpu(sys.argv[13]) + float(srv1) - float(srv0)
print(json.dumps({
    "rate": rate, "prefetch": int(prefetch), "round": int(rnd), "load_1min": float(load),
    "wall_s": round(wall, 2),
    # Cores busy on the whole machine during the run (the cluster's own and others').
    "machine_busy_cores": round((float(busy1) - float(busy0)) / wall, 2),
    # CPU seconds of the cluster itself: trainers (from `times`) and servers.
    "cluster_cpu_s": round(own, 1),
    "link_tx_bytes": [a - b for a, b in zip(after["tx"], before["tx"])],
    "link_rx_bytes": [a - b for a, b in zip(after["rx"], before["rx"])],
    "ranks": [json.loads(open(path).read()) for path in sys.argv[15:]]}))
PY
    done
  done
done
# Rows per seed at the smaller per-trainer batches of more machines (global
# batch 1000 over M trainers): --bench_batches runs of this cluster with the
# per-trainer batch 1000/M, for the model's work per seed.
netns_shape "${RATES%% *}"
for m in $MACHINES $MODEL_MACHINES; do
  name="rows-m$m"
  netns_train "$BIN" "$SYNTH2" "$WORK" "$name" "${MODEL[@]}" \
    --batch_size=$((1000 * MACHINES / m)) --bench_batches="$BENCH_BATCHES"
  python3 - "$m" "$WORK/$name"-rank*.json <<'PY' | tee -a "$RAW" >&2
import json, sys
benches = [json.load(open(path))["bench"] for path in sys.argv[2:]]
print(json.dumps({"rows_per_seed": {
    "machines_modelled": int(sys.argv[1]),
    "num_seeds": sum(b["num_seeds"] for b in benches),
    "num_input_nodes": sum(b["num_input_nodes"] for b in benches),
    "num_edges": sum(b["num_edges"] for b in benches),
    "bytes_moved": sum(b["bytes_moved"] for b in benches)}}))
PY
done
netns_down

{
  cat "$WORK/header.md"
  python3 bench/netns_cluster_model.py "$RAW" --machines "${MODEL_MACHINES// /,}" \
    ${REFERENCE:+--reference "$REFERENCE"}
} > "$RESULT"
cat "$RESULT"
echo "raw runs in $RAW, logs in $WORK" >&2
