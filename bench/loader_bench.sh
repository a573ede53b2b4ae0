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
# from bench/partition_bench.sh), BATCHES (30, after 8 warm-up batches),
# REVERSE_FROM_LAYER (0: the blocks the trainer builds at hidden 16, where the
# first layer projects before aggregating; 1: at hidden 256), THREADS (1
# loader thread, the trainer's default on 2 cores). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
ROUNDS=${3:-5}
SYNTH="${SYNTH:-data/synth-products-1part/synthetic.json}"
BATCHES="${BATCHES:-30}"
REVERSE_FROM_LAYER="${REVERSE_FROM_LAYER:-0}"
THREADS="${THREADS:-1}"
[[ -f "$SYNTH" ]] || { echo "no partition config $SYNTH (bench/partition_bench.sh makes one)" >&2; exit 1; }
for bin in "$BIN_A" "$BIN_B"; do
  [[ -x "$bin/loader_bench" ]] || { echo "no $bin/loader_bench; build the loader_bench target" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/loader_bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source bench/ab_lib.sh
run() {  # BIN NAME ROUND
  "$1/loader_bench" --part_config="$SYNTH" --batches="$BATCHES" \
    --reverse_from_layer="$REVERSE_FROM_LAYER" --loader_threads="$THREADS" 2> "$WORK/$2-$3.log"
}
variant_A() { run "$BIN_A" A "$1"; }
variant_B() { run "$BIN_B" B "$1"; }
ab_rounds "$WORK/runs.tsv" "$ROUNDS" A B
echo "# loader_bench, $SYNTH, $BATCHES batches of 1000 seeds, fan-out 10,25," \
  "reverse CSRs from layer $REVERSE_FROM_LAYER, $THREADS loader thread(s)"
echo "# A = $BIN_A, B = $BIN_B, $ROUNDS rounds, $(date -u +%FT%H:%MZ), $(nproc) cores"
echo
python3 bench/ab_summary.py "$WORK/runs.tsv" --baseline B --figures \
"neighbors_cpu_ms=neighbour draws CPU ms,relabel_cpu_ms=dedup + relabel CPU ms,\
reverse_cpu_ms=reverse CSR CPU ms,gather_cpu_ms=feature gather CPU ms,labels_cpu_ms=labels CPU ms,\
total_cpu_ms=loader CPU ms/batch,batch_wall_ms=wall ms/batch,input_nodes=input nodes/batch,\
checksum=batch checksum"
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
