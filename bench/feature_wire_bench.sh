#!/usr/bin/env bash
# Feature rows on the wire as bfloat16 against float32: a bundled dataset in
# 2 partitions, 2 graph servers + 2 trainers on loopback, the model in bf16
# (emulated where the CPU has no bf16 units: the same roundings) with
# --feature_norm=none and every partition read through its server; the two
# --feature_wire_dtype settings run in turn (bench/ab_lib.sh). Prints, per
# setting, the bytes rank 0 received from the servers per epoch, the epoch
# time and its loader's pull time, and checks that both settings end with
# the same param_checksum (the model rounds the rows the same way itself).
#
#   bench/feature_wire_bench.sh [BUILD_DIR]
#   env: DATASET (amazon_computers), ROUNDS (3), EPOCHS (4), HIDDEN (256), WORK
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-build}/bin")"
DATASET="${DATASET:-amazon_computers}"
ROUNDS="${ROUNDS:-3}"
EPOCHS="${EPOCHS:-4}"
HIDDEN="${HIDDEN:-256}"
WORK="${WORK:-$(mktemp -d /tmp/feature_wire.XXXXXX)}"
source bench/ab_lib.sh
source deploy/local_cluster.sh
trap stop_servers EXIT
mkdir -p "$WORK"
"$BIN/partition_graph" --dataset_dir="datasets/$DATASET" --num_parts=2 --out="$WORK/data" \
  --overwrite > "$WORK/partition.log" 2>&1
CONFIG=$(ls "$WORK"/data/*.json)
start_servers "$BIN" "$CONFIG" 2 "$WORK/servers"
TRAIN=(--servers="$IP_CONFIG" --part_config="$CONFIG" --world_size=2 --master_addr=127.0.0.1
       --precision=bf16 --allow_emulated_bf16 --feature_norm=none --local_partition=server
       --num_hidden="$HIDDEN" --layer_norm --num_epochs="$EPOCHS" --eval_every=-1
       --num_threads=1 --seed=0)

# run NAME ROUND WIRE: both ranks; prints rank 0's figures as JSON.
run() {
  local name=$1 round=$2 wire=$3 port
  port=$((30000 + RANDOM % 20000))
  "$BIN/trainer" "${TRAIN[@]}" --rank=0 --master_port="$port" --feature_wire_dtype="$wire" \
    --metrics_out="$WORK/$name-$round.csv" > "$WORK/$name-$round.json" 2> "$WORK/$name-$round.log" &
  local rank0=$!
  "$BIN/trainer" "${TRAIN[@]}" --rank=1 --master_port="$port" --feature_wire_dtype="$wire" \
    > "$WORK/$name-$round-rank1.json" 2> "$WORK/$name-$round-rank1.log"
  wait "$rank0"
  python3 - "$WORK/$name-$round.json" "$EPOCHS" "$WORK/$name-$round.csv" \
    "$(epoch_figures "$WORK/$name-$round.csv")" <<'PY'
import csv, json, sys
summary = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
rows = list(csv.DictReader(open(sys.argv[3])))[1:]
figures = json.loads(sys.argv[4])
figures["mb_received_per_epoch"] = round(summary["bytes_received"] / 1e6 / int(sys.argv[2]), 1)
figures["pull_s_per_epoch"] = round(sum(float(r["pull_s"]) for r in rows) / len(rows), 3)
figures["checksum"] = int(str(summary["param_checksum"]), 16)
figures["bf16_rows"] = int(summary["feature_wire_dtype"] == "bfloat16")
print(json.dumps(figures))
PY
}
variant_bfloat16() { run bfloat16 "$1" bfloat16; }
variant_float32() { run float32 "$1" float32; }
ab_rounds "$WORK/runs.tsv" "$ROUNDS" bfloat16 float32

result_header "Feature rows as bfloat16 on the wire: $DATASET, 2 servers + 2 trainers, bf16 model" \
  "DATASET=$DATASET ROUNDS=$ROUNDS EPOCHS=$EPOCHS HIDDEN=$HIDDEN bench/feature_wire_bench.sh"
python3 bench/ab_summary.py "$WORK/runs.tsv" --baseline float32 \
  --figures "mb_received_per_epoch=MB rank 0 received per epoch,epoch_s=epoch s (mean of epochs 2..),pull_s_per_epoch=loader pull s per epoch (rank 0),compute_s=model step s per epoch"
checksums=$(cut -f4 "$WORK/runs.tsv" | python3 -c 'import json,sys; print(len({json.loads(l)["checksum"] for l in sys.stdin}))')
echo
echo "param_checksum: $([[ $checksums == 1 ]] && echo "the same in every run" || echo "DIFFERS between runs ($checksums values)")"
[[ $checksums == 1 ]]
