#!/usr/bin/env bash
# distsage's trainer side by side with DGL 1.1.3's distributed GraphSAGE
# example on the same machine, data and flags.
#
#   bench/dgl_vs.sh BUILD_DIR DGL_EXAMPLE PYTHON
#
# BUILD_DIR: this repository's build (bin/trainer, bin/partition_graph).
# DGL_EXAMPLE: DGL's examples/pytorch/graphsage/dist folder, or its
# train_dist.py. PYTHON: a python3 that imports DGL 1.1.3 (set PYTHONPATH in
# the environment if DGL is not installed into it). bench/dgl/BUILD.md says
# how to build DGL 1.1.3 from source against Debian's python3-torch; this
# script downloads nothing.
#
# Every bundled dataset named is converted once into a 1-partition DGL graph
# (bench/dgl/ogb_to_dgl.py) and a 1-partition distsage set (partition_graph),
# then DGL's `train_dist.py --standalone` and `trainer --standalone` run in
# turn (DGL, distsage, DGL, distsage, ...: bench/ab_lib.sh's ab_rounds), with
# DGL's hyper-parameters for both: 2 layers, fan-out 10,25, batch 1000, lr
# 0.003, dropout 0.5, THREADS threads, EPOCHS epochs, evaluated once after
# the last epoch. Epoch time: the mean of epochs 2..EPOCHS (the first warms
# up), DGL's split as train_dist.py prints it (sample+data copy / forward /
# backward; the Adam update is the rest). Ratio: the median over pairs of
# distsage's epoch over DGL's in the same pair.
#
# The BLAS each side really uses is read from /proc/PID/maps of every run
# (and checked before the first one): if the two differ, the comparison
# measures the BLAS, not the trainers, so the script stops unless
# ALLOW_BLAS_MISMATCH=1 (then the result file says so in its first lines).
#
# env: DATASETS   bundled datasets (default "amazon_computers amazon_photo cora")
#      HIDDEN     hidden sizes (default "256 16")
#      PAIRS      alternating DGL/distsage pairs per dataset and size (default 3)
#      EPOCHS     training epochs per run, >= 2 (default 20)
#      THREADS    threads of each side (default 2)
#      OUT        result file (default bench/results/dgl_vs.md)
#      WORK       converted data, logs (default /tmp/distsage-dgl-vs; kept)
#      TRAINER_FLAGS  extra trainer flags (e.g. --precision=bf16)
#      DGL_FLAGS      extra train_dist.py flags
#      ALLOW_BLAS_MISMATCH  1: run even when the two sides map different BLAS
#      OMP_WAIT_POLICY  passed to both sides when set (PASSIVE: idle OpenMP threads
#                 sleep). Unset, each side runs as shipped: DGL's PyTorch with
#                 libgomp's default (threads spin a while before sleeping), the
#                 trainer with its own default, PASSIVE. On a machine whose cores
#                 other work shares, spinning threads slow DGL several-fold, so
#                 the policy decides the ratio there: compare both ways.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "dgl_vs: $*" >&2
  exit 1
}

