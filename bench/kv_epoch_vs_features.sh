#!/usr/bin/env bash
# Epoch time of GraphSAGE on learnable node embeddings (64-dim, in the KV
# store, in process) against the same model on the node features,
# standalone, run in turn (bench/ab_lib.sh): Amazon Computers by default,
# hidden 256 with LayerNorm, 5 epochs, no evaluation, 2 threads.
#
#   bench/kv_epoch_vs_features.sh [BUILD_DIR] [DATASET] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-build}/bin")"
DATASET="${2:-amazon_computers}"
ROUNDS="${3:-3}"
WORK="$(mktemp -d /tmp/kv_epoch.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
source bench/ab_lib.sh
CONFIG="$(bench_partition "$BIN" "$DATASET" "$WORK")"
TRAIN=(--standalone --part_config="$CONFIG" --num_hidden=256 --layer_norm --num_epochs=5
       --eval_every=-1 --num_threads=2)
train() {  # NAME ROUND EXTRA...
  local name=$1 round=$2
  shift 2
  "$BIN/trainer" "${TRAIN[@]}" "$@" --metrics_out="$WORK/$name-$round.csv" \
    > "$WORK/$name-$round.json" 2> "$WORK/$name-$round.log"
  epoch_figures "$WORK/$name-$round.csv"
}
variant_embeddings() {
  train embeddings "$1" --feature_name= --node_embedding_dim=64 --sparse_lr=0.05
}
variant_features() { train features "$1"; }
ab_rounds "$WORK/runs.tsv" "$ROUNDS" embeddings features
echo "# standalone $DATASET: 64-dim node embeddings vs the features, $ROUNDS rounds, $(date -u +%F)"
python3 bench/ab_summary.py "$WORK/runs.tsv" --baseline features \
  --figures "epoch_s=epoch s (mean of epochs 2..5),compute_s=model step s per epoch,wall_s=whole run s"
