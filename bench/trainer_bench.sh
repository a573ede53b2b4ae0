#!/usr/bin/env bash
# Trainer benchmark (standalone mode, 2 threads, DGL's hyper-parameters:
# 2 layers, fan-out 10,25, batch 1000, lr 0.003, dropout 0.5).
#   (1) epoch time and test accuracy on Amazon Computers (hidden 256 and 16)
#       and Amazon Photo (hidden 256), to set beside DGL 1.1.3's
#       train_dist.py --standalone on the same machine kind;
#   (2) an ogbn-products-scale synthetic graph (1 partition): per-batch time of
#       the prefetching pipeline (sample / pull / compute split) against the
#       same model steps over batches built beforehand, extrapolated to an
#       epoch, peak RSS of the training process (before the model-only
#       pass holds its batches), and the process's CPU ms per batch in each
#       pass (every thread: against 2 x the wall ms, how busy the 2 cores were)
#       and the loader threads' part of the pipeline's.
#   Both tables end with the intra-op threads the training steps used
#   (JSON model_threads: trainer --model_threads).
# Usage: bench/trainer_bench.sh [BUILD_DIR]
#   env: EPOCHS, BENCH_BATCHES, SYNTH, WORK, PARTS ("1 2": which of (1), (2) to run),
#        HIDDENS (hidden sizes of (2), default "256 16"),
#        TRAINER_FLAGS (more trainer flags for every run, e.g. --aggregate_in_loader=false)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-trainer-bench}"
EPOCHS="${EPOCHS:-10}"
BENCH_BATCHES="${BENCH_BATCHES:-30}"
SYNTH="${SYNTH:-data/synth-products-1part/synthetic.json}"  # from bench/partition_bench.sh build/bin data
PARTS="${PARTS:-1 2}"
COMMON=(--standalone --num_threads=2 --num_layers=2 --fan_out=10,25 --batch_size=1000
        --lr=0.003 --dropout=0.5 ${TRAINER_FLAGS:-})
mkdir -p "$WORK"
echo "# trainer_bench $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(uname -n)"

partition() {  # dataset folder name -> config path
  local out="$WORK/$1"
  if ! ls "$out"/*.json > /dev/null 2>&1; then
    "$BIN/partition_graph" --dataset_dir="datasets/$1" --num_parts=1 --out="$out" > "$out.log" 2>&1
  fi
  ls "$out"/*.json
}

if [[ $PARTS == *1* ]]; then
echo "## (1) standalone epochs, $EPOCHS epochs each (epoch time: mean of epochs 2..$EPOCHS)"
printf "%-18s %6s %9s %9s %9s %9s %9s %8s %7s\n" dataset hidden epoch_s compute_s wait_s \
  sample_s pull_s test_acc threads
for run in "amazon_computers 256" "amazon_computers 16" "amazon_photo 256"; do
  set -- $run
  config="$(partition "$1")"
  csv="$WORK/$1-$2.csv"
  json="$("$BIN/trainer" "${COMMON[@]}" --part_config="$config" --num_hidden="$2" \
          --num_epochs="$EPOCHS" --eval_every=0 --metrics_out="$csv" 2> "$WORK/$1-$2.log")"
  python3 - "$1" "$2" "$csv" "$json" <<'PY'
import csv, json, sys
name, hidden, path, summary = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
rows = list(csv.DictReader(open(path)))[1:] or list(csv.DictReader(open(path)))
mean = lambda key: sum(float(r[key]) for r in rows) / len(rows)
print("%-18s %6s %9.2f %9.2f %9.2f %9.2f %9.2f %8.4f %7s" % (name, hidden, mean("epoch_s"),
      mean("compute_s"), mean("wait_s"), mean("sample_s"), mean("pull_s"),
      summary["final_test_acc"], summary.get("model_threads", "-")))
PY
done
fi

if [[ $PARTS == *2* && -f "$SYNTH" ]]; then
  echo "## (2) products-scale synthetic ($SYNTH), $BENCH_BATCHES batches per figure"
  printf "%6s %12s %12s %9s %9s %9s %12s %12s %9s %13s %13s %13s %7s\n" hidden pipeline_ms model_ms \
    ratio sample_ms pull_ms epoch_s_est model_epoch_s peak_gb pipe_cpu_ms model_cpu_ms \
    loader_cpu_ms threads
  for hidden in ${HIDDENS:-256 16}; do
    json="$("$BIN/trainer" "${COMMON[@]}" --part_config="$SYNTH" --num_hidden="$hidden" \
            --bench_batches="$BENCH_BATCHES" 2> "$WORK/synth-$hidden.log")"
    python3 - "$hidden" "$json" <<'PY'
import json, math, sys
hidden, s = sys.argv[1], json.loads(sys.argv[2])
b = s["bench"]; n = b["num_batches"]; per_epoch = math.ceil(s["num_train"] / 1000)
print("%6s %12.1f %12.1f %9.3f %9.1f %9.1f %12.1f %12.1f %9.2f %13.1f %13.1f %13.1f %7s" % (hidden,
      1e3 * b["pipeline_s"] / n, 1e3 * b["model_only_s"] / n, b["pipeline_over_model_only"],
      1e3 * b["sample_s"] / n, 1e3 * b["pull_s"] / n, per_epoch * b["pipeline_s"] / n,
      per_epoch * b["model_only_s"] / n, b["peak_rss_mb_pipeline"] / 1024,
      1e3 * b["pipeline_cpu_s"] / n, 1e3 * b["model_only_cpu_s"] / n,
      1e3 * b["pipeline_loader_cpu_s"] / n, b.get("model_threads", "-")))
PY
  done
elif [[ $PARTS == *2* ]]; then
  echo "## (2) skipped: no products-scale partition at $SYNTH (bench/partition_bench.sh makes one)"
fi
