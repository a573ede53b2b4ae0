#!/usr/bin/env bash
# The loader computing the first layer's neighbour means (trainer
# --aggregate_in_loader, the default) against the model computing them
# (--aggregate_in_loader=false, what DGL's SAGEConv does), one build, the two
# in turn (A B A B ..., bench/ab_lib.sh), compared round by round:
#   (1) the ogbn-products-scale synthetic graph (1 partition, in memory),
#       trainer --standalone --bench_batches BATCHES at hidden 256 and 16: the
#       prefetching pipeline's ms per batch, the model steps alone, their
#       ratio and the process's peak RSS;
#   (2) bundled datasets, standalone, DGL's hyper-parameters (2 layers, fan-out
#       10,25, batch 1000, lr 0.003, dropout 0.5, 2 threads): epoch time (mean
#       of epochs 2..EPOCHS) at hidden 256 and 16;
#   (3) test accuracy of each dataset's documented recipe (bench/ab_lib.sh
#       dataset_recipe), standalone, 2 threads, seeds SEEDS, A and B: the
#       same function, other rounding, so the means must agree;
#   (4) the loader alone on the SYNTH graph (loader_bench, 1 loader thread,
#       the trainer's hidden-16 shape): CPU ms per batch in each stage, A
#       with --aggregate_first_layer;
#   (5) the first block's shape on the bundled datasets (DATASETS and cora)
#       and SYNTH (loader_bench, batch 1000 as the trainer cuts it, at most
#       BATCHES batches of the first epoch) and how many batches
#       the loader takes the means of (LoaderMeansAreCheaper) at hidden 16
#       and 256.
# Prints Markdown.
#
#   bench/loader_aggregation.sh [BUILD_DIR]
#
# env: SYNTH (1-partition config from bench/partition_bench.sh; (1) is skipped
# without it), DATASETS ("amazon_computers amazon_photo"), ROUNDS (3),
# BATCHES (30), EPOCHS (5), SEEDS ("0 1 2"), PARTS ("1 2 3 4 5").
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-build}")/bin"
SYNTH="${SYNTH:-data/synth-products-1part/synthetic.json}"
DATASETS="${DATASETS:-amazon_computers amazon_photo}"
ROUNDS="${ROUNDS:-3}"
BATCHES="${BATCHES:-30}"
EPOCHS="${EPOCHS:-5}"
SEEDS="${SEEDS:-0 1 2}"
PARTS="${PARTS:-1 2 3 4 5}"
source bench/ab_lib.sh
require_programs "$BIN" trainer partition_graph
WORK=$(mktemp -d /tmp/loader_aggregation.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FLAGS_A=(--aggregate_in_loader=true)
FLAGS_B=(--aggregate_in_loader=false)

echo "# The loader's first-layer means (A: --aggregate_in_loader) vs the model's (B: =false)"
echo
echo "$ROUNDS rounds of A B, $(date -u +%FT%H:%MZ), $(nproc) cores, load at start" \
  "$(cut -d' ' -f1-3 /proc/loadavg). Ratios are A / B per round (median, range)."
echo

if [[ $PARTS == *1* && -f $SYNTH ]]; then
  pipeline() {  # NAME ROUND HIDDEN FLAGS...
    local name=$1 round=$2 hidden=$3
    shift 3
    "$BIN/trainer" "${DGL_STANDALONE_FLAGS[@]}" --part_config="$SYNTH" --num_hidden="$hidden" \
      --bench_batches="$BATCHES" "$@" 2> "$WORK/pipeline-$name-$round-$hidden.log" |
      bench_pass_figures
  }
  for hidden in 256 16; do
    eval "variant_A() { pipeline A \"\$1\" $hidden \"\${FLAGS_A[@]}\"; }"
    eval "variant_B() { pipeline B \"\$1\" $hidden \"\${FLAGS_B[@]}\"; }"
    ab_rounds "$WORK/pipeline-$hidden.tsv" "$ROUNDS" A B
    pipeline_summary "$WORK/pipeline-$hidden.tsv" B "$hidden"
  done
elif [[ $PARTS == *1* ]]; then
  echo "(1) skipped: no products-scale partition at $SYNTH (bench/partition_bench.sh makes one)"
  echo
fi

if [[ $PARTS == *2* ]]; then
  train() {  # NAME ROUND CONFIG HIDDEN FLAGS...
    local name=$1 round=$2 config=$3 hidden=$4
    shift 4
    "$BIN/trainer" "${DGL_STANDALONE_FLAGS[@]}" --part_config="$config" --num_hidden="$hidden" \
      --num_epochs="$EPOCHS" --eval_every=-1 "$@" --metrics_out="$WORK/$name-$round.csv" \
      > "$WORK/$name-$round.json" 2> "$WORK/$name-$round.log"
    epoch_figures "$WORK/$name-$round.csv"
  }
  for dataset in $DATASETS; do
    config="$(bench_partition "$BIN" "$dataset" "$WORK")"
    for hidden in 256 16; do
      eval "variant_A() { train A \"\$1\" \"$config\" $hidden \"\${FLAGS_A[@]}\"; }"
      eval "variant_B() { train B \"\$1\" \"$config\" $hidden \"\${FLAGS_B[@]}\"; }"
      ab_rounds "$WORK/$dataset-$hidden.tsv" "$ROUNDS" A B
      echo "## (2) $dataset, standalone, hidden $hidden, $EPOCHS epochs"
      echo
      python3 bench/ab_summary.py "$WORK/$dataset-$hidden.tsv" --baseline B --figures \
        "epoch_s=epoch s (mean of epochs 2..$EPOCHS),compute_s=model steps s per epoch"
      echo
    done
  done
fi

if [[ $PARTS == *3* ]]; then
  echo "## (3) test accuracy, each dataset's recipe, standalone, 2 threads"
  echo
  echo "| dataset | recipe | A per seed | A mean | B per seed | B mean | A - B (points) |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for dataset in $DATASETS; do
    config="$(bench_partition "$BIN" "$dataset" "$WORK")"
    read -r -a recipe <<< "$(dataset_recipe "$dataset")"
    accuracies=()
    for variant in A B; do
      flags_name="FLAGS_$variant[@]"
      for seed in $SEEDS; do
        accuracies+=("$variant $("$BIN/trainer" --standalone --num_threads=2 \
          --part_config="$config" --seed="$seed" "${recipe[@]}" "${!flags_name}" \
          2> "$WORK/acc-$dataset-$variant-$seed.log" |
          python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["final_test_acc"])')")
      done
    done
    python3 - "$dataset" "${recipe[*]}" "${accuracies[@]}" <<'PY'
import sys
dataset, recipe, runs = sys.argv[1], sys.argv[2], [r.split() for r in sys.argv[3:]]
acc = {v: [100 * float(a) for w, a in runs if w == v] for v in ("A", "B")}
mean = {v: sum(a) / len(a) for v, a in acc.items()}
print("| %s | `%s` | %s | %.2f%% | %s | %.2f%% | %+.2f |" % (dataset, recipe,
      ", ".join("%.2f" % a for a in acc["A"]), mean["A"],
      ", ".join("%.2f" % a for a in acc["B"]), mean["B"], mean["A"] - mean["B"]))
PY
  done
  echo
fi

if [[ $PARTS == *4* && -f $SYNTH ]]; then
  require_programs "$BIN" loader_bench
  loader() {  # NAME ROUND FLAGS...
    local name=$1 round=$2
    shift 2
    "$BIN/loader_bench" --part_config="$SYNTH" --batches="$BATCHES" "$@" \
      2> "$WORK/loader-$name-$round.log"
  }
  # The trainer's shapes at hidden 16: the sampler leaves the first block's
  # reverse CSR to the loader (A), or builds it for the model's backward (B).
  variant_A() { loader A "$1" --reverse_from_layer=1 --aggregate_first_layer --projected_width=16; }
  variant_B() { loader B "$1" --reverse_from_layer=0; }
  ab_rounds "$WORK/loader.tsv" "$ROUNDS" A B
  echo "## (4) loader_bench, $(basename "$(dirname "$SYNTH")"), $BATCHES batches, 1 loader thread"
  echo
  python3 bench/ab_summary.py "$WORK/loader.tsv" --baseline B --figures \
"neighbors_cpu_ms=neighbour draws CPU ms,relabel_cpu_ms=dedup + relabel CPU ms,\
reverse_cpu_ms=reverse CSR CPU ms,gather_cpu_ms=feature gather CPU ms,\
aggregate_cpu_ms=first-layer means CPU ms,total_cpu_ms=loader CPU ms/batch,\
first_layer_destinations=first-layer destinations/batch,input_nodes=input nodes/batch,\
max_rss_mib=peak RSS MiB"
  echo
fi

if [[ $PARTS == *5* ]]; then
  require_programs "$BIN" loader_bench
  echo "## (5) the first block per batch, and the batches whose means the loader takes"
  echo
  echo "| dataset | batches | input rows | first-layer destinations | first-layer edges | edges per input row | aggregated at hidden 16 | at hidden 256 |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  shapes=()  # name=config
  for dataset in $DATASETS cora; do shapes+=("$dataset=$(bench_partition "$BIN" "$dataset" "$WORK")"); done
  [[ -f $SYNTH ]] && shapes+=("$(basename "$(dirname "$SYNTH")")=$SYNTH")
  for shape in "${shapes[@]}"; do
    dataset=${shape%%=*}
    config=${shape#*=}
    # Every batch of 1000 seeds the training split holds, at most BATCHES
    # (Cora's 140 seeds are one batch).
    read -r batches batch_size < <(python3 - "$config" "$BATCHES" <<'PY'
import json, sys
train = sum(p["num_train"] for p in json.load(open(sys.argv[1]))["parts"])
print(min(int(sys.argv[2]), max(1, train // 1000)), min(1000, train))
PY
)
    figures=()
    for width in 16 256; do
      figures+=("$("$BIN/loader_bench" --part_config="$config" --batch_size="$batch_size" \
        --batches="$batches" --warmup_batches=0 --reverse_from_layer=1 --aggregate_first_layer \
        --projected_width="$width" 2> "$WORK/shape-$dataset-$width.log")")
    done
    python3 - "$dataset" "$batches" "${figures[@]}" <<'PY'
import json, sys
dataset, batches = sys.argv[1], sys.argv[2]
h16, h256 = json.loads(sys.argv[3]), json.loads(sys.argv[4])
print("| %s | %s | %.0f | %.0f | %.0f | %.2f | %d | %d |" % (dataset, batches, h16["input_nodes"],
      h16["first_layer_destinations"], h16["first_layer_edges"],
      h16["first_layer_edges"] / h16["input_nodes"], h16["aggregated_batches"],
      h256["aggregated_batches"]))
PY
  done
  echo
fi
