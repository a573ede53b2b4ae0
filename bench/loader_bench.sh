#!/usr/bin/env bash
# The trainer's mini-batch loader alone (bench/loader_bench.cc) on the
# ogbn-products-scale synthetic graph (1 partition, held in memory): CPU ms
# per batch of the loader thread in each stage (neighbour draws, ID dedup and
# relabelling, reverse CSRs, the random-row feature gather, labels), wall ms
# per batch, and a checksum of the batches. Two builds run in turn (A B A B
# ..., bench/ab_lib.sh), compared round by round; the script fails unless both
# built the same batches (same checksum), so a faster loader is also an
# identical one.
#
#   bench/loader_bench.sh BIN_A BIN_B [ROUNDS]     (BIN_B is the baseline)
#
# BIN_A / BIN_B: folders holding loader_bench. env: SYNTH (1-partition config,
# from bench/partition_bench.sh), SYNTH_A (default SYNTH: the config variant
# A reads; the same graph stored with another partition_graph
# --feature_dtype compares the storage types, and both variants' checksums
# are then taken over the features rounded to bfloat16, so that they still
# prove the same batches), BATCHES (30, after 8 warm-up batches),
# REVERSE_FROM_LAYER (0: the blocks the trainer builds at hidden 16, where the
# first layer projects before aggregating; 1: at hidden 256), THREADS (1
# loader thread, the trainer's default on 2 cores), LOADER_FLAGS (more
# loader_bench flags for both builds, e.g. "--aggregate_first_layer
# --projected_width=16": the trainer's hidden-16 loader, whose checksum then
# covers the first layer's means), LOADER_FLAGS_B (more flags for B only:
# BIN_A and BIN_B the same build, it compares a loader option, e.g.
# "--sum_rows_in_place=false"), PIPELINE_ROUNDS (0; N > 0
# also runs the trainer's products-scale benchmark, `trainer --standalone
# --bench_batches BATCHES` at hidden 16 and 256, N rounds of A B, which needs
# the trainer binary in BIN_A and BIN_B: the pipeline's ms per batch and its
# ratio to the model steps alone). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
ROUNDS=${3:-5}
SYNTH="${SYNTH:-data/synth-products-1part/synthetic.json}"
SYNTH_A="${SYNTH_A:-$SYNTH}"
BATCHES="${BATCHES:-30}"
REVERSE_FROM_LAYER="${REVERSE_FROM_LAYER:-0}"
THREADS="${THREADS:-1}"
PIPELINE_ROUNDS="${PIPELINE_ROUNDS:-0}"
read -r -a loader_flags <<< "${LOADER_FLAGS:-}"
read -r -a loader_flags_b <<< "${LOADER_FLAGS_B:-}"
source bench/ab_lib.sh
require_configs "bench/partition_bench.sh makes one" "$SYNTH" "$SYNTH_A"
checksum_flags=()
[[ $SYNTH_A == "$SYNTH" ]] || checksum_flags=(--checksum_features_as_bfloat16)
require_programs "$BIN_A" loader_bench
require_programs "$BIN_B" loader_bench
WORK=$(mktemp -d /tmp/loader_bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
run() {  # BIN NAME ROUND CONFIG [FLAGS...]
  local bin=$1 name=$2 round=$3 config=$4
  shift 4
  "$bin/loader_bench" --part_config="$config" --batches="$BATCHES" "${checksum_flags[@]}" \
    --reverse_from_layer="$REVERSE_FROM_LAYER" --loader_threads="$THREADS" "${loader_flags[@]}" \
    "$@" 2> "$WORK/$name-$round.log"
}
variant_A() { run "$BIN_A" A "$1" "$SYNTH_A"; }
variant_B() { run "$BIN_B" B "$1" "$SYNTH" "${loader_flags_b[@]}"; }
ab_rounds "$WORK/runs.tsv" "$ROUNDS" A B
echo "# loader_bench, A reads $SYNTH_A, B reads $SYNTH, $BATCHES batches of 1000 seeds, fan-out 10,25," \
  "reverse CSRs from layer $REVERSE_FROM_LAYER, $THREADS loader thread(s), flags: ${LOADER_FLAGS:-none}," \
  "B also: ${LOADER_FLAGS_B:-none}"
echo "# A = $BIN_A, B = $BIN_B, $ROUNDS rounds, $(date -u +%FT%H:%MZ), $(nproc) cores"
echo
python3 bench/ab_summary.py "$WORK/runs.tsv" --baseline B --figures \
"neighbors_cpu_ms=neighbour draws CPU ms,relabel_cpu_ms=dedup + relabel CPU ms,\
reverse_cpu_ms=reverse CSR CPU ms,gather_cpu_ms=feature gather CPU ms,\
aggregate_cpu_ms=first-layer means CPU ms,labels_cpu_ms=labels CPU ms,\
in_place_batches=batches summed in place,\
total_cpu_ms=loader CPU ms/batch,batch_wall_ms=wall ms/batch,input_nodes=input nodes/batch,\
feature_mib=feature matrix MiB,max_rss_mib=peak RSS MiB,checksum=batch checksum"
checksums=$(python3 -c '
import json, sys
print(len({json.loads(line.split("\t", 3)[3])["checksum"] for line in open(sys.argv[1])}))' \
  "$WORK/runs.tsv")
if [[ $checksums != 1 ]]; then
  echo "FAILED: the builds' batches differ ($checksums distinct checksums)" >&2
  exit 1
fi
echo
echo "Both builds built identical batches (one checksum over all runs)."
(( PIPELINE_ROUNDS > 0 )) || exit 0

# The trainer's own benchmark: the same loader under the model step, on the
# same cores (bench/trainer_bench.sh's flags).
pipeline() {  # BIN NAME ROUND HIDDEN CONFIG
  "$1/trainer" --standalone --part_config="$5" --num_threads=2 --num_layers=2 --fan_out=10,25 \
    --batch_size=1000 --lr=0.003 --dropout=0.5 --num_hidden="$4" --bench_batches="$BATCHES" \
    2> "$WORK/pipeline-$2-$3-$4.log" | bench_pass_figures
}
for hidden in 16 256; do
  eval "variant_A() { pipeline \"$BIN_A\" A \"\$1\" $hidden \"$SYNTH_A\"; }"
  eval "variant_B() { pipeline \"$BIN_B\" B \"\$1\" $hidden \"$SYNTH\"; }"
  ab_rounds "$WORK/pipeline-$hidden.tsv" "$PIPELINE_ROUNDS" A B
  echo
  echo "## trainer --bench_batches $BATCHES, hidden $hidden, $PIPELINE_ROUNDS rounds"
  echo
  python3 bench/ab_summary.py "$WORK/pipeline-$hidden.tsv" --baseline B --figures \
"pipeline_ms=pipeline ms/batch,model_only_ms=model steps alone ms/batch,\
ratio=pipeline / model alone,sample_ms=loader sample wall ms,pull_ms=loader pull wall ms,\
wait_ms=model waiting for batches ms"
done
