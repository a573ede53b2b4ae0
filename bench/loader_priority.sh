#!/usr/bin/env bash
# Loader threads below the model's priority (trainer --loader_nice, and the
# second loader thread that it makes worth having on 2 cores) against the
# loader at the model's priority, one build, the variants in turn (A B C ...,
# bench/ab_lib.sh), compared round by round with the first variant:
#   (1) the ogbn-products-scale synthetic graph (1 partition, in memory),
#       trainer --standalone --bench_batches BATCHES at hidden 256 and 16: the
#       prefetching pipeline's ms per batch, the model steps alone, their
#       ratio (issue 13's goals: 1.1 and 1.4), the model's wait for batches
#       and the process's peak RSS;
#   (2) bundled datasets, standalone, DGL's hyper-parameters (2 layers,
#       fan-out 10,25, batch 1000, lr 0.003, dropout 0.5, 2 threads): epoch
#       time (mean of epochs 2..EPOCHS) at hidden 256 and 16.
# Prints Markdown.
#
#   bench/loader_priority.sh [BUILD_DIR]
#
# env: SYNTH (1-partition config from bench/partition_bench.sh; (1) is
# skipped without it), VARIANTS (NAME=FLAGS entries separated by ";", the
# first the baseline; leading VAR=VALUE words of FLAGS set the trainer's
# environment instead; default: the loader before --loader_nice, one thread at
# the model's priority; one thread below it; two below it, summing the
# first layer's means from a copy and in place), TITLE (the result's heading,
# for other VARIANTS), DATASETS ("amazon_computers amazon_photo"), HIDDEN
# ("256 16"), ROUNDS (4), BATCHES (40), EPOCHS (5), PARTS ("1 2").
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-build}")/bin"
SYNTH="${SYNTH:-data/synth-products-1part/synthetic.json}"
VARIANTS="${VARIANTS:-nice0_1thread=--loader_nice=0 --num_loader_threads=1 --loader_sums_in_place=false;\
nice19_1thread=--loader_nice=19 --num_loader_threads=1 --loader_sums_in_place=false;\
nice19_2threads_copy=--loader_nice=19 --num_loader_threads=2 --loader_sums_in_place=false;\
nice19_2threads_in_place=--loader_nice=19 --num_loader_threads=2 --loader_sums_in_place=true}"
DATASETS="${DATASETS:-amazon_computers amazon_photo}"
HIDDEN="${HIDDEN:-256 16}"
ROUNDS="${ROUNDS:-4}"
BATCHES="${BATCHES:-40}"
EPOCHS="${EPOCHS:-5}"
PARTS="${PARTS:-1 2}"
source bench/ab_lib.sh
require_programs "$BIN" trainer partition_graph
WORK=$(mktemp -d /tmp/loader_priority.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

names=()
declare -A flags_of
IFS=';' read -r -a entries <<< "$VARIANTS"
for entry in "${entries[@]}"; do
  name=${entry%%=*}
  names+=("$name")
  flags_of[$name]=${entry#*=}
done
baseline=${names[0]}

default_title="Loader threads below the model's priority (trainer --loader_nice)"
echo "# ${TITLE:-$default_title}"
echo
echo "$ROUNDS rounds of ${names[*]}, $(date -u +%FT%H:%MZ), $(nproc) cores, load at start" \
  "$(cut -d' ' -f1-3 /proc/loadavg); ratios to $baseline per round (median, range)."
echo
echo "Variants (trainer environment and flags):"
echo
for name in "${names[@]}"; do echo "- \`$name\`: \`${flags_of[$name]}\`"; done
echo
busy_processes
echo

# split_variant NAME: the variant's environment (its leading VAR=VALUE
# words) into variant_env, its trainer flags into extra.
split_variant() {
  local words word
  read -r -a words <<< "${flags_of[$1]}"
  variant_env=()
  extra=()
  for word in "${words[@]}"; do
    if [[ ${#extra[@]} -eq 0 && $word =~ ^[A-Z_][A-Z0-9_]*= ]]; then
      variant_env+=("$word")
    else
      extra+=("$word")
    fi
  done
}

if [[ $PARTS == *1* && -f $SYNTH ]]; then
  pipeline() {  # NAME ROUND HIDDEN
    local name=$1 round=$2 hidden=$3
    split_variant "$name"
    env "${variant_env[@]}" "$BIN/trainer" "${DGL_STANDALONE_FLAGS[@]}" --part_config="$SYNTH" --num_hidden="$hidden" \
      --bench_batches="$BATCHES" "${extra[@]}" 2> "$WORK/pipeline-$name-$round-$hidden.log" |
      bench_pass_figures
  }
  for hidden in $HIDDEN; do
    for name in "${names[@]}"; do eval "variant_$name() { pipeline $name \"\$1\" $hidden; }"; done
    ab_rounds "$WORK/pipeline-$hidden.tsv" "$ROUNDS" "${names[@]}"
    pipeline_summary "$WORK/pipeline-$hidden.tsv" "$baseline" "$hidden"
  done
elif [[ $PARTS == *1* ]]; then
  echo "(1) skipped: no products-scale partition at $SYNTH (bench/partition_bench.sh makes one)"
  echo
fi

if [[ $PARTS == *2* ]]; then
  epoch() {  # NAME ROUND HIDDEN CONFIG
    local name=$1 round=$2 hidden=$3 config=$4
    split_variant "$name"
    local metrics="$WORK/epoch-$name-$round-$hidden.csv"
    env "${variant_env[@]}" "$BIN/trainer" "${DGL_STANDALONE_FLAGS[@]}" --part_config="$config" --num_hidden="$hidden" \
      --num_epochs="$EPOCHS" --eval_every=-1 --metrics_out="$metrics" "${extra[@]}" \
      > /dev/null 2> "$WORK/epoch-$name-$round-$hidden.log"
    epoch_figures "$metrics"
  }
  for dataset in $DATASETS; do
    config=$(bench_partition "$BIN" "$dataset" "$WORK")
    for hidden in $HIDDEN; do
      for name in "${names[@]}"; do
        eval "variant_$name() { epoch $name \"\$1\" $hidden \"$config\"; }"
      done
      ab_rounds "$WORK/epoch-$dataset-$hidden.tsv" "$ROUNDS" "${names[@]}"
      echo "## (2) $dataset, hidden $hidden, $EPOCHS epochs (epoch time: mean of epochs 2..$EPOCHS)"
      echo
      python3 bench/ab_summary.py "$WORK/epoch-$dataset-$hidden.tsv" --baseline "$baseline" \
        --figures "epoch_s=epoch s,compute_s=model step s per epoch"
      echo
    done
  done
fi