[[ $# -eq 3 ]] || usage
BUILD=$(realpath -m "$1")
DGL_EXAMPLE=$(realpath -m "$2")
PYTHON=$3
cd "$(dirname "$0")/.."
source bench/ab_lib.sh

# The knobs given in the environment, for the command line in the result file.
COMMAND="bench/dgl_vs.sh $1 $2 $3"
for knob in OUT ALLOW_BLAS_MISMATCH DGL_FLAGS TRAINER_FLAGS THREADS EPOCHS PAIRS HIDDEN DATASETS \
  OMP_WAIT_POLICY; do
  [[ -n ${!knob:-} ]] && COMMAND="$knob=\"${!knob}\" $COMMAND"
done

DATASETS=${DATASETS:-amazon_computers amazon_photo cora}
HIDDEN=${HIDDEN:-256 16}
PAIRS=${PAIRS:-3}
EPOCHS=${EPOCHS:-20}
THREADS=${THREADS:-2}
OUT=${OUT:-bench/results/dgl_vs.md}
WORK=${WORK:-/tmp/distsage-dgl-vs}
TRAINER_FLAGS=${TRAINER_FLAGS:-}
DGL_FLAGS=${DGL_FLAGS:-}
ALLOW_BLAS_MISMATCH=${ALLOW_BLAS_MISMATCH:-0}

# --- arguments and knobs ----------------------------------------------------------------
[[ -d $BUILD ]] || die "no build folder $BUILD (the first argument: this repository's cmake build folder)"
BIN=$BUILD/bin
require_programs "$BIN" trainer partition_graph
if [[ -d $DGL_EXAMPLE ]]; then
  TRAIN_DIST=$DGL_EXAMPLE/train_dist.py
else
  TRAIN_DIST=$DGL_EXAMPLE
fi
[[ -f $TRAIN_DIST ]] || die "no $TRAIN_DIST: the second argument is DGL's" \
  "examples/pytorch/graphsage/dist folder (of a DGL 1.1.3 source tree) or its train_dist.py"
if ! grep -q "class DistSAGE" "$TRAIN_DIST" || ! grep -q -- "--standalone" "$TRAIN_DIST"; then
  die "$TRAIN_DIST is not DGL's distributed GraphSAGE example (no DistSAGE class or" \
    "--standalone flag); give examples/pytorch/graphsage/dist/train_dist.py of DGL 1.1.3"
fi
command -v "$PYTHON" > /dev/null || die "no python '$PYTHON' (the third argument: the python3 with DGL)"
[[ $PAIRS =~ ^[1-9][0-9]*$ ]] || die "PAIRS=$PAIRS: give a whole number >= 1"
[[ $EPOCHS =~ ^[0-9]+$ && $EPOCHS -ge 2 ]] ||
  die "EPOCHS=$EPOCHS: give a whole number >= 2 (the first epoch is left out of the means)"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS=$THREADS: give a whole number >= 1"
[[ -n $HIDDEN ]] || die "HIDDEN is empty: give hidden sizes, e.g. HIDDEN=\"256 16\""
for hidden in $HIDDEN; do
  [[ $hidden =~ ^[1-9][0-9]*$ ]] || die "HIDDEN: '$hidden' is not a hidden size (a whole number >= 1)"
done
[[ -n $DATASETS ]] || die "DATASETS is empty: give bundled datasets, e.g. DATASETS=amazon_photo"
for dataset in $DATASETS; do
  [[ -d datasets/$dataset/raw ]] || die "DATASETS: no bundled dataset '$dataset' (datasets/ has:" \
    "$(find datasets -mindepth 2 -maxdepth 2 -name raw -printf '%h\n' | sed 's|datasets/||' | sort | xargs))"
done

# --- which BLAS each side maps ------------------------------------------------------------
# BLAS-like shared objects in a maps file (the real files: the kernel shows the
# target of /etc/alternatives' links), one a line.
blas_in_maps() {
  grep -oE '/[^ ]*/lib[^/ ]*(blas|mkl|blis)[^/ ]*\.so[^/ ]*$' "$1" 2> /dev/null || true
}

# probe_dgl: DGL's and torch's versions and the BLAS the DGL python maps once torch is imported.
probe_dgl() {
  env OMP_NUM_THREADS="$THREADS" "$PYTHON" - << 'PY'
import re
import sys
try:
    import torch
    import dgl
except ImportError as error:
    print("cannot import %s: %s" % (error.name, error), file=sys.stderr)
    sys.exit(1)
maps = open("/proc/self/maps").read()
libs = sorted(set(re.findall(r"(/\S*/lib[^/\s]*(?:blas|mkl|blis)[^/\s]*\.so\S*)$", maps, re.M)))
print("dgl=%s torch=%s python=%s" % (dgl.__version__, torch.__version__, sys.version.split()[0]))
print(" ".join(libs))
PY
}
mkdir -p "$WORK"
DGL_PROBE=$(probe_dgl 2> "$WORK/probe.err") || {
  cat "$WORK/probe.err" >&2
  die "'$PYTHON' cannot import DGL and torch. Build DGL 1.1.3 as bench/dgl/BUILD.md says" \
    "and give that python (with PYTHONPATH set if DGL is not installed into it)"
}
DGL_VERSIONS=$(sed -n 1p <<< "$DGL_PROBE")
DGL_BLAS=$(sed -n 2p <<< "$DGL_PROBE")
[[ $DGL_VERSIONS == dgl=1.1.3* ]] ||
  echo "dgl_vs: WARNING: $DGL_VERSIONS; the published comparison is against DGL 1.1.3" >&2
# The trainer's BLAS as the dynamic loader resolves it (ldd), through /etc/alternatives.
TRAINER_BLAS=$(ldd "$BIN/trainer" | awk '$3 ~ /^\// && $1 ~ /(blas|mkl|blis)/ {print $3}' |
  xargs -r readlink -f | sort -u | tr '\n' ' ' | sed 's/ $//')

BLAS_NOTE=""
blas_check() {  # WHERE DGL_LIBS DISTSAGE_LIBS
  [[ $2 == "$3" ]] && return 0
  echo "dgl_vs: ##################################################################" >&2
  echo "dgl_vs: BLAS DIFFERS ($1): DGL maps '${2:-none found}'," >&2
  echo "dgl_vs:                   distsage maps '${3:-none found}'." >&2
  echo "dgl_vs: The epoch times would compare the BLAS libraries, not the trainers." >&2
  echo "dgl_vs: Point both at one (update-alternatives --config libblas.so.3-x86_64-linux-gnu," >&2
  echo "dgl_vs: or the same LD_LIBRARY_PATH for both); ALLOW_BLAS_MISMATCH=1 runs anyway." >&2
  echo "dgl_vs: ##################################################################" >&2
  [[ $ALLOW_BLAS_MISMATCH == 1 ]] || exit 1
  BLAS_NOTE="**BLAS differs between the two sides ($1): DGL '$2', distsage '$3'; the ratios compare the BLAS libraries as much as the trainers.**"
}
echo "dgl_vs: $DGL_VERSIONS; DGL's python maps BLAS: ${DGL_BLAS:-none found}" >&2
echo "dgl_vs: distsage's trainer links BLAS: ${TRAINER_BLAS:-none found}" >&2
blas_check "before the runs" "$DGL_BLAS" "$TRAINER_BLAS"

# run_watched LOG BLAS_FILE COMMAND...: runs COMMAND (stdout and stderr to LOG),
# writes every BLAS its process mapped while it ran to BLAS_FILE (read each
# second: libraries load one after another, and a process may load more
# later), and returns its exit status.
run_watched() {
  local log=$1 blas_file=$2 pid rc=0
  shift 2
  "$@" > "$log" 2>&1 &
  pid=$!
  : > "$blas_file.all"
  while kill -0 "$pid" 2> /dev/null; do
    blas_in_maps "/proc/$pid/maps" >> "$blas_file.all"
    sleep 1
  done
  wait "$pid" || rc=$?
  sort -u "$blas_file.all" | tr '\n' ' ' | sed 's/ $//' > "$blas_file"
  rm -f "$blas_file.all"
  return "$rc"
}

# --- data -------------------------------------------------------------------------------
echo "127.0.0.1" > "$WORK/ip_config.txt"  # train_dist.py wants one; standalone mode ignores it
declare -A DGL_CONFIG DISTSAGE_CONFIG
for dataset in $DATASETS; do
  config=$WORK/dgl/$dataset/$dataset.json
  if [[ ! -f $config ]]; then
    echo "dgl_vs: converting datasets/$dataset for DGL" >&2
    rm -rf "$WORK/dgl/$dataset"
    "$PYTHON" bench/dgl/ogb_to_dgl.py --dataset_dir="datasets/$dataset" \
      --out="$WORK/dgl/$dataset" > "$WORK/dgl-$dataset-convert.log" 2>&1 || {
      tail -20 "$WORK/dgl-$dataset-convert.log" >&2
      die "converting datasets/$dataset for DGL failed (log: $WORK/dgl-$dataset-convert.log)"
    }
  fi
  DGL_CONFIG[$dataset]=$config
  DISTSAGE_CONFIG[$dataset]=$(bench_partition "$BIN" "$dataset" "$WORK") ||
    die "partitioning datasets/$dataset with $BIN/partition_graph failed"
done

# --- the runs -----------------------------------------------------------------------------
# shellcheck disable=SC2054  # --fan_out=10,25 is one word
COMMON_DGL=(--num_layers=2 --fan_out=10,25 --batch_size=1000 --lr=0.003 --dropout=0.5
            --num_gpus=-1 --num_epochs="$EPOCHS" --eval_every="$EPOCHS" --log_every=1000000)
# shellcheck disable=SC2054
COMMON_DISTSAGE=(--num_layers=2 --fan_out=10,25 --batch_size=1000 --lr=0.003 --dropout=0.5
                 --num_threads="$THREADS" --num_epochs="$EPOCHS" --eval_every=0)

variant_dgl() {  # ROUND
  local tag=$WORK/runs/$DATASET-h$HIDDEN_SIZE-dgl-$1
  # shellcheck disable=SC2086  # DGL_FLAGS: words on purpose
  run_watched "$tag.log" "$tag.blas" env OMP_NUM_THREADS="$THREADS" DGL_DIST_MODE=standalone \
    "$PYTHON" "$TRAIN_DIST" --standalone --graph_name="$DATASET" \
    --ip_config="$WORK/ip_config.txt" --part_config="${DGL_CONFIG[$DATASET]}" \
    --num_hidden="$HIDDEN_SIZE" "${COMMON_DGL[@]}" $DGL_FLAGS || {
    tail -20 "$tag.log" >&2
    echo "dgl_vs: DGL's train_dist.py failed on $DATASET (log: $tag.log)" >&2
    return 1
  }
  python3 - "$tag.log" "$EPOCHS" << 'PY'
import json, re, sys
text, epochs = open(sys.argv[1]).read(), int(sys.argv[2])
rows = [tuple(map(float, m)) for m in re.findall(
    r"Epoch Time\(s\): ([\d.]+), sample\+data_copy: ([\d.]+), forward: ([\d.]+), "
    r"backward: ([\d.]+), update: ([\d.]+)", text)]
tests = re.findall(r"Test Acc ([\d.]+)", text)
if len(rows) != epochs or not tests:
    sys.exit("dgl_vs: %s: expected %d epoch lines and a test accuracy, found %d and %d"
             % (sys.argv[1], epochs, len(rows), len(tests)))
later = rows[1:]
mean = lambda i: round(sum(r[i] for r in later) / len(later), 4)
print(json.dumps({"epoch_s": mean(0), "sample_s": mean(1), "forward_s": mean(2),
                  "backward_s": mean(3), "update_s": mean(4), "epoch1_s": rows[0][0],
                  "test_acc": float(tests[-1])}))
PY
}

variant_distsage() {  # ROUND
  local tag=$WORK/runs/$DATASET-h$HIDDEN_SIZE-distsage-$1
  # shellcheck disable=SC2086  # TRAINER_FLAGS: words on purpose
  run_watched "$tag.log" "$tag.blas" env OMP_NUM_THREADS="$THREADS" "$BIN/trainer" \
    --standalone --part_config="${DISTSAGE_CONFIG[$DATASET]}" --num_hidden="$HIDDEN_SIZE" \
    "${COMMON_DISTSAGE[@]}" --seed="$1" --metrics_out="$tag.csv" $TRAINER_FLAGS || {
    tail -20 "$tag.log" >&2
    echo "dgl_vs: distsage's trainer failed on $DATASET (log: $tag.log)" >&2
    return 1
  }
  python3 - "$tag.log" "$(epoch_figures "$tag.csv")" << 'PY'
import json, sys
summary = [l for l in open(sys.argv[1]) if l.startswith("{")]
if not summary:
    sys.exit("dgl_vs: %s: no JSON line from the trainer" % sys.argv[1])
figures = json.loads(sys.argv[2])
figures["test_acc"] = json.loads(summary[-1])["final_test_acc"]
print(json.dumps(figures))
PY
}

rm -rf "$WORK/runs"
mkdir -p "$WORK/runs"
HEADER=$(result_header "distsage vs DGL 1.1.3, standalone" "$COMMAND")
BUSY=$(busy_processes)
TABLE_ARGS=()
for DATASET in $DATASETS; do
  for HIDDEN_SIZE in $HIDDEN; do
    echo "dgl_vs: $DATASET, hidden $HIDDEN_SIZE: $PAIRS pairs of $EPOCHS epochs" >&2
    tsv=$WORK/runs/$DATASET-h$HIDDEN_SIZE.tsv
    ab_rounds "$tsv" "$PAIRS" dgl distsage
    for ((round = 1; round <= PAIRS; ++round)); do
      blas_check "$DATASET, hidden $HIDDEN_SIZE, pair $round" \
        "$(cat "$WORK/runs/$DATASET-h$HIDDEN_SIZE-dgl-$round.blas")" \
        "$(cat "$WORK/runs/$DATASET-h$HIDDEN_SIZE-distsage-$round.blas")"
    done
    TABLE_ARGS+=("$DATASET" "$HIDDEN_SIZE" "$tsv")
  done
done
RUN_BLAS=$(awk 1 "$WORK"/runs/*.blas | tr ' ' '\n' | grep . | sort -u | tr '\n' ' ' | sed 's/ $//')

# --- the result file ----------------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
{
  echo "$HEADER"
  echo
  echo "Finished $(date -u +%Y-%m-%dT%H:%MZ); load at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  [[ -n $BLAS_NOTE ]] && echo "$BLAS_NOTE" && echo
  echo "The machine may be shared with other work: each run's share of it is in the tables"
  echo "below (other cores: cores kept busy by other processes during the run, on average)."
  echo
  echo "$BUSY"
  echo
  echo "- DGL: $DGL_VERSIONS, \`$TRAIN_DIST --standalone\`, OMP_NUM_THREADS=$THREADS," \
    "OMP_WAIT_POLICY ${OMP_WAIT_POLICY:-unset (libgomp default: spin, then sleep)}."
  echo "- distsage: \`$BIN/trainer --standalone --num_threads=$THREADS\`" \
    "(and its loader threads)${TRAINER_FLAGS:+, $TRAINER_FLAGS}," \
    "OMP_WAIT_POLICY ${OMP_WAIT_POLICY:-PASSIVE (the trainer default});" \
    "source tree at $(git rev-parse --short HEAD 2> /dev/null || echo "an unknown commit")$(
      git diff --quiet HEAD -- . ':!bench' 2> /dev/null || echo ", with local changes")."
  echo "- Both: 2 layers, fan-out 10,25, batch 1000, lr 0.003, dropout 0.5, $EPOCHS epochs," \
    "test accuracy after the last; DGL unseeded, distsage --seed=pair number."
  echo "- BLAS mapped by every run (/proc/PID/maps): $RUN_BLAS."
  echo
  python3 bench/dgl/vs_table.py --epochs "$EPOCHS" "${TABLE_ARGS[@]}"
  for ((i = 0; i < ${#TABLE_ARGS[@]}; i += 3)); do
    echo
    echo "## ${TABLE_ARGS[i]}, hidden ${TABLE_ARGS[i + 1]}"
    echo
    python3 bench/ab_summary.py "${TABLE_ARGS[i + 2]}" --baseline dgl --figures \
      "epoch_s=epoch s,sample_s=sample s,forward_s=fwd s,backward_s=bwd s,compute_s=compute s,test_acc=test acc,wall_s=run s"
  done
} > "$OUT"
cat "$OUT"
echo "dgl_vs: wrote $OUT" >&2
