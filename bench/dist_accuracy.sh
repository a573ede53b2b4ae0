#!/usr/bin/env bash
# Distributed accuracy against standalone, same hyper-parameters: a bundled
# dataset trained standalone (1 partition), with 2 servers + 2 trainers
# (2 partitions) and with 4 servers + 2 trainers (4 partitions), on loopback,
# seeds 0, 1, 2 each; prints every run's test accuracy and the means.
#
# Usage: bench/dist_accuracy.sh [BUILD_DIR]
#   env: DATASET (default amazon_computers), FLAGS (default: the README's recipe
#        for the Amazon graphs), SEEDS (default "0 1 2"), PARTS (default "2 4"),
#        STANDALONE (default 1; 0 skips the standalone runs, e.g. when only the
#        distributed path changed), WORK (logs).
# Servers are started afresh for every run: KV tensors (node embeddings,
# --node_embedding_dim) live in the servers and would carry over otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
DATASET="${DATASET:-amazon_computers}"
FLAGS="${FLAGS:---num_hidden=256 --num_epochs=40 --layer_norm --eval_every=0}"
SEEDS="${SEEDS:-0 1 2}"
PARTS="${PARTS:-2 4}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-dist-accuracy}"
source deploy/local_cluster.sh
trap stop_servers EXIT
mkdir -p "$WORK"

partition() {  # NUM_PARTS -> config path
  local out="$WORK/$DATASET-$1"
  if ! ls "$out"/*.json > /dev/null 2>&1; then
    "$BIN/partition_graph" --dataset_dir="datasets/$DATASET" --num_parts="$1" --balance_train \
      --balance_edges --out="$out" > "$out.log" 2>&1
  fi
  ls "$out"/*.json
}
test_acc() { python3 -c 'import json,sys; print("%.4f" % json.loads(sys.argv[1])["final_test_acc"])' "$1"; }

echo "# dist_accuracy $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores: $DATASET, $FLAGS"
declare -A results
setups=()
if [[ "${STANDALONE:-1}" != 0 ]]; then
  setups+=(standalone)
  config="$(partition 1)"
  for seed in $SEEDS; do
    json="$("$BIN/trainer" --standalone --part_config="$config" --num_threads=2 --seed="$seed" \
      $FLAGS 2> "$WORK/standalone-$seed.log")"
    results[standalone]+=" $(test_acc "$json")"
  done
fi
for parts in $PARTS; do
  config="$(partition "$parts")"
  for seed in $SEEDS; do
    start_servers "$BIN" "$config" "$parts" "$WORK"
    port="$(next_master_port)"
    for rank in 0 1; do
      "$BIN/trainer" --servers="$IP_CONFIG" --part_config="$config" \
        --world_size=2 --rank=$rank --master_port="$port" --num_threads=1 --seed="$seed" \
        $FLAGS > "$WORK/p$parts-$seed-$rank.json" 2> "$WORK/p$parts-$seed-$rank.log" &
      pids[$rank]=$!
    done
    wait "${pids[0]}"
    wait "${pids[1]}"
    results["$parts servers + 2 trainers"]+=" $(test_acc "$(cat "$WORK/p$parts-$seed-0.json")")"
    stop_servers
  done
done
echo "| setup | test accuracy per seed ($SEEDS) | mean |"
echo "| --- | --- | --- |"
for parts in $PARTS; do setups+=("$parts servers + 2 trainers"); done
for setup in "${setups[@]}"; do
  python3 - "$setup" ${results[$setup]} <<'PY'
import sys
accs = [float(a) for a in sys.argv[2:]]
print("| %s | %s | **%.2f%%** |" % (sys.argv[1], ", ".join("%.2f" % (100 * a) for a in accs),
                                    100 * sum(accs) / len(accs)))
PY
done
echo "logs in $WORK"
