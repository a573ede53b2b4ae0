#!/usr/bin/env bash
# OpenBLAS against Debian's reference BLAS, without touching the system's
# alternatives: LibTorch loads libblas.so.3 (and liblapack.so.3) by name, so
# LD_LIBRARY_PATH picks the library per process:
#   openblas   /usr/lib/x86_64-linux-gnu/openblas-openmp (libopenblas0-openmp);
#   reference  /usr/lib/x86_64-linux-gnu/blas and .../lapack (libblas3, liblapack3).
# (1) matmul_bench: one float32 matmul of a dense layer's shape (SHAPE, default
#     an Amazon Computers input layer at hidden 256: 1000 x 767 x 256), 2 threads,
#     median ms over 20 matmuls per run; each run names the library that answered
#     sgemm_, and the script stops if it is not the one asked for.
# (2) the trainer's model step: Amazon Computers standalone, hidden 256,
#     2 threads, DGL's hyper-parameters, --bench_batches BATCHES (the same
#     batches through the model step alone after the loader pass): ms per step.
# The two variants run in turn, ROUNDS times; per-round ratios to openblas.
# Figures go to stdout and to RESULT.
#
# Usage: bench/blas_bench.sh [BUILD_DIR]   (matmul_bench, trainer, partition_graph in BUILD_DIR/bin)
#   env: TRAINER_BUILD (build holding trainer and partition_graph; default BUILD_DIR),
#        ROUNDS (3), BATCHES (8), RESULT (bench/results/blas.md), WORK
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
TRAINER_BIN="${TRAINER_BUILD:-$BUILD}/bin"
ROUNDS="${ROUNDS:-3}"
BATCHES="${BATCHES:-8}"
RESULT="${RESULT:-bench/results/blas.md}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-blas}"
LIB=/usr/lib/x86_64-linux-gnu
declare -A LIBRARY_PATH=([openblas]="$LIB/openblas-openmp" [reference]="$LIB/blas:$LIB/lapack")
declare -A EXPECTED_SGEMM=([openblas]="$LIB/openblas-openmp/" [reference]="$LIB/blas/")
source bench/ab_lib.sh
mkdir -p "$WORK" "$(dirname "$RESULT")"
for f in "$BUILD/bin/matmul_bench" "$TRAINER_BIN/trainer" "$TRAINER_BIN/partition_graph"; do
  [[ -x "$f" ]] || { echo "no $f; build the $(basename "$f") target" >&2; exit 1; }
done
CONFIG="$(bench_partition "$TRAINER_BIN" amazon_computers "$WORK")"

# Which BLAS a process of the trainer would load, as the dynamic linker says.
for blas in openblas reference; do
  echo "$blas: $(LD_LIBRARY_PATH="${LIBRARY_PATH[$blas]}" ldd "$TRAINER_BIN/trainer" |
    grep -E 'lib(open)?blas|liblapack' | tr -s ' \t' ' ' | tr '\n' ';')" >> "$WORK/ldd.txt"
done

matmul() {  # BLAS ROUND
  local json
  json="$(LD_LIBRARY_PATH="${LIBRARY_PATH[$1]}" "$BUILD/bin/matmul_bench" --threads=2 --reps=20)"
  echo "$json" > "$WORK/matmul-$1-$2.json"
  python3 - "$json" "${EXPECTED_SGEMM[$1]}" <<'PY'
import json, sys
run = json.loads(sys.argv[1])
if not run["sgemm_provider"].startswith(sys.argv[2]):
    sys.exit("sgemm_ came from %s, not from %s" % (run["sgemm_provider"], sys.argv[2]))
print(json.dumps({"matmul_ms": run["ms_median"]}))
PY
}
variant_openblas() { matmul openblas "$1"; }
variant_reference() { matmul reference "$1"; }
ab_rounds "$WORK/matmul.tsv" "$ROUNDS" openblas reference

step() {  # BLAS ROUND
  LD_LIBRARY_PATH="${LIBRARY_PATH[$1]}" OMP_WAIT_POLICY=PASSIVE "$TRAINER_BIN/trainer" \
    --standalone --part_config="$CONFIG" --num_threads=2 --num_hidden=256 --num_layers=2 \
    --fan_out=10,25 --batch_size=1000 --lr=0.003 --dropout=0.5 --seed=0 \
    --bench_batches="$BATCHES" > "$WORK/step-$1-$2.json" 2> "$WORK/step-$1-$2.log" &
  local pid=$!
  # The trainer's maps while it runs: the BLAS actually loaded.
  sleep 2
  grep -oE '/[^ ]*lib(open)?blas[^ ]*' "/proc/$pid/maps" 2>/dev/null | sort -u | tr '\n' ' ' \
    > "$WORK/step-$1-$2.maps" || true
  wait "$pid"
  grep -q "${EXPECTED_SGEMM[$1]}" "$WORK/step-$1-$2.maps" ||
    { echo "trainer under $1 mapped: $(cat "$WORK/step-$1-$2.maps")" >&2; exit 1; }
  python3 -c 'import json, sys
b = json.load(open(sys.argv[1]))["bench"]
print(json.dumps({"model_step_ms": round(1e3 * b["model_only_s"] / b["num_batches"], 1),
                  "pipeline_ms": round(1e3 * b["pipeline_s"] / b["num_batches"], 1)}))' \
    "$WORK/step-$1-$2.json"
}
variant_openblas() { step openblas "$1"; }
variant_reference() { step reference "$1"; }
ab_rounds "$WORK/step.tsv" "$ROUNDS" openblas reference

{
  result_header "OpenBLAS vs reference BLAS, $ROUNDS rounds" \
    "$([[ -n ${TRAINER_BUILD:-} ]] && echo "TRAINER_BUILD=$TRAINER_BUILD ")ROUNDS=$ROUNDS BATCHES=$BATCHES bench/blas_bench.sh $BUILD"
  echo "Libraries the dynamic linker picks for the trainer (ldd):"
  echo
  sed 's/^/    /' "$WORK/ldd.txt"
  echo
  echo "(1) matmul_bench --threads=2 --reps=20 (1000 x 767 x 256 float32; sgemm_ checked per run):"
  echo
  python3 bench/ab_summary.py "$WORK/matmul.tsv" --baseline openblas \
    --figures "matmul_ms=matmul ms (median of 20),wall_s=whole run s"
  echo
  echo "(2) trainer --bench_batches $BATCHES, Amazon Computers, hidden 256, 2 threads (BLAS checked in /proc/PID/maps):"
  echo
  python3 bench/ab_summary.py "$WORK/step.tsv" --baseline openblas \
    --figures "model_step_ms=model step ms (batches built beforehand),pipeline_ms=ms per batch through the loader,wall_s=whole run s"
} | tee "$RESULT"
echo "logs in $WORK" >&2
